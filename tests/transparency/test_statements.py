"""DSA statements of reasons: valid against the JSON Schema kept in the
repository, one per action carried out, batches of 100, no personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from typer.testing import CliRunner

from ronda.actions.models import Action
from ronda.audit.models import AuditEvent
from ronda.cli.main import app
from ronda.db import session_scope
from ronda.links import Reference, parse
from ronda.subjects.service import ensure_subjects
from ronda.transparency.statements import SCHEMA_PATH, problems
from tests.transparency.seed import seed

pytest_plugins = ["tests.support.platform"]


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_exported_statement_is_valid(factory, settings, platform, monkeypatch, tmp_path):
    seed(factory, settings, monkeypatch)
    out, batches = tmp_path / "sor.jsonl", tmp_path / "batches"
    run = CliRunner().invoke(
        app,
        [
            "export",
            "statements",
            "--since",
            "2026-01-01",
            "--until",
            "2026-02-28",
            "--out",
            str(out),
            "--batch-dir",
            str(batches),
        ],
    )
    assert run.exit_code == 0, run.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    check = validator()
    for statement in lines:
        errors = list(check.iter_errors(statement))
        assert not errors, (statement, [e.message for e in errors])
        assert problems(statement) == []
    # one statement per ban in the audit log, except the withholding in Indonesia only
    from sqlalchemy import select

    with factory() as s:
        events = list(s.scalars(select(AuditEvent)))
    requested = {e.object_id: e.data["scope"] for e in events if e.action == "action.requested"}
    bans = [e for e in events if e.action == "action.succeeded" and e.data["kind"] != "restore"]
    outside = [e for e in bans if requested[e.object_id] and "DE" not in requested[e.object_id]]
    assert len(outside) == 1
    assert len(lines) == len(bans) - 1
    assert "skipped action" in run.stderr and "outside the EU/EEA" in run.stderr
    assert len({s["puid"] for s in lines}) == len(lines)
    text = out.read_text()
    for private in ("reporter-77", "owner-9", "mod@ronda.test", "t.me/"):
        assert private not in text
    by_kind = {tuple(s.get("decision_visibility", [])) or s.get("decision_account") for s in lines}
    assert ("DECISION_VISIBILITY_CONTENT_REMOVED",) in by_kind
    assert "DECISION_ACCOUNT_TERMINATED" in by_kind
    grounds = {(s["source_type"], s["decision_ground"]) for s in lines}
    assert ("SOURCE_TYPE_OTHER_NOTIFICATION", "DECISION_GROUND_ILLEGAL_CONTENT") in grounds
    assert ("SOURCE_ARTICLE_16", "DECISION_GROUND_ILLEGAL_CONTENT") in grounds
    assert ("SOURCE_ARTICLE_16", "DECISION_GROUND_INCOMPATIBLE_CONTENT") in grounds
    assert ("SOURCE_VOLUNTARY", "DECISION_GROUND_INCOMPATIBLE_CONTENT") in grounds
    auto = [s for s in lines if s["automated_detection"] == "Yes"]
    assert auto and all(s["automated_decision"] == "AUTOMATED_DECISION_FULLY" for s in auto)
    withheld = [s for s in lines if s.get("territorial_scope") == ["DE"]]
    assert len(withheld) == 1
    [body] = [json.loads(p.read_text()) for p in sorted(batches.iterdir())]
    assert body["statements"] == lines


def test_batches_hold_at_most_100(factory, settings, tmp_path):
    ref = parse("https://t.me/kanal_banyak_aja")
    assert isinstance(ref, Reference)
    when = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with session_scope(factory) as s:
        subject_id = ensure_subjects(s, [ref])[ref.canonical]
        for n in range(205):
            s.add(
                Action(
                    kind="block_channel",
                    subject_id=subject_id,
                    canonical=ref.canonical,
                    category="gambling",
                    ground="UU ITE Pasal 27 ayat (2)",
                    statement_of_reasons="Promosi judi online.",
                    source="review",
                    decided_by="user:mod@ronda.test",
                    idempotency_key=f"bulk-{n}",
                    status="succeeded",
                    requested_at=when,
                    succeeded_at=when + timedelta(minutes=n),
                )
            )
    run = CliRunner().invoke(
        app,
        [
            "export",
            "statements",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-02",
            "--batch-dir",
            str(tmp_path),
        ],
    )
    assert run.exit_code == 0, run.output
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    files = sorted(tmp_path.iterdir())
    sizes = [len(json.loads(p.read_text())["statements"]) for p in files]
    assert len(lines) == 205 and sizes == [100, 100, 5]
    check = validator()
    assert all(check.is_valid(s) for s in lines)
    assert "205 statements written in 3 batches" in run.stderr
    bad = CliRunner().invoke(app, ["export", "statements", "--since", "2 March", "--until", "x"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr


GOOD = {
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Terms of service: spam",
    "incompatible_content_explanation": "Automated bulk messages.",
    "content_type": ["CONTENT_TYPE_TEXT"],
    "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "content_date": "2026-02-01",
    "application_date": "2026-02-02",
    "decision_facts": "Spam.",
    "source_type": "SOURCE_VOLUNTARY",
    "automated_detection": "Yes",
    "automated_decision": "AUTOMATED_DECISION_FULLY",
    "puid": "ronda-abc_DEF-1",
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"decision_facts": "x" * 5001}, "decision_facts has 5001 characters"),
        ({"puid": "user 42@example"}, "puid must match"),
        ({"puid": "p" * 501}, "puid has 501 characters"),
        ({"category": "STATEMENT_CATEGORY_GAMBLING"}, "category: STATEMENT_CATEGORY_GAMBLING"),
        ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other is missing"),
        ({"decision_visibility": None}, "no restriction"),
        ({"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}, "illegal_content_legal_ground"),
        ({"content_date": "01/02/2026"}, "content_date must be YYYY-MM-DD"),
        ({"automated_detection": "yes"}, "automated_detection: yes"),
        ({"territorial_scope": ["ID"]}, "territorial_scope: ID"),
    ],
)
def test_the_exporter_and_the_schema_refuse_the_same_statements(change, complaint):
    assert problems(GOOD) == [] and validator().is_valid(GOOD)
    bad = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    found = problems(bad)
    assert any(complaint in p for p in found), found
    assert not validator().is_valid(bad)
