# The two commands the README starts with, and the checks they are made of.
.PHONY: demo test lint typecheck pytest setup setup-app

demo: setup-app          ## Run Ronda with demo data at http://127.0.0.1:8000
	.venv/bin/ronda serve --demo

test: setup lint typecheck pytest   ## Everything CI runs

setup:
	scripts/bootstrap all

setup-app:
	scripts/bootstrap app

lint:
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks

typecheck:
	.venv/bin/mypy

pytest:
	.venv/bin/pytest -q -n 2 --dist loadfile
