"""The CLI contracts: ``ronda intake --json``, ``ronda takedowns ...``, accounts."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ronda.cli.main import app
from tests.support import factories

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_intake_eml_prints_the_order_contract(factory, settings, tmp_path, smtp_server):
    factories.authority(factory)
    eml = tmp_path / "order.eml"
    eml.write_bytes(
        factories.mail(
            subject="SEGERA - konten terorisme",
            body="Nomor: B-5/BNPT/11/2026\nhttps://t.me/ansharud_daulah_id/7 t.me/c/1234567/89 https://t.me/iv?url=x",
        )
    )
    code, out, err = run("intake", str(eml), "--json")
    assert code == 0, err
    order = json.loads(out.strip().splitlines()[-1])
    for key in (
        "tracking_number",
        "authority",
        "letter_number",
        "urgent",
        "received_at",
        "deadline",
        "items",
        "unparsed",
    ):
        assert key in order
    assert order["authority"] == "komdigi"
    assert order["urgent"] is True
    assert order["letter_number"] == "B-5/BNPT/11/2026"
    assert [(i["canonical"], i["kind"], i["status"]) for i in order["items"]] == [
        ("https://t.me/ansharud_daulah_id/7", "post", "pending"),
        ("https://t.me/c/1234567/89", "private_post", "pending"),
    ]
    assert order["unparsed"][0]["raw"].startswith("https://t.me/iv")
    # acknowledged at once through the configured SMTP server
    assert any(order["tracking_number"] in m["Subject"] for m in smtp_server.wait_for(1))


def test_intake_csv_needs_an_authority(factory, settings, tmp_path):
    factories.authority(factory)
    csv = tmp_path / "daftar.csv"
    csv.write_text(
        "no;tautan;kategori\n1;https://t.me/slot_gacor_maxwin88;judi\n2;t.me/togel_hk_resmi/4;judi\n",
        encoding="cp1252",
    )
    code, _, err = run("intake", str(csv))
    assert code == 1 and "--authority" in err
    code, out, err = run("intake", str(csv), "--authority", "komdigi", "--json")
    assert code == 0, err
    order = json.loads(out)
    assert len(order["items"]) == 2 and order["authority"] == "komdigi"


def test_intake_with_authority_overrides_the_sender(factory, settings, tmp_path):
    factories.authority(factory)
    eml = tmp_path / "fwd.eml"
    eml.write_bytes(factories.mail(sender="staf.pribadi@gmail.example"))
    code, out, _ = run("intake", str(eml), "--json")
    assert json.loads(out)["status"] == "quarantined"
    eml.write_bytes(factories.mail(sender="staf.pribadi@gmail.example"))
    code, out, _ = run("intake", str(eml), "--authority", "komdigi", "--json")
    assert code == 0 and json.loads(out)["status"] == "open"


def test_takedowns_list_show_due_outcome(factory, settings, tmp_path):
    factories.authority(factory)
    eml = tmp_path / "o.eml"
    eml.write_bytes(
        factories.mail(body="https://t.me/slot_gacor_maxwin88 https://t.me/togel_hk_resmi")
    )
    tracking = json.loads(run("intake", str(eml), "--json")[1])["tracking_number"]
    code, out, _ = run("takedowns", "list", "--json")
    assert code == 0 and json.loads(out)["tracking_number"] == tracking
    code, out, _ = run("takedowns", "due", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["canonical"] for r in rows} == {
        "https://t.me/slot_gacor_maxwin88",
        "https://t.me/togel_hk_resmi",
    }
    assert all(0 < r["seconds_left"] <= 24 * 3600 for r in rows)
    code, _, err = run(
        "takedowns", "outcome", tracking, "https://t.me/slot_gacor_maxwin88", "actioned"
    )
    assert code == 0, err
    code, out, _ = run("takedowns", "show", tracking, "--json")
    items = {i["canonical"]: i["status"] for i in json.loads(out)["items"]}
    assert items["https://t.me/slot_gacor_maxwin88"] == "actioned"
    code, _, err = run("takedowns", "show", "TKD-1999-000001")
    assert code == 1 and "no takedown order" in err


def test_user_and_authority_commands(factory, settings):
    code, out, err = run(
        "authority",
        "add",
        "bnpt",
        "--name",
        "Badan Nasional Penanggulangan Terorisme",
        "--email",
        "humas@bnpt.go.id",
        "--email",
        "Siber@BNPT.go.id",
        "--api-key",
    )
    assert code == 0, err
    assert "rk_" in out
    code, out, _ = run("authority", "list", "--json")
    assert json.loads(out)["emails"] == ["humas@bnpt.go.id", "siber@bnpt.go.id"]
    code, _, err = run("authority", "add", "bnpt", "--name", "x", "--email", "a@b.go.id")
    assert code == 1 and "already exists" in err
    code, _, err = run(
        "user",
        "add",
        "officer@bnpt.go.id",
        "--role",
        "authority",
        "--authority",
        "bnpt",
        "--password",
        "panjang sekali 123",
    )
    assert code == 0, err
    code, _, err = run(
        "user", "add", "x@ronda.test", "--role", "wizard", "--password", "panjang sekali 123"
    )
    assert code == 1 and "unknown role" in err
    code, _, err = run("user", "add", "y@ronda.test", "--password", "short")
    assert code == 1 and "10 characters" in err


def test_audit_verify_finds_edits_and_deletions(factory, settings, tmp_path):
    factories.authority(factory)
    eml = tmp_path / "o.eml"
    eml.write_bytes(factories.mail())
    run("intake", str(eml))
    code, out, _ = run("audit", "verify")
    assert code == 0 and "intact" in out
    from sqlalchemy import text

    with factory() as s:
        s.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2"))
        s.commit()
    code, out, _ = run("audit", "verify")
    assert code == 1 and "entry 2" in out and "edited" in out
    with factory() as s:
        s.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        s.commit()
    code, out, _ = run("audit", "verify")
    assert code == 1 and "missing" in out


def test_every_command_has_help():
    code, out, _ = run("--help")
    assert code == 0
    for cmd in (
        "intake",
        "takedowns",
        "user",
        "authority",
        "key",
        "serve",
        "worker",
        "audit",
        "db",
    ):
        assert cmd in out
        code, sub, _ = run(cmd, "--help")
        assert code == 0 and "Usage" in sub
