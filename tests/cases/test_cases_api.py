"""The cases API, with a console session (cookie + CSRF header)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ronda.web.app import create_app
from tests.cases.test_cases import make_case, user
from tests.support import factories

pytest_plugins = ["tests.support.platform"]


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def login(client, email) -> dict[str, str]:
    r = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/desk").text).group(1)
    return {"X-CSRF-Token": token}


def test_list_take_decide(client, factory, settings, platform):
    a = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    b = make_case(factory, "https://t.me/kanal_lain_lagi/8", category="hoax", prio=20)
    user(factory, "mod@ronda.test")
    h = login(client, "mod@ronda.test")
    page = client.get("/api/v1/cases", params={"limit": 1}).json()
    assert page["total"] == 2 and [c["id"] for c in page["items"]] == [a]
    assert client.get("/api/v1/cases", params={"category": "hoax"}).json()["items"][0]["id"] == b
    # POST without the CSRF header is refused
    assert client.post("/api/v1/cases/next").status_code == 403
    taken = client.post("/api/v1/cases/next", headers=h).json()
    assert (
        taken["id"] == a
        and taken["status"] == "in_review"
        and taken["assignee"] == "mod@ronda.test"
    )
    r = client.post(
        f"/api/v1/cases/{a}/decisions",
        headers=h,
        json={
            "decision": "withhold_channel",
            "ground": "UU ITE Pasal 27 ayat (2)",
            "statement_of_reasons": "Kanal mempromosikan judi online.",
            "territorial_scope": ["ID"],
        },
    )
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "decided" and got["actions"][0]["kind"] == "withhold_channel"
    assert [h["action"] for h in got["history"]] == ["case.claimed", "case.decided"]
    # deciding again is a conflict; another case cannot be decided without taking it
    assert (
        client.post(
            f"/api/v1/cases/{a}/decisions", headers=h, json={"decision": "no_violation"}
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/v1/cases/{b}/decisions", headers=h, json={"decision": "no_violation"}
        ).status_code
        == 409
    )


def test_claim_conflict_and_roles(client, factory, settings):
    c = make_case(factory)
    user(factory, "one@ronda.test")
    key = factories.authority(factory)
    # an authority's key cannot read cases
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"}).status_code == 403
    )
    assert client.get("/api/v1/cases").status_code == 401
    h = login(client, "one@ronda.test")
    assert client.post(f"/api/v1/cases/{c}/claim", headers=h).json()["status"] == "in_review"
    other = TestClient(client.app, base_url="https://testserver")
    user(factory, "two@ronda.test")
    h2 = login(other, "two@ronda.test")
    r = other.post(f"/api/v1/cases/{c}/claim", headers=h2)
    assert r.status_code == 409 and "someone else" in r.json()["detail"]
    assert client.get(f"/api/v1/cases/{c}").json()["assignee"] == "one@ronda.test"
    assert client.get("/api/v1/cases/999999").status_code == 404


def test_a_posts_case_links_to_its_channels_case(client, factory, settings):
    channel_case = make_case(factory, "https://t.me/kanal_judi_besar", prio=10)
    post_case = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=20)
    user(factory, "mod@ronda.test")
    login(client, "mod@ronda.test")
    assert client.get(f"/api/v1/cases/{post_case}").json()["channel_cases"] == [channel_case]
    assert client.get(f"/api/v1/cases/{channel_case}").json()["post_cases"] == [post_case]
    assert f'href="/review/cases/{channel_case}"' in client.get(f"/review/cases/{post_case}").text
