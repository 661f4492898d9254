"""Every published figure equals the one computed here from the audit log alone.

The seed (tests/transparency/seed.py) runs the real services on a controlled
clock. The expected figures below are computed from the audit entries only
(with zoneinfo for the local day), never through the transparency code.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ronda.accounts.models import Authority
from ronda.audit.models import AuditEvent
from ronda.cli.main import app
from ronda.transparency.service import bulletin
from ronda.web.app import create_app
from tests.transparency.seed import seed

pytest_plugins = ["tests.support.platform"]

JAKARTA = ZoneInfo("Asia/Jakarta")
SINCE, UNTIL = "2026-01-01", "2026-03-31"


def local(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def hrs(seconds: list[float]) -> float | None:
    # Exact equality with the page holds: the page reads the median from a histogram
    # (ronda.transparency.aggregates), which gives it exactly when the middle items are alone
    # in their buckets, as every seeded median's are. The interpolated case and its bound are
    # tested in test_aggregates.py.
    return round(statistics.median(seconds) / 3600, 2) if seconds else None


class Log:
    """The audit log, read once, with the few lookups the expectations need."""

    def __init__(self, factory: Any) -> None:
        with factory() as s:
            self.events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            self.names = {a.slug: a.name for a in s.scalars(select(Authority))}

    def of(self, action: str) -> list[AuditEvent]:
        return [e for e in self.events if e.action == action]

    def bans(self) -> list[AuditEvent]:
        return [e for e in self.of("action.succeeded") if e.data["kind"] != "restore"]

    def orders(self) -> dict[str, dict[str, Any]]:
        """tracking number -> what the log says about the order and its items."""
        out: dict[str, dict[str, Any]] = {}
        for e in self.of("takedown.received"):
            out[e.object_id] = {
                "authority": self.names[e.data["authority"]],
                "at": e.at,
                "deadline": datetime.fromisoformat(e.data["deadline"]),
                "items": e.data["items"],
                "legal_basis": e.data["legal_basis"],
                "categories": e.data["categories"],
                "outcomes": [],
            }
        for e in self.of("takedown.item_outcome"):
            out[e.object_id]["outcomes"].append((e.data["status"], e.at))
        return out

    def appeals(self) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for e in self.of("case.appealed"):
            out[e.data["appeal"]] = {"at": e.at, "case": e.object_id, "status": "pending"}
        for e in self.of("case.appeal_decided"):
            out[e.data["appeal"]].update(
                status="granted" if e.data["granted"] else "rejected", decided=e.at
            )
        return out

    def case_category(self) -> dict[str, str]:
        return {e.object_id: e.data["category"] for e in self.of("report.received")}


def expected_page(log: Log, now: datetime) -> dict[str, list[dict[str, Any]]]:
    bans = log.bans()
    daily = Counter(local(e.at) for e in bans)
    monthly = Counter(f"{local(e.at):%Y-%m}" for e in bans)
    out: dict[str, list[dict[str, Any]]] = {
        "daily": [{"day": d.isoformat(), "actions": n} for d, n in sorted(daily.items())],
        "monthly": [{"month": m, "actions": n} for m, n in sorted(monthly.items())],
    }
    for name in ("category", "source", "kind"):
        counts = Counter(e.data[name] or "other" for e in bans)
        out[name] = sorted(
            ({name: k, "actions": n} for k, n in counts.items()),
            key=lambda r: (-r["actions"], r[name]),
        )
    columns = ("actioned", "no_violation", "not_found", "already_removed", "rejected", "pending")
    by_authority: dict[str, dict[str, Any]] = {}
    timeline: dict[str, dict[str, dict[str, Any]]] = {"day": {}, "month": {}}
    for order in log.orders().values():
        status = Counter(s for s, _ in order["outcomes"])
        status["pending"] = order["items"] - len(order["outcomes"])
        row = by_authority.setdefault(
            order["authority"],
            {
                "orders": 0,
                "items": 0,
                **{c: 0 for c in columns},
                "to_action": [],
                "on": 0,
                "due": 0,
            },
        )
        row["orders"] += 1
        row["items"] += order["items"]
        for c in columns:
            row[c] += status[c]
        row["to_action"] += [
            (t - order["at"]).total_seconds() for s, t in order["outcomes"] if s == "actioned"
        ]
        row["on"] += sum(1 for _, t in order["outcomes"] if t <= order["deadline"])
        row["due"] += len(order["outcomes"]) + (status["pending"] if order["deadline"] < now else 0)
        for by in ("day", "month"):
            key = local(order["at"]).isoformat() if by == "day" else f"{local(order['at']):%Y-%m}"
            t = timeline[by].setdefault(
                key, {by: key, "orders": 0, "items": 0, **{c: 0 for c in columns}}
            )
            t["orders"] += 1
            t["items"] += order["items"]
            for c in columns:
                t[c] += status[c]
    out["authorities"] = [
        {
            "authority": name,
            "orders": r["orders"],
            "items": r["items"],
            **{c: r[c] for c in columns},
            "share_actioned_pct": pct(r["actioned"], r["items"]),
            "median_hours_to_action": hrs(r["to_action"]),
            "within_deadline_pct": pct(r["on"], r["due"]),
        }
        for name, r in sorted(by_authority.items())
    ]
    out["orders_daily"] = [timeline["day"][k] for k in sorted(timeline["day"])]
    out["orders_monthly"] = [timeline["month"][k] for k in sorted(timeline["month"])]
    for by, name in (("day", "appeals_daily"), ("month", "appeals_monthly")):
        rows: dict[str, dict[str, Any]] = {}

        def row(
            moment: datetime, by: str = by, rows: dict[str, dict[str, Any]] = rows
        ) -> dict[str, Any]:
            key = local(moment).isoformat() if by == "day" else f"{local(moment):%Y-%m}"
            return rows.setdefault(
                key,
                {by: key, "appeals": 0, "granted": 0, "rejected": 0, "pending": 0, "reversals": 0},
            )

        for appeal in log.appeals().values():
            r = row(appeal["at"])
            r["appeals"] += 1
            r[appeal["status"]] += 1
        for e in log.of("action.succeeded"):
            if e.data["kind"] == "restore":
                row(e.at)["reversals"] += 1
        out[name] = [rows[k] for k in sorted(rows)]
    return out


def test_page_tables_equal_the_audit_log(factory, settings, platform, monkeypatch):
    seed(factory, settings, monkeypatch)
    log = Log(factory)
    now = datetime.now(UTC)
    expected = expected_page(log, now)
    # the seed covers what it promises
    assert {e.data["kind"] for e in log.bans()} == {
        "remove_post",
        "block_channel",
        "withhold_channel",
        "ban_account",
    }
    assert {e.data["source"] for e in log.bans()} == {"order", "review", "detection"}
    assert {r["day"] for r in expected["daily"]} >= {"2026-01-31", "2026-02-01"}
    assert len(expected["authorities"]) == 2 and len(expected["orders_monthly"]) == 2
    with TestClient(create_app(settings, factory), base_url="https://testserver") as client:
        for table, rows in expected.items():
            got = client.get(f"/transparency/{table}.json", params={"since": SINCE, "until": UNTIL})
            assert got.status_code == 200, table
            assert got.json()["rows"] == rows, table
        page = client.get("/transparency", params={"since": SINCE, "until": UNTIL}).text
    for private in (
        "reporter-77",
        "owner-9",
        "mod@ronda.test",
        "lead@ronda.test",
        "t.me/",
        "Keberatan",
        "laporan pengguna",
    ):
        assert private not in page
    assert "Authority komdigi" in page and "Authority bnpt" in page


def test_bulletin_equals_the_audit_log_across_the_boundaries(
    factory, settings, platform, monkeypatch
):
    seed(factory, settings, monkeypatch)
    log = Log(factory)
    days = Counter(local(e.at) for e in log.bans())
    terror = Counter(local(e.at) for e in log.bans() if e.data["category"] == "terrorism")
    with factory() as s:
        for day in (date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 8)):
            month = sum(n for d, n in days.items() if d.month == day.month and d <= day)
            text = bulletin(s, day=day, lang="en")
            assert text.startswith(
                f"{days[day]} groups and channels banned on {day:%B}, {day.day}.\nTotal this month: {month}\n"
            )
        day = date(2026, 1, 31)
        assert bulletin(s, day=day, lang="en", category="terrorism").startswith(
            f"{terror[day]} terrorist bots and channels banned on January, 31."
        )
    # the 17:30 UTC ban on 31 January counts on 1 February in Jakarta
    assert days[date(2026, 2, 1)] >= 2 and days[date(2026, 1, 31)] == 1


def expected_report(log: Log, since: date, until: date, now: datetime) -> dict[str, Any]:
    def inside(moment: datetime) -> bool:
        return since <= local(moment) <= until

    orders = {k: o for k, o in log.orders().items() if inside(o["at"])}
    gov: dict[str, Counter[str]] = defaultdict(Counter)
    timing: dict[str, list[float]] = defaultdict(list)
    tco: Counter[str] = Counter()
    for order in orders.values():
        g = gov[order["authority"]]
        g["requests"] += 1
        g["items"] += order["items"]
        status = Counter(s for s, _ in order["outcomes"])
        g["removed_by_law" if order["legal_basis"] else "removed_by_policy"] += status["actioned"]
        g["not_found"] += status["not_found"]
        g["not_enough_information"] += status["rejected"]
        g["no_action_taken"] += status["no_violation"]
        g["already_removed"] += status["already_removed"]
        g["pending"] += order["items"] - len(order["outcomes"])
        timing[order["authority"]] += [
            (t - order["at"]).total_seconds() for s, t in order["outcomes"] if s == "actioned"
        ]
        if "terrorism" in order["categories"]:
            tco.update(status)
            tco["pending"] += order["items"] - len(order["outcomes"])
    columns = (
        "requests",
        "items",
        "removed_by_law",
        "removed_by_policy",
        "not_found",
        "not_enough_information",
        "no_action_taken",
        "already_removed",
        "pending",
    )
    government = [{"authority": a, **{c: gov[a][c] for c in columns}} for a in sorted(gov)]
    bans = [e for e in log.bans() if inside(e.at)]
    reported_cases = {e.object_id for e in log.of("report.received")}
    case_of_action = {str(e.object_id): e.data["case_id"] for e in log.of("action.requested")}
    own = Counter(
        (e.data["kind"], e.data["category"])
        for e in bans
        if e.data["source"] != "order" and str(case_of_action[e.object_id]) not in reported_cases
    )
    appeals = [a for a in log.appeals().values() if inside(a["at"])]
    categories = log.case_category()
    restores = [
        e for e in log.of("action.succeeded") if e.data["kind"] == "restore" and inside(e.at)
    ]
    reports = [e for e in log.of("report.received") if inside(e.at)]
    decided = {e.object_id: e.data for e in log.of("case.decided")}
    upheld = [
        decided[e.object_id]
        for e in reports
        if decided.get(e.object_id, {}).get("decision") not in (None, "no_violation")
    ]
    return {
        "orders": [
            {
                "authority": a,
                "orders": gov[a]["requests"],
                "items": gov[a]["items"],
                "median_hours_to_acknowledge": None,
                "median_hours_to_action": hrs(timing[a]),
            }
            for a in sorted(gov)
        ],
        "notices": {
            "received": len(reports),
            "by_category": dict(sorted(Counter(e.data["category"] for e in reports).items())),
            "acted_on": len(upheld),
            "acted_on_by_law": sum(1 for d in upheld if d["ground"].startswith("UU")),
            "acted_on_by_terms": sum(1 for d in upheld if not d["ground"].startswith("UU")),
            "rejected": sum(
                1 for e in reports if decided.get(e.object_id, {}).get("decision") == "no_violation"
            ),
        },
        "own_initiative": [
            {"kind": k, "category": c, "actions": n} for (k, c), n in sorted(own.items())
        ],
        "appeals": {
            "appeals": len(appeals),
            "granted": sum(1 for a in appeals if a["status"] == "granted"),
            "rejected": sum(1 for a in appeals if a["status"] == "rejected"),
            "pending": sum(1 for a in appeals if a["status"] == "pending"),
            "median_hours_to_decide": hrs(
                [(a["decided"] - a["at"]).total_seconds() for a in appeals if "decided" in a]
            ),
            "reversals": len(restores),
        },
        "tco": {
            "items_removed_by_order": tco["actioned"],
            "items_removed_by_own_measures": sum(
                1 for e in bans if e.data["category"] == "terrorism" and e.data["source"] != "order"
            ),
            "order_items_not_acted_on": {
                "no_violation": tco["no_violation"],
                "not_found": tco["not_found"],
                "already_removed": tco["already_removed"],
                "rejected": tco["rejected"],
                "pending": tco["pending"],
            },
            "complaints": sum(1 for a in appeals if categories.get(a["case"]) == "terrorism"),
            "complaints_granted": sum(
                1
                for a in appeals
                if categories.get(a["case"]) == "terrorism" and a["status"] == "granted"
            ),
            "complaints_rejected": sum(
                1
                for a in appeals
                if categories.get(a["case"]) == "terrorism" and a["status"] == "rejected"
            ),
            "reinstatements": sum(1 for e in restores if e.data["category"] == "terrorism"),
        },
        "government_requests": government,
    }


def test_reports_equal_the_audit_log(factory, settings, platform, monkeypatch, tmp_path):
    seed(factory, settings, monkeypatch)
    log = Log(factory)
    now = datetime.now(UTC)
    for period, since, until in (
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ):
        out = tmp_path / f"{period}.json"
        run = CliRunner().invoke(
            app, ["report", "--period", period, "--format", "json", "--out", str(out)]
        )
        assert run.exit_code == 0, run.output
        got = json.loads(out.read_text())
        want = expected_report(log, since, until, now)
        assert (got["since"], got["until"]) == (since.isoformat(), until.isoformat())
        art15 = got["dsa_article_15"]
        assert art15["orders"] == want["orders"], period
        assert {k: art15["notices"][k] for k in want["notices"]} == want["notices"], period
        assert art15["own_initiative"] == want["own_initiative"], period
        assert art15["appeals"] == want["appeals"], period
        assert got["tco_article_7"] == want["tco"], period
        assert got["government_requests"] == want["government_requests"], period
    # January in Jakarta: only the komdigi order of 31 January, one user report
    jan = json.loads((tmp_path / "2026-01.json").read_text())
    assert [r["authority"] for r in jan["government_requests"]] == ["Authority komdigi"]
    assert jan["government_requests"][0]["items"] == 4
    h1 = json.loads((tmp_path / "2026-H1.json").read_text())
    assert (
        h1["dsa_article_15"]["appeals"]["granted"] == 1
        and h1["dsa_article_15"]["appeals"]["rejected"] == 1
    )

    csv_run = CliRunner().invoke(app, ["report", "--period", "2026-H1", "--format", "csv"])
    assert csv_run.exit_code == 0
    lines = csv_run.stdout.splitlines()
    assert lines[0] == "section,row,value"
    assert "government_requests.removed_by_law,authority=Authority komdigi,2" in lines
    assert "tco_article_7.reinstatements,,1" in lines
    bad = CliRunner().invoke(app, ["report", "--period", "2026-H3"])
    assert bad.exit_code == 1 and "YYYY-H1/H2" in bad.stderr
