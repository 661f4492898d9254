"""The public transparency page: no login, counts only, CSV and JSON of every table."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from ronda.actions.models import Action
from ronda.db import session_scope
from ronda.transparency.service import count_success
from ronda.web.app import create_app


def test_public_page_and_downloads(factory, settings):
    with session_scope(factory) as s:
        for day, category, source, kind in [
            (20, "terrorism", "order", "block_channel"),
            (20, "terrorism", "review", "block_channel"),
            (21, "gambling", "detection", "withhold_channel"),
        ]:
            count_success(
                s,
                action=Action(
                    kind=kind,
                    category=category,
                    source=source,
                    succeeded_at=datetime(2027, 3, day, 5, 0, tzinfo=UTC),
                ),
                tz=settings.timezone,
            )
    with TestClient(create_app(settings, factory), base_url="https://testserver") as client:
        page = client.get("/transparency", params={"since": "2027-03-01", "until": "2027-03-31"})
        assert page.status_code == 200
        assert "<svg" in page.text and "2027-03-20: 2" in page.text
        assert "user:" not in page.text and "t.me/" not in page.text  # no people, no content
        got = client.get(
            "/transparency/category.json", params={"since": "2027-03-01", "until": "2027-03-31"}
        ).json()
        assert got["rows"] == [
            {"category": "terrorism", "actions": 2},
            {"category": "gambling", "actions": 1},
        ]
        rows = list(
            csv.DictReader(
                io.StringIO(
                    client.get(
                        "/transparency/source.csv",
                        params={"since": "2027-03-01", "until": "2027-03-31"},
                    ).text
                )
            )
        )
        assert {r["source"]: r["actions"] for r in rows} == {
            "order": "1",
            "review": "1",
            "detection": "1",
        }
        assert client.get("/transparency/nope.csv").status_code == 404
        assert client.get("/transparency", params={"since": "yesterday"}).status_code == 422
        backwards = client.get(
            "/transparency", params={"since": "2027-03-02", "until": "2027-03-01"}
        )
        assert backwards.status_code == 422 and "after until" in backwards.text
        too_long = client.get(
            "/transparency", params={"since": "2020-01-01", "until": "2027-03-01"}
        )
        assert too_long.status_code == 422 and "731 days" in too_long.text
