"""In Chromium, with htmx and without JavaScript: filters, the live queue, take-next,
deciding, ticking countdowns and images blurred until clicked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ronda.db import session_scope
from ronda.db.base import utcnow
from ronda.detection.models import Case
from ronda.web.render import HTMX
from tests.cases.test_case_images import scan_post
from tests.cases.test_cases import make_case, user
from tests.support import factories

pytest_plugins = ["tests.support.browser", "tests.support.platform"]
pytestmark = pytest.mark.browser


@pytest.fixture(params=["sqlite"])
def db_url(request, sqlite_url):
    return sqlite_url


@pytest.fixture(autouse=True)
def _htmx_installed():
    if not HTMX.is_file():
        pytest.fail(f"{HTMX} is missing: run scripts/bootstrap (it installs htmx with npm ci)")


def login(page, url, email):
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def mark(page):
    """A value that survives htmx swaps but not a full page load."""
    page.evaluate("window.__same_page = 42")


def same_page(page) -> bool:
    return page.evaluate("window.__same_page") == 42


def set_deadline(factory, case_id, delta):
    with session_scope(factory) as s:
        s.get(Case, case_id).deadline = utcnow() + delta


def test_htmx_filters_refresh_take_next_and_decide(live_server, page, factory, settings, platform):
    settings.review_refresh_seconds = 1
    first = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    make_case(factory, "https://t.me/kanal_hoaks_aja/8", category="hoax", prio=20)
    user(factory, "mod@ronda.test")
    login(page, live_server.url, "mod@ronda.test")
    page.goto(f"{live_server.url}/review")
    assert page.evaluate("typeof window.htmx") == "object"
    mark(page)

    # a filter swaps the table and puts the filter in the address bar
    page.select_option("select[name=category]", "hoax")
    page.wait_for_url(re.compile(r".*category=hoax.*"))
    page.wait_for_function(
        "!document.querySelector('#queue-table').textContent.includes('kanal_judi_besar')"
    )
    assert "kanal_hoaks_aja" in page.inner_text("#queue-table")
    assert same_page(page)

    # the queue refreshes itself: a new case shows up without a reload
    make_case(factory, "https://t.me/kanal_hoaks_baru/9", category="hoax", prio=30)
    page.wait_for_selector("#queue-table >> text=kanal_hoaks_baru", timeout=5_000)
    assert same_page(page)

    # take next ("t"), sent by htmx with the CSRF header: the case page swaps in
    page.select_option("select[name=category]", "")
    page.keyboard.press("t")
    page.wait_for_url(re.compile(rf".*/review/cases/{first}$"))
    page.wait_for_selector("#decision-form")
    assert same_page(page) and "Case" in page.title()

    # decide with the keyboard; the result swaps in, the action is written
    page.keyboard.press("r")
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/review/next-form$"))
    page.wait_for_selector("text=Decision saved.")
    assert same_page(page)
    with factory() as s:
        case = s.get(Case, first)
        assert case.status == "decided" and case.decision == "remove_post"
    # and the next case is one key away
    page.keyboard.press("t")
    page.wait_for_url(re.compile(r".*/review/cases/\d+$"))
    assert same_page(page)
    # back and forward still give whole, working pages (no htmx history cache)
    page.go_back()
    page.wait_for_url(re.compile(r".*/review/next-form$"))
    page.wait_for_selector("text=Decision saved.")


def test_countdowns_tick_and_turn_overdue(live_server, page, factory, settings):
    # The queue's own refresh would bring the server's (real) time back when the fake clock
    # jumps five minutes: keep it out of this test, which is about the countdowns alone.
    settings.review_refresh_seconds = 86_400
    near = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    far = make_case(factory, "https://t.me/kanal_judi_kecil/8", prio=20)
    set_deadline(factory, near, timedelta(seconds=150))
    set_deadline(factory, far, timedelta(hours=3, minutes=12, seconds=40))
    user(factory, "mod@ronda.test")
    login(page, live_server.url, "mod@ronda.test")
    page.clock.install(time=datetime.now(UTC))
    page.goto(f"{live_server.url}/review")
    cells = page.locator("#queue-table .countdown")
    assert cells.nth(0).inner_text() == "2 min left"
    assert "near" in cells.nth(0).get_attribute("class")
    assert cells.nth(1).inner_text() == "3 h 12 min left"
    page.clock.fast_forward("05:00")
    page.wait_for_function(
        "document.querySelectorAll('#queue-table .countdown')[0].textContent === 'overdue 2 min'"
    )
    assert "overdue" in cells.nth(0).get_attribute("class")
    assert "late" in page.locator("#queue-table tbody tr").nth(0).get_attribute("class")
    assert cells.nth(1).inner_text() == "3 h 7 min left"
    # on the case page too, in Indonesian for an Indonesian reader
    page.goto(f"{live_server.url}/review/cases/{far}?lang=id")
    assert re.fullmatch(r"sisa 3 j \d+ mnt", page.inner_text("dl.facts .countdown"))


def test_image_blurred_and_grey_until_clicked(live_server, page, factory, settings, tmp_path):
    settings.evidence_dir = str(tmp_path / "evidence")
    case_id, _ = scan_post(factory, settings, tmp_path)
    user(factory, "mod@ronda.test")
    login(page, live_server.url, "mod@ronda.test")
    page.goto(f"{live_server.url}/review/cases/{case_id}")
    img = page.locator("figure.media img")
    img.wait_for()
    page.wait_for_function("document.querySelector('figure.media img').naturalWidth === 120")
    style = "el => getComputedStyle(el).filter"
    assert "blur" in img.evaluate(style) and "grayscale" in img.evaluate(style)
    page.click("figure.media")
    assert img.evaluate(style) == "none"
    assert page.get_attribute("figure.media", "aria-pressed") == "true"
    page.click("figure.media")  # and hidden again
    assert "blur" in img.evaluate(style)
    # nothing of the hostile file name or channel title ran or became markup
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src=x]").count() == 0


def test_the_whole_path_without_javascript(
    live_server, browser, factory, settings, tmp_path, platform
):
    settings.evidence_dir = str(tmp_path / "evidence")
    case_id, _ = scan_post(factory, settings, tmp_path)
    make_case(factory, "https://t.me/kanal_hoaks_aja/8", category="hoax", prio=1)
    set_deadline(factory, case_id, timedelta(hours=2, minutes=30, seconds=30))
    user(factory, "mod@ronda.test")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live_server.url, "mod@ronda.test")
        page.goto(f"{live_server.url}/review")
        # the filter form is a plain GET
        page.select_option("select[name=category]", "hoax")
        page.click("#queue-filters button[type=submit]")
        page.wait_for_url(re.compile(r".*category=hoax.*"))
        assert "kanal_hoaks_aja" in page.inner_text("#queue-table")
        assert "slot_gacor_maxwin88" not in page.inner_text("#queue-table")
        page.goto(f"{live_server.url}/review?category=gambling")
        assert "2 h 30 min left" in page.inner_text("#queue-table")
        # take next: a plain form post, then the case page
        page.click("button[data-key=t]")
        page.wait_for_url(re.compile(rf".*/review/cases/{case_id}$"))
        # the image: blurred, with a "show image" link to the clean file
        link = page.locator("figure.media a.show-image")
        href = link.get_attribute("href")
        assert href == f"/review/cases/{case_id}/media/0"
        with page.expect_response(re.compile(r".*/media/0$")) as got:
            link.click()
        assert got.value.status == 200 and got.value.headers["content-type"] == "image/png"
        page.goto(f"{live_server.url}/review/cases/{case_id}")
        page.check("input[value=remove_post]")
        page.click("#decision-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/review/next-form$"))
        assert "Decision saved." in page.inner_text("main")
    finally:
        context.close()
    with factory() as s:
        assert s.get(Case, case_id).decision == "remove_post"
    # the image route is for staff: nothing for an anonymous client
    r = httpx.get(f"{live_server.url}/review/cases/{case_id}/media/0", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
