"""Choosing the deadline row: categories first, urgency never weakened."""

from __future__ import annotations

from ronda.config import DEFAULT_POLICIES, DeadlinePolicy
from ronda.takedowns.deadlines import choose_policy, is_urgent

TABLE = [
    DeadlinePolicy(name="gambling_normal", hours=48, urgent=False, categories=["gambling"]),
    *DEFAULT_POLICIES,
]


def test_category_row_applies_to_normal_orders():
    assert choose_policy(TABLE, urgent=False, categories=["gambling"]).name == "gambling_normal"


def test_an_urgent_order_never_takes_a_normal_row():
    got = choose_policy(TABLE, urgent=True, categories=["gambling"])
    assert got.urgent and got.hours <= 4


def test_urgent_categories_and_the_legal_defaults():
    assert is_urgent(flagged=False, categories=["terrorism"])
    assert choose_policy(TABLE, urgent=True, categories=["terrorism"]).hours == 4
    assert choose_policy(TABLE, urgent=True, categories=["eu_removal_order"]).hours == 1
    assert choose_policy([], urgent=True, categories=[]).hours == 4
    assert choose_policy([], urgent=False, categories=["hoax"]).hours == 24
