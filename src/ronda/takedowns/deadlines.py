"""Legal deadlines from the policy table in the settings.

Permenkominfo 5/2020: 1 x 24 hours for a normal order, at most 4 hours for an
urgent one (terrorism, child sexual abuse, public order). The EU TCO
Regulation asks one hour for removal orders. The table is configuration; the
first matching row wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ronda.config import DeadlinePolicy

URGENT_CATEGORIES = frozenset({"terrorism", "csam", "public_order", "eu_removal_order"})


def choose_policy(
    policies: Sequence[DeadlinePolicy], *, urgent: bool, categories: Iterable[str]
) -> DeadlinePolicy:
    """The first row naming one of the order's categories, else the first
    category-less row of the order's urgency, else the legal default.

    An urgent order only takes urgent rows: a row written for a category's
    normal orders (say, 48 hours for gambling) must not stretch an order the
    authority marked urgent past the urgent deadline.
    """
    cats = set(categories)
    for policy in policies:
        if urgent and not policy.urgent:
            continue
        if policy.categories and cats.intersection(policy.categories):
            return policy
    for policy in policies:
        if not policy.categories and policy.urgent == urgent:
            return policy
    hours = 4.0 if urgent else 24.0
    return DeadlinePolicy(name="urgent" if urgent else "normal", hours=hours, urgent=urgent)


def is_urgent(*, flagged: bool, categories: Iterable[str]) -> bool:
    return flagged or bool(URGENT_CATEGORIES.intersection(categories))


def deadline_for(received_at: datetime, policy: DeadlinePolicy) -> datetime:
    return received_at + timedelta(hours=policy.hours)


def escalation_time(start: datetime, deadline: datetime, share: float) -> datetime:
    """When ``share`` of the time between ``start`` and ``deadline`` is gone."""
    return start + (deadline - start) * share
