"""Case priority: one documented function of severity, reach, confidence and time left.

    priority = severity + 20 * reach + 30 * confidence + deadline_pressure

- severity (0-100): the harm category's weight (SEVERITY; urgent-by-law
  categories highest, so a terrorism case outranks a gambling one of equal
  reach and confidence).
- reach (0-1): log10(1 + subscribers + views / 10) / 8, capped at 1, so a
  channel of 100 million subscribers counts 1 and one of 1,000 about 0.4.
- confidence (0-1): the strongest signal's score, raised by independent
  sources (each further source adds a share of what is left, weighted by that
  source's trust, e.g. a reporter's accuracy), capped at 1.
- deadline_pressure (0-120): 0 without a legal deadline; otherwise
  100 * exp(-hours_left / 6), and 120 once the deadline has passed, so at
  equal reach and confidence an order item due within the hour outranks a
  case of any category that has no deadline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SEVERITY: dict[str, float] = {
    "csam": 100.0,
    "terrorism": 90.0,
    "public_order": 70.0,
    "hate": 50.0,
    "scam": 45.0,
    "porn": 40.0,
    "gambling": 35.0,
    "hoax": 30.0,
    "spam": 10.0,
}
DEFAULT_SEVERITY = 25.0


def reach_of(subscribers: int | None, views: int | None) -> float:
    audience = max(subscribers or 0, 0) + max(views or 0, 0) / 10
    return min(math.log10(1 + audience) / 8, 1.0)


def confidence_of(max_score: float, source_trusts: Sequence[float] = ()) -> float:
    """The best score, raised by each further independent source by its trust (0-1)."""
    confidence = min(max(max_score, 0.0), 1.0)
    for trust in source_trusts:
        confidence += (1 - confidence) * 0.3 * min(max(trust, 0.0), 1.0)
    return min(confidence, 1.0)


def deadline_pressure(hours_left: float | None) -> float:
    if hours_left is None:
        return 0.0
    if hours_left <= 0:
        return 120.0
    return 100.0 * math.exp(-hours_left / 6)


def priority(
    *,
    category: str,
    subscribers: int | None = None,
    views: int | None = None,
    max_score: float = 0.0,
    source_trusts: Sequence[float] = (),
    hours_left: float | None = None,
) -> float:
    severity = SEVERITY.get(category, DEFAULT_SEVERITY)
    return round(
        severity
        + 20 * reach_of(subscribers, views)
        + 30 * confidence_of(max_score, source_trusts)
        + deadline_pressure(hours_left),
        4,
    )
