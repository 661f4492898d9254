"""Blind second reviews of a share of decisions; agreement per moderator; disputes to a lead."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ronda.accounts.models import User
from ronda.cases import quality
from ronda.cases import service as cases
from ronda.db import session_scope
from ronda.errors import Forbidden
from ronda.web.app import create_app
from tests.cases.test_cases import make_case, user
from tests.cases.test_cases_api import login


def test_sampling_is_stable_and_near_the_share():
    picks = [quality.sampled(i, 0.05) for i in range(20_000)]
    assert 0.04 < sum(picks) / len(picks) < 0.06
    assert picks == [quality.sampled(i, 0.05) for i in range(20_000)]
    assert not any(quality.sampled(i, 0.0) for i in range(100)) and all(
        quality.sampled(i, 1.0) for i in range(100)
    )


def test_blind_review_agreement_and_disputes(factory, settings):
    settings.qa_share = 1.0  # every decision is re-reviewed
    a = make_case(factory, "https://t.me/kanal_satu_aja/1", prio=90)
    b = make_case(factory, "https://t.me/kanal_dua_aja/2", prio=80)
    first = user(factory, "first@ronda.test")
    second = user(factory, "second@ronda.test")
    with session_scope(factory) as s:
        u = s.get(User, first.id)
        for _ in (a, b):
            case = cases.claim_next(s, settings=settings, user=u)
            cases.decide(
                s,
                case=case,
                user=u,
                decision="no_violation",
                ground="",
                statement_of_reasons="",
                settings=settings,
            )
        assert quality.next_for(s, user=u) is None  # nobody reviews their own decision
    with session_scope(factory) as s:
        u2 = s.get(User, second.id)
        r1 = quality.next_for(s, user=u2)
        quality.record(s, review_id=r1.id, user=u2, decision="no_violation")
        r2 = quality.next_for(s, user=u2)
        quality.record(s, review_id=r2.id, user=u2, decision="remove_post")
        with pytest.raises(Forbidden):
            quality.record(s, review_id=r2.id, user=s.get(User, first.id), decision="x")
        [row] = quality.agreement(s)
        assert (row.moderator, row.reviewed, row.agreed, row.rate) == (
            "user:first@ronda.test",
            2,
            1,
            0.5,
        )
        assert r2.status == "disputed"


def test_quality_pages(factory, settings):
    settings.qa_share = 1.0
    case_id = make_case(factory, "https://t.me/kanal_satu_aja/1")
    user(factory, "first@ronda.test")
    user(factory, "second@ronda.test")
    user(factory, "lead@ronda.test", role="lead")
    with TestClient(create_app(settings, factory), base_url="https://testserver") as client:
        h = login(client, "first@ronda.test")
        client.post("/api/v1/cases/next", headers=h)
        client.post(
            f"/api/v1/cases/{case_id}/decisions",
            headers=h,
            json={
                "decision": "remove_post",
                "ground": "UU ITE Pasal 27 ayat (2)",
                "statement_of_reasons": "Judi.",
            },
        )
        client.cookies.clear()
        h = login(client, "second@ronda.test")
        r = client.post("/review/qa/next", headers=h, follow_redirects=False)
        page = client.get(r.headers["location"]).text
        assert (
            "https://t.me/kanal_satu_aja/1" in page and "remove_post" not in page.split("<form")[0]
        )  # blind
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post(r.headers["location"], data={"csrf_token": token, "decision": "no_violation"})
        client.cookies.clear()
        login(client, "lead@ronda.test")
        page = client.get("/review/qa").text
        assert "user:first@ronda.test" in page and f"/review/cases/{case_id}" in page  # the dispute
