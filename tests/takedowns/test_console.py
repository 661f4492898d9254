"""Console pages: login, CSRF, the authority portal, the desk, escaping, languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ronda.takedowns.receive import receive_email
from ronda.web.app import create_app
from tests.support import factories


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def login(client: TestClient, email: str) -> str:
    r = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    return r.headers["location"]


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_public_authority_page_in_both_languages(client, settings):
    r = client.get("/authorities?lang=id")
    assert r.status_code == 200
    assert "Cara mengirim permintaan pemutusan akses" in r.text
    assert settings.desk_email in r.text and "/api/v1/takedowns" in r.text
    assert "4 jam" in r.text and "24 jam" in r.text
    r = client.get("/authorities?lang=en")
    assert "How to send a takedown order" in r.text and "4 hours" in r.text


def test_wrong_password_and_unknown_user(client, factory):
    factories.user(factory, "mod@ronda.test", "moderator")
    r = client.post("/login", data={"email": "mod@ronda.test", "password": "wrong password"})
    assert r.status_code == 401 and "wrong e-mail or password" in r.text
    r = client.post("/login", data={"email": "nobody@ronda.test", "password": "wrong password"})
    assert r.status_code == 401


def test_portal_send_order_and_watch_status(client, factory):
    factories.authority(factory)
    factories.user(factory, "officer@komdigi.go.id", "authority", authority_slug="komdigi")
    assert login(client, "officer@komdigi.go.id") == "/portal"
    page = client.get("/portal/new")
    token = csrf(page.text)
    # without the CSRF token the post is refused
    r = client.post("/portal/new", data={"text": "https://t.me/slot_gacor_maxwin88"})
    assert r.status_code == 403
    r = client.post(
        "/portal/new",
        data={
            "csrf_token": token,
            "submission_id": "abc123",
            "letter_number": "B-77/DJAI/11/2026",
            "legal_basis": "UU ITE Pasal 27 ayat (2)",
            "text": "https://t.me/slot_gacor_maxwin88",
        },
        files={"file": ("daftar.csv", b"link\nhttps://t.me/togel_hk_resmi/2201\n", "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    order_url = r.headers["location"]
    page = client.get(order_url)
    assert "B-77/DJAI/11/2026" in page.text
    assert (
        "https://t.me/slot_gacor_maxwin88" in page.text
        and "https://t.me/togel_hk_resmi/2201" in page.text
    )
    # a double submit (same form id) gives the same order
    r2 = client.post(
        "/portal/new",
        data={
            "csrf_token": token,
            "submission_id": "abc123",
            "letter_number": "B-77/DJAI/11/2026",
            "legal_basis": "UU ITE Pasal 27 ayat (2)",
            "text": "https://t.me/slot_gacor_maxwin88",
        },
        files={"file": ("daftar.csv", b"link\nhttps://t.me/togel_hk_resmi/2201\n", "text/csv")},
        follow_redirects=False,
    )
    assert r2.headers["location"].split("?")[0] == order_url.split("?")[0]
    listing = client.get("/portal")
    assert listing.text.count("TKD-") >= 1
    # the officer cannot open the desk
    assert client.get("/desk").status_code == 403


def test_portal_shows_only_own_orders(client, factory, settings):
    factories.authority(factory, "komdigi")
    factories.authority(factory, "bnpt", emails=["humas@bnpt.go.id"])
    factories.user(factory, "officer@bnpt.go.id", "authority", authority_slug="bnpt")
    other = receive_email(factory, settings=settings, data=factories.mail(), source="x").order
    login(client, "officer@bnpt.go.id")
    assert other.tracking_number not in client.get("/portal").text
    assert client.get(f"/portal/orders/{other.tracking_number}").status_code == 403


def test_desk_outcome_and_lead_only_actions(client, factory, settings):
    factories.authority(factory)
    factories.user(factory, "mod@ronda.test", "moderator")
    order = receive_email(
        factory, settings=settings, data=factories.mail(sender="x@gmail.example"), source="q"
    ).order
    login(client, "mod@ronda.test")
    page = client.get("/desk?status=quarantined")
    assert order.tracking_number in page.text
    token = csrf(page.text)
    # a moderator cannot assign a quarantined order (a lead's action)
    r = client.post(
        f"/desk/takedowns/{order.tracking_number}/assign",
        data={"csrf_token": token, "authority": "komdigi"},
    )
    assert r.status_code == 403
    open_order = receive_email(factory, settings=settings, data=factories.mail(), source="o").order
    page = client.get(f"/desk/takedowns/{open_order.tracking_number}")
    r = client.post(
        f"/desk/takedowns/{open_order.tracking_number}/items",
        data={
            "csrf_token": csrf(page.text),
            "canonical": open_order.items[0].canonical,
            "status": "actioned",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/desk/takedowns/{open_order.tracking_number}")
    assert "actioned" in page.text and "takedown.item_outcome" in page.text


def test_html_in_orders_is_shown_inert(client, factory, settings):
    factories.authority(factory)
    factories.user(factory, "lead@ronda.test", "lead")
    evil = factories.mail(
        subject='<script>alert("x")</script> Permintaan',
        body='Nomor: <img src=x onerror=alert(1)>\nhttps://t.me/slot_gacor_maxwin88 t.me/"><script>alert(2)</script>',
    )
    order = receive_email(factory, settings=settings, data=evil, source="evil").order
    login(client, "lead@ronda.test")
    page = client.get(f"/desk/takedowns/{order.tracking_number}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page or "&lt;img" in page


def test_console_language_per_user(client, factory):
    factories.user(factory, "lead@ronda.test", "lead", language="id")
    login(client, "lead@ronda.test")
    assert "Meja pemutusan akses" in client.get("/desk").text
    assert "Takedown desk" in client.get("/desk?lang=en").text


def test_logout_needs_csrf_and_ends_the_session(client, factory):
    factories.user(factory, "lead@ronda.test", "lead")
    login(client, "lead@ronda.test")
    page = client.get("/desk")
    assert client.post("/logout").status_code == 403
    r = client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/desk", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
