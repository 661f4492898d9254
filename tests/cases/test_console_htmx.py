"""The console over plain HTTP: whole pages without JavaScript, fragments for htmx."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from ronda.db import session_scope
from ronda.db.base import utcnow
from ronda.detection.models import Case
from ronda.web.app import create_app
from ronda.web.render import time_left_text
from tests.cases.test_cases import make_case, user
from tests.support import factories

pytest_plugins = ["tests.support.platform"]

HX = {"HX-Request": "true"}


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def login(client, email) -> str:
    r = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/review").text).group(1)


def set_deadline(factory, case_id, delta):
    with session_scope(factory) as s:
        s.get(Case, case_id).deadline = utcnow() + delta


def test_time_left_text_in_both_languages():
    now = utcnow()
    assert time_left_text(now + timedelta(hours=3, minutes=12, seconds=30), now, "en") == (
        "3 h 12 min left"
    )
    assert time_left_text(now + timedelta(minutes=7), now, "en") == "7 min left"
    assert time_left_text(now - timedelta(minutes=20, seconds=5), now, "en") == "overdue 20 min"
    assert time_left_text(now - timedelta(hours=2, minutes=1), now, "id") == "terlambat 2 j 1 mnt"
    assert time_left_text(now + timedelta(hours=1), now, "id") == "sisa 1 j 0 mnt"


def test_queue_page_without_javascript_and_its_fragment(client, factory, settings):
    a = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    b = make_case(factory, "https://t.me/kanal_hoaks_aja/8", category="hoax", prio=20)
    set_deadline(factory, a, timedelta(minutes=-20, seconds=-30))
    set_deadline(factory, b, timedelta(hours=3, minutes=12, seconds=30))
    user(factory, "mod@ronda.test")
    login(client, "mod@ronda.test")

    page = client.get("/review")
    assert page.headers["vary"] == "HX-Request, HX-Target"
    html = page.text
    assert html.startswith("<!doctype html>") and 'id="queue-table"' in html
    # the countdowns read without JavaScript, with their ISO time for the script
    assert re.search(r'class="countdown overdue" data-deadline="[^"]+">overdue 20 min<', html)
    assert re.search(r'class="countdown ok" data-deadline="[^"]+">3 h 12 min left<', html)
    # plain GET form and POST forms work without htmx; htmx attributes only add to them
    assert 'method="get" action="/review"' in html and 'hx-get="/review"' in html
    assert 'hx-push-url="true"' in html
    assert 'hx-trigger="every 30s"' in html

    # filtering with htmx: the table alone
    frag = client.get(
        "/review", params={"category": "hoax"}, headers={**HX, "HX-Target": "queue-table"}
    )
    assert frag.status_code == 200
    assert "<html" not in frag.text and "<header" not in frag.text
    assert (
        'id="queue-table"' in frag.text
        and 'hx-get="/review?status=new&amp;category=hoax"' in frag.text
    )
    assert "kanal_hoaks_aja" in frag.text and "kanal_judi_besar" not in frag.text
    # the same filter without JavaScript: the whole page
    full = client.get("/review", params={"category": "hoax"}).text
    assert "<header" in full and "kanal_hoaks_aja" in full and "kanal_judi_besar" not in full
    # a history restore after a back button wants the whole page
    restore = client.get(
        "/review", headers={**HX, "HX-Target": "queue-table", "HX-History-Restore-Request": "true"}
    )
    assert "<header" in restore.text


def test_source_filter_and_bad_filters(client, factory, settings):
    from ronda.reports.models import Report

    a = make_case(factory, "https://t.me/kanal_dilapor_aja/7")
    make_case(factory, "https://t.me/kanal_lain_lagi/8")
    with session_scope(factory) as s:
        case = s.get(Case, a)
        s.add(
            Report(
                subject_id=case.subject_id,
                case_id=a,
                category="gambling",
                text="judi",
                reporter_id="r1",
                trust=1.0,
            )
        )
    user(factory, "mod@ronda.test")
    login(client, "mod@ronda.test")
    html = client.get("/review", params={"source": "report"}).text
    assert "kanal_dilapor_aja" in html and "kanal_lain_lagi" not in html
    assert "kanal_lain_lagi" not in client.get("/review", params={"source": "order"}).text
    r = client.get("/review", params={"source": "pigeon"})
    assert r.status_code == 422 and "unknown source" in r.text
    assert client.get("/review", params={"status": "bogus"}).status_code == 422


def test_take_next_and_decide_with_and_without_htmx(client, factory, settings, platform):
    a = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    b = make_case(factory, "https://t.me/kanal_judi_kecil/9", prio=10)
    user(factory, "mod@ronda.test")
    token = login(client, "mod@ronda.test")

    # without JavaScript: a form post and a 303
    r = client.post("/review/next", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/review/cases/{a}"

    # htmx: the CSRF header (hx-headers on <body>) and HX-Location into #main
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in client.get("/review").text
    r = client.post("/review/next", headers={**HX, "X-CSRF-Token": token})
    assert r.status_code == 200 and r.text == ""
    assert r.headers["hx-location"] == f'{{"path": "/review/cases/{b}", "target": "#main"}}'
    # without the token htmx is refused like any form
    assert client.post("/review/next", headers=HX).status_code == 403

    # the case page as a fragment for #main: its title and content, no layout
    frag = client.get(f"/review/cases/{b}", headers={**HX, "HX-Target": "main"}).text
    assert frag.startswith("<title>") and "<header" not in frag and "<html" not in frag
    assert f'hx-post="/review/cases/{b}/decide"' in frag and 'hx-target="#main"' in frag

    r = client.post(
        f"/review/cases/{b}/decide",
        headers={**HX, "X-CSRF-Token": token},
        data={
            "decision": "remove_post",
            "ground": "UU ITE Pasal 27 ayat (2)",
            "statement_of_reasons": "Promosi judi online.",
            "territorial_scope": "",
            "then": "next",
        },
    )
    assert r.status_code == 200 and '"/review/next-form"' in r.headers["hx-location"]
    # the decision form without htmx, on the first case
    r = client.post(
        f"/review/cases/{a}/decide",
        data={
            "csrf_token": token,
            "decision": "withhold_channel",
            "ground": "UU ITE Pasal 27 ayat (2)",
            "statement_of_reasons": "Promosi judi online.",
            "territorial_scope": "id, my",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/review/cases/{a}"
    page = client.get(f"/review/cases/{a}").text
    assert "ID,MY" in page


def test_htmx_errors_are_fragments_and_an_expired_login_reloads(client, factory, settings):
    a = make_case(factory, "https://t.me/kanal_judi_besar/7")
    user(factory, "mod@ronda.test")
    token = login(client, "mod@ronda.test")
    # deciding a case nobody gave you: the error page's content, for #main
    r = client.post(
        f"/review/cases/{a}/decide",
        headers={**HX, "HX-Target": "main", "X-CSRF-Token": token},
        data={"decision": "no_violation", "ground": "x", "statement_of_reasons": "y"},
    )
    assert r.status_code == 403 and "<header" not in r.text and "<title>" in r.text
    assert "<html" not in r.text
    client.cookies.clear()
    r = client.get(
        "/review",
        headers={
            **HX,
            "HX-Target": "queue-table",
            "HX-Current-URL": "https://testserver/review?category=hoax",
        },
    )
    assert r.status_code == 200 and r.headers["hx-redirect"] == "/login?next=/review"
