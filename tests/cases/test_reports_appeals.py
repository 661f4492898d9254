"""User reports, reporter accuracy, notices, and appeals that reverse actions."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ronda.accounts import service as accounts
from ronda.db import session_scope
from ronda.jobs import service as jobs
from ronda.reports import service as reports
from ronda.reports.models import Report
from ronda.web.app import create_app
from tests.cases.test_cases import user
from tests.cases.test_cases_api import login

pytest_plugins = ["tests.support.platform"]


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def platform_key(factory) -> dict[str, str]:
    with session_scope(factory) as s:
        secret = accounts.issue_api_key(s, name="platform", kind="platform").secret
    return {"Authorization": f"Bearer {secret}"}


def test_report_decide_notify_appeal_reverse(client, factory, settings, platform):
    key = platform_key(factory)
    r = client.post(
        "/api/v1/reports",
        headers=key,
        json={
            "subject": "t.me/kanal_dakwah_damai/5",
            "category": "terrorism",
            "text": "Kanal ini menyebarkan ajakan baiat.",
            "reporter_id": "u-1001",
        },
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    assert r.json()["reporter_trust"] == 0.5
    # a second report on the same subject and category joins the case
    again = client.post(
        "/api/v1/reports",
        headers=key,
        json={
            "subject": "https://t.me/kanal_dakwah_damai/5",
            "category": "terrorism",
            "reporter_id": "u-2002",
        },
    ).json()
    assert again["case_id"] == case_id

    user(factory, "mod@ronda.test")
    h = login(client, "mod@ronda.test")
    assert client.post("/api/v1/cases/next", headers=h).json()["id"] == case_id
    r = client.post(
        f"/api/v1/cases/{case_id}/decisions",
        headers=h,
        json={
            "decision": "block_channel",
            "ground": "UU 5/2018",
            "statement_of_reasons": "Ajakan baiat kepada ISIS.",
        },
    )
    assert r.status_code == 201
    jobs.run_due(factory)
    kinds = sorted(b.get("type") for b in platform.applied.values())
    assert kinds == ["block_channel", "owner_notice", "reporter_outcome", "reporter_outcome"]
    with factory() as s:
        assert {r.outcome for r in s.scalars(select(Report))} == {"upheld"}
        assert reports.reporter_trust(s, "u-1001") == pytest.approx(2 / 3)

    # the owner appeals; the moderator who decided cannot review it
    r = client.post(
        "/api/v1/appeals",
        headers=key,
        json={
            "subject": "https://t.me/kanal_dakwah_damai",
            "owner_id": "owner-9",
            "statement": "Kanal kami kanal dakwah damai; pesan itu kutipan berita.",
        },
    )
    assert r.status_code == 201, r.text
    appeal_id = r.json()["appeal_id"]
    assert client.get(f"/api/v1/cases/{case_id}").json()["status"] == "appealed"
    r = client.post(
        f"/api/v1/appeals/{appeal_id}/decision", headers=h, json={"grant": True, "reason": "ok"}
    )
    assert r.status_code == 403

    other = TestClient(client.app, base_url="https://testserver")
    user(factory, "lead@ronda.test", role="lead")
    h2 = login(other, "lead@ronda.test")
    r = other.post(
        f"/api/v1/appeals/{appeal_id}/decision",
        headers=h2,
        json={"grant": True, "reason": "Kutipan berita, bukan propaganda."},
    )
    assert r.status_code == 200 and r.json()["status"] == "granted"
    jobs.run_due(factory)
    restore = [b for b in platform.applied.values() if b.get("type") == "restore"]
    assert len(restore) == 1 and restore[0]["subject"] == "https://t.me/kanal_dakwah_damai"
    detail = other.get(f"/api/v1/cases/{case_id}").json()
    assert detail["status"] == "decided"
    assert [a["kind"] for a in detail["actions"]] == ["block_channel", "restore"]
    assert [e["action"] for e in detail["history"]][-1] == "case.appeal_decided"


def test_rejected_reports_lower_a_reporters_weight(factory, settings):
    with session_scope(factory) as s:
        for i in range(10):
            rep = reports.receive_report(
                s,
                settings=settings,
                link=f"t.me/kanal_nomor_{i:03d}",
                category="hate",
                text="",
                reporter_id="noisy",
            )
            rep.outcome = "rejected"
        assert reports.reporter_trust(s, "noisy") == pytest.approx(1 / 12)
        low = reports.receive_report(
            s,
            settings=settings,
            link="t.me/kanal_uji_satu",
            category="hate",
            text="",
            reporter_id="noisy",
        )
        high = reports.receive_report(
            s,
            settings=settings,
            link="t.me/kanal_uji_dua",
            category="hate",
            text="",
            reporter_id="fresh",
        )
        from ronda.detection.models import Case

        assert s.get(Case, high.case_id).priority > s.get(Case, low.case_id).priority


def test_report_api_access_and_bad_input(client, factory):
    key = platform_key(factory)
    from tests.support import factories

    authority_key = factories.authority(factory)
    body = {"subject": "t.me/kanal_uji_satu", "category": "hate", "reporter_id": "u"}
    assert client.post("/api/v1/reports", json=body).status_code == 401
    assert (
        client.post(
            "/api/v1/reports", headers={"Authorization": f"Bearer {authority_key}"}, json=body
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/v1/reports", headers=key, json={**body, "subject": "https://t.me/share/url?x"}
    )
    assert bad.status_code == 422 and "reserved" in bad.json()["detail"]
    assert (
        client.post(
            "/api/v1/reports", headers=key, json={**body, "category": "rudeness"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/appeals",
            headers=key,
            json={"subject": "t.me/kanal_uji_satu", "owner_id": "o", "statement": "x"},
        ).status_code
        == 404
    )
    assert json.loads(client.post("/api/v1/reports", headers=key, json=body).text)["case_id"]
