"""``POST /api/v1/content``: who may send, per-post results, limits."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support import factories

from ronda.accounts import service as accounts
from ronda.db import session_scope
from ronda.detection.models import Case, Post
from ronda.web.app import create_app

GAMBLING = "SLOT GACOR hari ini!! depo 10rb langsung MAXWIN, daftar sekarang bosku"
CLEAN = "Besok kita rapat RT jam tujuh malam di balai warga"


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def platform_key(factory) -> str:
    with session_scope(factory) as s:
        return accounts.issue_api_key(s, name="platform feed", kind="platform").secret


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post(post_id: int, text: str, **extra) -> dict:
    return {"post_id": post_id, "channel": "@Kanal_API", "text": text, **extra}


def test_a_platform_key_sends_posts_and_gets_signals_and_cases(client, factory):
    key = platform_key(factory)
    r = client.post(
        "/api/v1/content",
        headers=auth(key),
        json=[post(1, GAMBLING, views=10), post(2, CLEAN), {"post_id": 3}],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["posts"], body["scanned"], body["failed"]) == (3, 2, 1)
    gambling, clean, bad = body["results"]
    assert gambling["canonical"] == "https://t.me/kanal_api/1" and gambling["language"]
    sig = next(s for s in gambling["signals"] if s["detector"] == "rules")
    assert sig["category"] == "gambling" and sig["flagged"] and sig["source"] == "text"
    assert sig["version"] == body["detectors"]["rules"]
    case = next(c for c in gambling["cases"] if c["category"] == "gambling")
    assert case["opened"] is True and case["status"] == "new"
    assert body["cases_opened"] == len(gambling["cases"])
    assert not any(s["flagged"] for s in clean["signals"] if s["detector"] == "rules")
    assert bad["index"] == 2 and "missing field 'channel'" in bad["error"]

    again = client.post("/api/v1/content", headers=auth(key), json=post(1, GAMBLING)).json()
    assert again["posts"] == 1 and again["cases_opened"] == 0
    assert again["results"][0]["cases"] == [{**c, "opened": False} for c in gambling["cases"]]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == len(gambling["cases"])
        assert s.scalar(select(Post.source).where(Post.platform_post_id == 1)) == "api"


def test_who_may_send(client, factory):
    body = post(1, GAMBLING)
    assert client.post("/api/v1/content", json=body).status_code == 401
    assert (
        client.post("/api/v1/content", headers=auth("rk_nope_nope"), json=body).status_code == 401
    )
    authority = factories.authority(factory)
    r = client.post("/api/v1/content", headers=auth(authority), json=body)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_staff_may_send_from_the_console(client, factory):
    factories.user(factory, "mod@ronda.test", "moderator")
    r = client.post(
        "/login",
        data={"email": "mod@ronda.test", "password": factories.PASSWORD},
        follow_redirects=False,
    )
    page = client.get(r.headers["location"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/api/v1/content", headers={"X-CSRF-Token": token}, json=post(5, GAMBLING))
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["cases"]


def test_limits(client, factory):
    key = platform_key(factory)
    many = [post(i, "halo") for i in range(1, 1002)]
    r = client.post("/api/v1/content", headers=auth(key), json=many)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    huge = [post(1, "a" * 16_000) for _ in range(400)]  # ~6.4 MB, over the 5 MiB body limit
    r = client.post("/api/v1/content", headers=auth(key), json=huge)
    assert r.status_code == 413
    r = client.post(
        "/api/v1/content",
        headers={**auth(key), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 422
    r = client.post("/api/v1/content", headers=auth(key), json=post(1, "x" * 20_000))
    assert r.status_code == 200 and "text" in r.json()["results"][0]["error"]


def test_media_by_hash_but_not_by_path(client, factory):
    key = platform_key(factory)
    r = client.post(
        "/api/v1/content",
        headers=auth(key),
        json=[
            post(1, "lihat", media=[{"md5": "9E107D9D372BB6826BD81D3542A419D6"}]),
            post(2, "lihat", media=[{"path": "/etc/passwd"}]),
            post(3, "lihat", media=[{"md5": "xyz"}]),
        ],
    )
    ok, by_path, bad_hash = r.json()["results"]
    assert ok["error"] is None
    assert "only by `ronda scan`" in by_path["error"]
    assert "md5 must be 32 hex digits" in bad_hash["error"]
    with factory() as s:
        media = s.scalar(select(Post.media).where(Post.platform_post_id == 1))
        assert media == [{"md5": "9e107d9d372bb6826bd81d3542a419d6"}]


def test_openapi_documents_the_post_schema(client):
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/content"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    single, many = body["oneOf"]
    assert {"post_id", "channel"} <= set(single["required"])
    assert many["maxItems"] == 1000
    assert "sha256" in single["properties"]["media"]["items"]["properties"]
