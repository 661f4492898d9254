"""In Chromium, without logging in: the public /transparency page draws its
charts from the same figures as its JSON downloads, and shows every table."""

from __future__ import annotations

import httpx
import pytest

from tests.transparency.seed import seed

pytest_plugins = ["tests.support.browser", "tests.support.platform"]
pytestmark = pytest.mark.browser

PERIOD = "since=2026-01-01&until=2026-03-31"


@pytest.fixture(params=["sqlite"])
def db_url(request, sqlite_url):
    return sqlite_url


def test_charts_and_tables_match_the_data(
    live_server, page, factory, settings, platform, monkeypatch
):
    seed(factory, settings, monkeypatch)
    data = {
        name: httpx.get(f"{live_server.url}/transparency/{name}.json?{PERIOD}").json()["rows"]
        for name in ("daily", "authorities", "orders_daily", "appeals_daily", "category")
    }
    page.goto(f"{live_server.url}/transparency?{PERIOD}")
    assert page.title().startswith("Transparansi")  # the browser asks for Indonesian
    assert page.locator("h2", has_text="Perintah instansi").count() == 1
    assert page.locator("h2", has_text="Banding dan pembatalan tindakan").count() == 1

    # the daily chart: one bar per day with its figure; the tallest bar is the busiest day
    bars = page.locator("svg.chart").first.locator("rect")
    assert bars.count() == len(data["daily"])
    titles = [bars.nth(i).locator("title").text_content() for i in range(bars.count())]
    assert titles == [f"{r['day']}: {r['actions']}" for r in data["daily"]]
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(bars.count())]
    busiest = max(range(len(data["daily"])), key=lambda i: data["daily"][i]["actions"])
    assert heights[busiest] == max(heights) == 100

    # the authority chart: items and actioned per authority, labelled with the figures
    chart = page.locator("svg#authority-chart")
    assert chart.locator("rect.items").count() == len(data["authorities"]) == 2
    labels = chart.locator("text").all_text_contents()
    for row in data["authorities"]:
        assert row["authority"] in labels
        assert f"{row['actioned']} / {row['items']}" in labels
    widest = max(data["authorities"], key=lambda r: r["items"])
    index = data["authorities"].index(widest)
    assert float(chart.locator("rect.items").nth(index).get_attribute("width") or 0) == 300

    # every table: its rows and its cells are the JSON's
    for name in ("authorities", "orders_daily", "appeals_daily", "category"):
        rows = page.locator(f"#table-{name} tbody tr")
        assert rows.count() == len(data[name]), name
        first = rows.first.locator("td").all_inner_texts()
        assert first == ["-" if v is None else str(v) for v in data[name][0].values()], name
    body = page.inner_text("main")
    assert "reporter-77" not in body and "t.me/" not in body and "mod@ronda.test" not in body
    # the downloads are linked from the page
    assert page.locator("a[href^='/transparency/authorities.csv']").count() == 1
