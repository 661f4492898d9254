"""Report periods: a year, a half, a quarter or a month, as first and last local day."""

from __future__ import annotations

from datetime import date

import pytest

from ronda.errors import BadInput
from ronda.transparency.report import parse_period


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-h2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_periods(text, first, last):
    assert parse_period(text) == (first, last)


@pytest.mark.parametrize("text", ["2026-H3", "2026-Q5", "2026-13", "2026-00", "26", "2026/01", ""])
def test_bad_periods_say_what_is_accepted(text):
    with pytest.raises(BadInput) as raised:
        parse_period(text)
    assert "2026" in raised.value.message or "YYYY" in raised.value.message
