"""The takedown API: acknowledgment, idempotency, visibility, limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from ronda.web.app import create_app
from tests.support import factories


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_post_order_is_acknowledged_at_once(client, factory):
    key = factories.authority(factory)
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={
            "letter_number": "B-1/DJAI/11/2026",
            "legal_basis": "UU ITE Pasal 27 ayat (2)",
            "links": [
                "https://t.me/slot_gacor_maxwin88",
                "t.me/slot_gacor_maxwin88?single",
                "not a link",
            ],
            "text": "juga @togel_hk_resmi dan hxxps://t[.]me/rtp_live_hariini/5",
        },
    )
    assert r.status_code == 201, r.text
    ack = r.json()
    assert ack["tracking_number"].startswith("TKD-")
    assert ack["items"] == 3 and ack["unparsed"] == 1
    assert ack["status"] == "open" and ack["created"] is True
    received = datetime.fromisoformat(ack["received_at"])
    assert datetime.fromisoformat(ack["deadline"]) - received == timedelta(hours=24)

    got = client.get(f"/api/v1/takedowns/{ack['tracking_number']}", headers=auth(key)).json()
    assert got["letter_number"] == "B-1/DJAI/11/2026"
    assert {i["canonical"] for i in got["items"]} == {
        "https://t.me/slot_gacor_maxwin88",
        "https://t.me/togel_hk_resmi",
        "https://t.me/rtp_live_hariini/5",
    }
    assert all(i["status"] == "pending" for i in got["items"])


def test_urgent_field_and_terrorism_category(client, factory):
    key = factories.authority(factory)
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"links": ["t.me/ansharud_daulah_id"], "categories": ["terrorism"]},
    )
    ack = r.json()
    assert ack["urgent"] is True
    assert datetime.fromisoformat(ack["deadline"]) - datetime.fromisoformat(
        ack["received_at"]
    ) == timedelta(hours=4)
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"links": ["t.me/kanal_biasa_saja"], "urgent": True},
    )
    assert r.json()["urgent"] is True


def test_idempotency_key(client, factory):
    key = factories.authority(factory)
    body = {"links": ["https://t.me/slot_gacor_maxwin88"]}
    h = {**auth(key), "Idempotency-Key": "B-7-2026"}
    first = client.post("/api/v1/takedowns", headers=h, json=body)
    second = client.post("/api/v1/takedowns", headers=h, json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["tracking_number"] == second.json()["tracking_number"]
    other = client.post(
        "/api/v1/takedowns", headers=h, json={"links": ["https://t.me/lain_kanal_lagi"]}
    )
    assert other.status_code == 409
    assert other.json()["error"] == "conflict"


def test_an_authority_sees_only_its_own_orders(client, factory):
    key_a = factories.authority(factory, "komdigi")
    key_b = factories.authority(factory, "bnpt")
    tracking = client.post(
        "/api/v1/takedowns", headers=auth(key_a), json={"links": ["t.me/slot_gacor_maxwin88"]}
    ).json()["tracking_number"]
    r = client.get(f"/api/v1/takedowns/{tracking}", headers=auth(key_b))
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"
    assert (
        client.get(f"/api/v1/takedowns/{tracking}/report", headers=auth(key_b)).status_code == 403
    )
    assert client.get("/api/v1/takedowns", headers=auth(key_b)).json() == []
    assert [
        o["tracking_number"] for o in client.get("/api/v1/takedowns", headers=auth(key_a)).json()
    ] == [tracking]
    # an authority cannot record outcomes
    r = client.post(
        f"/api/v1/takedowns/{tracking}/items",
        headers=auth(key_a),
        json={"canonical": "https://t.me/slot_gacor_maxwin88", "status": "actioned"},
    )
    assert r.status_code == 403


def test_bad_requests_are_clear(client, factory):
    key = factories.authority(factory)
    assert client.post("/api/v1/takedowns", json={"links": ["t.me/abcde"]}).status_code == 401
    assert (
        client.post("/api/v1/takedowns", headers=auth("rk_nope_nope"), json={}).status_code == 401
    )
    r = client.post("/api/v1/takedowns", headers=auth(key), json={})
    assert r.status_code == 422 and "text" in r.json()["detail"]
    r = client.post(
        "/api/v1/takedowns",
        headers={**auth(key), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 422
    r = client.post("/api/v1/takedowns", headers=auth(key), json={"links": ["x"], "surprise": 1})
    assert r.status_code == 422 and r.json()["problems"][0]["field"].endswith("surprise")
    big = {"text": "a" * (6 * 1024 * 1024)}
    r = client.post("/api/v1/takedowns", headers=auth(key), json=big)
    assert r.status_code == 413


def test_order_without_links_is_quarantined(client, factory):
    key = factories.authority(factory)
    r = client.post(
        "/api/v1/takedowns", headers=auth(key), json={"text": "Mohon blokir kanal judi itu."}
    )
    assert r.status_code == 201
    assert r.json()["status"] == "quarantined"
    assert "no Telegram link" in r.json()["quarantine_reason"]


def test_same_subject_in_two_open_orders_is_linked(client, factory, settings):
    key = factories.authority(factory)
    t1 = client.post(
        "/api/v1/takedowns", headers=auth(key), json={"links": ["t.me/slot_gacor_maxwin88"]}
    ).json()["tracking_number"]
    t2 = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"links": ["https://T.ME/Slot_Gacor_Maxwin88/"]},
    ).json()["tracking_number"]
    from ronda.takedowns import service

    with factory() as s:
        o1, o2 = service.get_order(s, t1), service.get_order(s, t2)
        assert o2.items[0].linked_item_id == o1.items[0].id
        service.set_outcome(s, item=o1.items[0], status="actioned", reason=None, actor="test")
        s.commit()
    with factory() as s:
        o2 = service.get_order(s, t2)
        assert o2.items[0].status == "actioned"
        assert o2.status == "closed"


def test_openapi_documents_the_takedown_api(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/takedowns" in schema["paths"]
    assert "/api/v1/takedowns/{tracking}" in schema["paths"]


def test_order_as_an_uploaded_file(client, factory):
    import io

    from openpyxl import Workbook

    key = factories.authority(factory)
    wb = Workbook()
    ws = wb.active
    ws.append(["No", "Tautan", "Kategori"])
    ws.append([1, "https://t.me/slot_gacor_maxwin88", "judi"])
    ws.append([2, "t.me/togel_hk_resmi/2201", "judi"])
    buf = io.BytesIO()
    wb.save(buf)
    files = {
        "file": (
            "daftar.xlsx",
            buf.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }
    r = client.post(
        "/api/v1/takedowns/files",
        headers=auth(key),
        files=files,
        data={"letter_number": "B-3/DJAI/11/2026", "legal_basis": "UU ITE Pasal 27 ayat (2)"},
    )
    assert r.status_code == 201, r.text
    ack = r.json()
    assert ack["items"] == 2 and ack["status"] == "open"
    got = client.get(f"/api/v1/takedowns/{ack['tracking_number']}", headers=auth(key)).json()
    assert got["letter_number"] == "B-3/DJAI/11/2026" and got["channel"] == "upload"
    bad = client.post(
        "/api/v1/takedowns/files",
        headers=auth(key),
        files={"file": ("x.csv", b"\x00\x01garbage\xff" * 50, "text/csv")},
    )
    assert (
        bad.status_code == 201
        and bad.json()["status"] == "quarantined"
        and bad.json()["unparsed"] == 1
    )


def test_the_same_body_twice_without_a_key_is_two_orders(client, factory):
    key = factories.authority(factory)
    body = {"links": ["t.me/slot_gacor_maxwin88"], "letter_number": None}
    a = client.post("/api/v1/takedowns", headers=auth(key), json=body).json()
    b = client.post("/api/v1/takedowns", headers=auth(key), json=body).json()
    assert a["tracking_number"] != b["tracking_number"]
    assert b["received_at"] >= a["received_at"]


def test_too_many_links_is_a_quarantined_order(client, factory, settings):
    key = factories.authority(factory)
    settings.limits.max_items_per_order = 2
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"links": ["t.me/kanal_satu_aja", "t.me/kanal_dua_aja", "t.me/kanal_tiga_aja"]},
    )
    assert r.status_code == 201
    ack = r.json()
    assert ack["status"] == "quarantined" and ack["items"] == 0
    assert "names 3 subjects; the limit is 2 per order" in ack["quarantine_reason"]


def test_a_followup_over_the_item_limit_is_held_not_joined(client, factory, settings):
    key = factories.authority(factory)
    settings.limits.max_items_per_order = 3
    letter = "B-77/DJAI/11/2026"
    first = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"letter_number": letter, "links": ["t.me/kanal_satu_aja", "t.me/kanal_dua_aja"]},
    ).json()
    assert first["status"] == "open" and first["items"] == 2
    # one new subject fits (3 of 3) and joins the order
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"letter_number": letter, "links": ["t.me/kanal_dua_aja", "t.me/kanal_tiga_aja"]},
    )
    assert r.status_code in (200, 201), r.text
    assert r.json()["tracking_number"] == first["tracking_number"]
    # two more would make 5: held in quarantine as a new order, the first unchanged
    r = client.post(
        "/api/v1/takedowns",
        headers=auth(key),
        json={"letter_number": letter, "links": ["t.me/kanal_empat_aja", "t.me/kanal_lima_aja"]},
    )
    assert r.status_code in (200, 201), r.text
    held = r.json()
    assert held["tracking_number"] != first["tracking_number"]
    assert held["status"] == "quarantined"
    assert f"follow-up to {first['tracking_number']}" in held["quarantine_reason"]
    assert "limit of 3 per order" in held["quarantine_reason"]
    got = client.get(f"/api/v1/takedowns/{first['tracking_number']}", headers=auth(key)).json()
    assert len(got["items"]) == 3
    assert "https://t.me/kanal_empat_aja" not in {i["canonical"] for i in got["items"]}
