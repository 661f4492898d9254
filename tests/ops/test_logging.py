"""Structured logs: one JSON object a line with role, request id, extras and tracebacks."""

from __future__ import annotations

import json
import logging

import pytest

from ronda.ops.logging import configure_logging, request_id, set_role


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level = root.level
    yield
    for h in list(root.handlers):
        if h.get_name() == "ronda":
            root.removeHandler(h)
    root.setLevel(level)
    set_role("cli")


def test_json_lines(capsys, restore_logging):
    configure_logging("json", "info", role="ingest")
    log = logging.getLogger("ronda.test")
    token = request_id.set("req-42")
    try:
        log.info("batch committed: %d posts", 500, extra={"stream_seq": 1234, "lag_s": 0.8})
    finally:
        request_id.reset(token)
    try:
        raise ValueError("bad <post>")
    except ValueError:
        log.exception("poison message")
    log.debug("not shown at info")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert first["msg"] == "batch committed: 500 posts"
    assert (
        first["level"] == "info" and first["logger"] == "ronda.test" and first["role"] == "ingest"
    )
    assert first["request_id"] == "req-42"
    assert first["stream_seq"] == 1234 and first["lag_s"] == 0.8
    assert first["ts"].endswith("Z")
    assert "request_id" not in second
    assert second["level"] == "error" and "ValueError: bad <post>" in second["exc"]


def test_reconfiguring_replaces_our_handler(capsys, restore_logging):
    configure_logging("json", "info")
    configure_logging("text", "warning")
    logging.getLogger("ronda.test").warning("once")
    err = capsys.readouterr().err
    assert err.count("once") == 1 and "WARNING ronda.test: once" in err


def test_bad_values_are_refused(restore_logging):
    with pytest.raises(ValueError, match="log format"):
        configure_logging("xml")
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("json", "loud")
