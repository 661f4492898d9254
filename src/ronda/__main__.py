"""Allow ``python -m ronda``."""

from ronda.cli.main import app

if __name__ == "__main__":  # pragma: no cover
    app()
