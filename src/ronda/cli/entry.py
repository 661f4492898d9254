"""The ``ronda`` executable: the whole CLI, with a short way in for ``ronda classify``.

``ronda classify`` sits in shell pipelines, where the start-up of the process is part of the
throughput. Building the whole command tree imports every domain (accounts, takedowns,
detection storage, SQLAlchemy, Alembic ...), about 1.7 s of CPU on the benchmark machine, and
classify needs none of it. So when the first argument is ``classify`` the command runs from a
tree that holds only it: same function, same options, same output and exit codes. Anything
else (global options such as ``--config`` first, ``--help``, other commands) goes to the whole
tree in ``ronda.cli.main``.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Entry point of the ``ronda`` script (see ``[project.scripts]``)."""
    if len(sys.argv) > 1 and sys.argv[1] == "classify":
        import typer

        from ronda.cli.classify import classify

        app = typer.Typer(add_completion=False)

        @app.callback()
        def ronda() -> None:
            """Ronda (classify only)."""

        app.command("classify")(classify)
        app(prog_name="ronda")
        return
    from ronda.cli.main import app as whole

    whole(prog_name="ronda")
