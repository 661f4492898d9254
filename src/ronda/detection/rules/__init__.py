"""Rules detector: policy terms and patterns per harm category (see docs/rules.md)."""

from ronda.detection.rules.engine import (
    CATEGORIES,
    CategoryResult,
    ExclusionHit,
    Hit,
    PolicyError,
    RuleResult,
    RuleSet,
)

__all__ = [
    "CATEGORIES",
    "CategoryResult",
    "ExclusionHit",
    "Hit",
    "PolicyError",
    "RuleResult",
    "RuleSet",
]
