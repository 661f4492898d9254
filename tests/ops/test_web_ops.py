"""/metrics, /healthz, /readyz and request ids on the web roles, against both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from ronda.db import create_engine_for, make_sessionmaker, session_scope, utcnow
from ronda.detection.models import Case
from ronda.jobs import service as jobs
from ronda.takedowns.models import TakedownItem
from ronda.web.app import create_app
from tests.cases.test_cases import make_case
from tests.detection.test_content_api import platform_key
from tests.support import factories


@pytest.fixture
def client(factory, settings):
    settings.metrics_cache_seconds = 0.0  # every scrape reads the database afresh
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@jobs.handler("test.always_fails")
def _always_fails(session, job) -> None:
    raise RuntimeError("platform said no")


def test_metrics_report_queues_deadlines_outbox_and_scans(client, factory):
    make_case(factory, "https://t.me/kanal_satu/1", queue="id")
    make_case(factory, "https://t.me/kanal_dua/2", queue="id")
    make_case(factory, "https://t.me/kanal_tiga/3", category="hoax", queue="en", language="en")

    key = factories.authority(factory)
    r = client.post(
        "/api/v1/takedowns",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "links": [
                "https://t.me/kanal_lewat",
                "https://t.me/kanal_dekat",
                "https://t.me/kanal_aman",
            ]
        },
    )
    assert r.status_code == 201, r.text
    now = utcnow()
    with session_scope(factory) as s:
        s.execute(
            update(TakedownItem)
            .where(TakedownItem.canonical == "https://t.me/kanal_lewat")
            .values(deadline=now - timedelta(minutes=5))
        )
        s.execute(
            update(TakedownItem)
            .where(TakedownItem.canonical == "https://t.me/kanal_dekat")
            .values(escalated_at=now)
        )
        jobs.enqueue(s, kind="test.always_fails", key="metrics-1", payload={})
    assert jobs.run_due(factory, kinds=["test.always_fails"]) == (0, 1)

    before = samples(client.get("/metrics").text)
    platform = platform_key(factory)
    posted = client.post(
        "/api/v1/content",
        headers={"Authorization": f"Bearer {platform}"},
        json=[
            {
                "post_id": 1,
                "channel": "@kanal_metrik",
                "text": "daftar slot gacor maxwin deposit 10rb",
            },
            {"post_id": 2, "channel": "@kanal_metrik", "text": "selamat pagi semua"},
        ],
    )
    assert posted.status_code == 200, posted.text

    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    with factory() as s:
        expected = dict(
            s.execute(
                select(Case.queue, func.count()).where(Case.status == "new").group_by(Case.queue)
            ).all()
        )
    assert expected["id"] == 2 + 3 + 1  # the cases made here, the three items, the post
    assert got[("ronda_queue_depth", (("queue", "id"), ("status", "new")))] == expected["id"]
    assert got[("ronda_queue_depth", (("queue", "en"), ("status", "new")))] == 1
    assert got[("ronda_takedown_items_pending", (("state", "overdue"),))] == 1
    assert got[("ronda_takedown_items_pending", (("state", "near_deadline"),))] == 1
    assert got[("ronda_takedown_items_pending", (("state", "in_time"),))] == 1
    assert got[("ronda_takedown_next_deadline_seconds", ())] < 0
    failing = ("ronda_outbox_jobs", (("kind", "test.always_fails"), ("state", "failing")))
    assert got[failing] == 1
    assert got[("ronda_metrics_source_up", (("source", "database"),))] == 1
    scanned = ("ronda_posts_scanned_total", (("source", "api"),))
    assert got[scanned] - before.get(scanned, 0) == 2
    flagged = ("ronda_posts_flagged_total", (("source", "api"),))
    assert got[flagged] - before.get(flagged, 0) == 1
    outcome = (
        "ronda_outbox_deliveries_total",
        (("kind", "test.always_fails"), ("outcome", "failed")),
    )
    assert got[outcome] >= 1
    route = (
        "ronda_http_requests_total",
        (("method", "POST"), ("route", "/api/v1/content"), ("status", "2xx")),
    )
    assert got[route] >= 1


def test_metrics_token(factory, settings):
    settings.metrics_token = "s3cret-scrape"
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        assert c.get("/metrics").status_code == 403
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        ok = c.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert ok.status_code == 200 and "ronda_queue_depth" in ok.text


def test_health_and_readiness(client, tmp_path, settings):
    assert client.get("/healthz").json() == {
        "status": "ok",
        "role": "all",
        "version": client.get("/healthz").json()["version"],
    }
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}

    # A database nobody migrated: alive, but not ready, and it says what to do.
    empty = make_sessionmaker(create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(create_app(settings, empty), base_url="https://testserver") as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503
        assert "ronda db upgrade" in r.json()["checks"]["database"]
        # the process counters still come through; the database gauges say they are down
        metrics = samples(c.get("/metrics").text)
        assert metrics[("ronda_metrics_source_up", (("source", "database"),))] == 0


def test_request_ids(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>\n"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", hostile)


def test_roles_serve_only_their_part(factory, settings):
    with TestClient(
        create_app(settings, factory, role="api"), base_url="https://testserver"
    ) as api:
        assert api.get("/openapi.json").status_code == 200
        assert api.get("/api/v1/cases").status_code == 401
        assert api.get("/login").status_code == 404
        assert api.get("/transparency").status_code == 404
        assert api.get("/healthz").json()["role"] == "api"
    with TestClient(
        create_app(settings, factory, role="console"), base_url="https://testserver"
    ) as con:
        assert con.get("/login").status_code == 200
        assert con.get("/transparency").status_code == 200
        assert con.get("/api/v1/cases").status_code == 404
        assert con.get("/openapi.json").status_code == 404
        assert con.get("/readyz").status_code == 200
    with pytest.raises(ValueError, match="unknown web role"):
        create_app(settings, factory, role="everything")


def test_openapi_declares_the_error_body(client):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error", "detail"]
    op = schema["paths"]["/api/v1/takedowns"]["post"]
    for status in ("401", "403", "413", "422"):
        got = op["responses"][status]["content"]["application/json"]["schema"]
        assert got == {"$ref": "#/components/schemas/Error"}
    # an actual error matches the declared shape
    body = client.get("/api/v1/takedowns/TKD-2026-000001").json()
    assert set(body) >= {"error", "detail"}
