"""Structured logging: one JSON object a line, or readable text on a terminal.

Every record carries the process role (``api``, ``console``, ``ingest`` ...) and, inside a
web request, the request id that the response also returns in ``X-Request-ID``, so one
request can be followed across the log lines of every role it touches.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ronda_request_id", default=None
)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
_STANDARD = frozenset(
    logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None).__dict__.keys()
) | {"message", "asctime", "taskName"}

_state: dict[str, str] = {"role": "cli"}


def set_role(role: str) -> None:
    """Name this process's role in every later log line."""
    _state["role"] = role


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object (UTC time, level, logger, message, extras)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "role": _state["role"],
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if _plain(value) else repr(value)
        if record.exc_info:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return f"{line} [request {rid}]" if rid else line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    A handler that kept the stream it was created with would write into a closed buffer
    once a caller that swapped ``sys.stderr`` (a test runner, an embedding app) restores it.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(fmt: str = "text", level: str = "info", *, role: str | None = None) -> None:
    """Send every logger (ours, uvicorn's, alembic's) to stderr in one format.

    ``fmt`` is ``json`` or ``text``; ``level`` a logging level name. Safe to call again:
    the handler installed by an earlier call is replaced, not added to.
    """
    if fmt not in {"json", "text"}:
        raise ValueError(f"log format must be 'json' or 'text', not {fmt!r}")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    if role:
        set_role(role)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.set_name("ronda")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "ronda":  # ours from an earlier call; others (pytest's) stay
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # Uvicorn installs handlers of its own; make its loggers flow to ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    if numeric > logging.DEBUG:
        logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
