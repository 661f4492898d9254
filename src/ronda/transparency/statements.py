"""DSA Article 17 statements of reasons, in the EU Transparency Database's shape.

One statement per enforcement decision carried out (a succeeded action other
than a restore) in a period of local days. Each statement is checked here
against the rules of REGULATION.md (required fields, enumerations, lengths,
the puid pattern) before it is written; one that breaks a rule is reported
with the reason and left out, never silently written. The same rules are kept
as a JSON Schema in ``schemas/statement.schema.json`` (the tests validate every
exported statement against it).

The puid is ``ronda-`` and an HMAC of the action's id under the instance's
secret key: stable across exports, opaque, and not personal data. Field
mappings are documented in docs/transparency.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.detection.models import Case
from ronda.reports.models import Report
from ronda.subjects.models import Subject
from ronda.transparency.stats import utc_bounds

SCHEMA_PATH = Path(__file__).parent / "schemas" / "statement.schema.json"
BATCH_SIZE = 100  # the Transparency Database takes at most 100 statements per call

EU_EEA = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "IS",
    "LI",
    "NO",
]

#: Ronda's harm category -> (statement category, category specifications)
CATEGORIES: dict[str, tuple[str, list[str]]] = {
    "terrorism": ("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", ["KEYWORD_TERRORIST_CONTENT"]),
    "csam": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", []),
    "porn": ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", []),
    "gambling": ("STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", []),
    "scam": ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", []),
    "hate": ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", ["KEYWORD_HATE_SPEECH"]),
    "hoax": (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        ["KEYWORD_MISINFORMATION_DISINFORMATION"],
    ),
    "violence": ("STATEMENT_CATEGORY_VIOLENCE", []),
    "spam": ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", []),
}
OTHER_CATEGORY: tuple[str, list[str]] = ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", [])

#: a ground that cites a law (rather than a terms-of-service clause)
LEGAL_GROUND = re.compile(
    r"\b(UU|Undang|Pasal|Perpres|Permen\w*|Peraturan|KUHP|Regulation|Directive|Article|Art\.|"
    r"Law|Act|Code|§)",
    re.IGNORECASE,
)

ENUMS: dict[str, frozenset[str]] = {
    "decision_ground": frozenset(
        {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
    ),
    "content_type": frozenset(
        f"CONTENT_TYPE_{t}"
        for t in ("TEXT", "IMAGE", "VIDEO", "AUDIO", "SYNTHETIC_MEDIA", "PRODUCT", "APP", "OTHER")
    ),
    "category": frozenset(c for c, _ in [*CATEGORIES.values(), OTHER_CATEGORY]),
    "category_specification": frozenset(
        {
            "KEYWORD_TERRORIST_CONTENT",
            "KEYWORD_HATE_SPEECH",
            "KEYWORD_MISINFORMATION_DISINFORMATION",
        }
    ),
    "source_type": frozenset(
        {
            "SOURCE_ARTICLE_16",
            "SOURCE_TRUSTED_FLAGGER",
            "SOURCE_TYPE_OTHER_NOTIFICATION",
            "SOURCE_VOLUNTARY",
        }
    ),
    "automated_detection": frozenset({"Yes", "No"}),
    "automated_decision": frozenset(
        {
            "AUTOMATED_DECISION_FULLY",
            "AUTOMATED_DECISION_PARTIALLY",
            "AUTOMATED_DECISION_NOT_AUTOMATED",
        }
    ),
    "decision_visibility": frozenset(
        f"DECISION_VISIBILITY_{v}"
        for v in (
            "CONTENT_REMOVED",
            "CONTENT_DISABLED",
            "CONTENT_DEMOTED",
            "CONTENT_AGE_RESTRICTED",
            "CONTENT_INTERACTION_RESTRICTED",
            "CONTENT_LABELLED",
            "OTHER",
        )
    ),
    "decision_provision": frozenset(
        f"DECISION_PROVISION_{v}"
        for v in (
            "PARTIAL_SUSPENSION",
            "TOTAL_SUSPENSION",
            "PARTIAL_TERMINATION",
            "TOTAL_TERMINATION",
        )
    ),
    "decision_account": frozenset({"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"}),
    "territorial_scope": frozenset(EU_EEA),
}
REQUIRED = (
    "decision_ground",
    "content_type",
    "category",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
)
RESTRICTIONS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
)
MAX_LENGTH = {
    "decision_facts": 5000,
    "puid": 500,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "content_type_other": 500,
}
PUID = re.compile(r"^[a-zA-Z0-9\-_]+$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def puid(secret: str, action_id: int) -> str:
    digest = hmac.new(secret.encode(), f"action:{action_id}".encode(), hashlib.sha256)
    return f"ronda-{digest.hexdigest()[:40]}"


def problems(statement: dict[str, Any]) -> list[str]:
    """What is wrong with a statement under the Transparency Database rules."""
    found = [f"{name} is missing" for name in REQUIRED if statement.get(name) in (None, "", [])]
    if not any(statement.get(name) for name in RESTRICTIONS):
        found.append("no restriction: one of " + ", ".join(RESTRICTIONS) + " is needed")
    for name, allowed in ENUMS.items():
        value = statement.get(name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            found.append(f"{name}: {', '.join(map(str, bad))} not allowed")
    for name, limit in MAX_LENGTH.items():
        value = statement.get(name)
        if isinstance(value, str) and len(value) > limit:
            found.append(f"{name} has {len(value)} characters; at most {limit}")
    if statement.get("puid") and not PUID.match(str(statement["puid"])):
        found.append("puid must match ^[a-zA-Z0-9-_]+$")
    for name in ("content_date", "application_date"):
        if statement.get(name) and not DAY.match(str(statement[name])):
            found.append(f"{name} must be YYYY-MM-DD")
    ground = statement.get("decision_ground")
    pair = {
        "DECISION_GROUND_ILLEGAL_CONTENT": (
            "illegal_content_legal_ground",
            "illegal_content_explanation",
        ),
        "DECISION_GROUND_INCOMPATIBLE_CONTENT": (
            "incompatible_content_ground",
            "incompatible_content_explanation",
        ),
    }.get(str(ground), ())
    found += [f"{name} is missing for {ground}" for name in pair if not statement.get(name)]
    if "CONTENT_TYPE_OTHER" in (statement.get("content_type") or []) and not statement.get(
        "content_type_other"
    ):
        found.append("content_type_other is missing for CONTENT_TYPE_OTHER")
    lang = statement.get("content_language")
    if lang is not None and not re.fullmatch(r"[A-Z]{2}", str(lang)):
        found.append("content_language must be an upper-case ISO 639-1 code")
    return found


@dataclass
class Export:
    written: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (action id, why)
    invalid: list[tuple[int, list[str]]] = field(default_factory=list)


_VISIBILITY: dict[str, dict[str, Any]] = {
    ActionKind.REMOVE_POST.value: {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
    ActionKind.BLOCK_CHANNEL.value: {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    },
    ActionKind.WITHHOLD_CHANNEL.value: {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    },
    ActionKind.BAN_ACCOUNT.value: {"decision_account": "DECISION_ACCOUNT_TERMINATED"},
}
_WHAT = {"post": "Telegram post", "private_post": "Telegram post", "channel": "Telegram channel"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def statement_for(
    action: Action,
    *,
    subject: Subject | None,
    case: Case | None,
    reported: bool,
    secret: str,
    tz: str,
) -> dict[str, Any] | str:
    """The statement for one action, or why it gets none."""
    scope = action.territorial_scope or []
    if scope:
        eu = sorted({c for c in scope if c in EU_EEA})
        if not eu:
            return "withheld only outside the EU/EEA (" + ", ".join(scope) + ")"
    else:
        eu = list(EU_EEA)
    assert action.succeeded_at is not None
    category, keywords = CATEGORIES.get(action.category or "", OTHER_CATEGORY)
    legal = action.source == "order" or bool(LEGAL_GROUND.search(action.ground or ""))
    facts = (action.statement_of_reasons or "").strip() or (
        f"{action.kind} for {action.category or 'a violation'} ({action.source or 'review'})"
    )
    ground = (action.ground or "").strip() or "Terms of service"
    automated_detection = action.source == "detection" or bool(case and case.signal_count)
    human = (action.decided_by or "").startswith("user:")
    if action.source == "order":
        source_type = "SOURCE_TYPE_OTHER_NOTIFICATION"
    elif reported or action.source == "report":
        source_type = "SOURCE_ARTICLE_16"
    else:
        source_type = "SOURCE_VOLUNTARY"
    kind = subject.kind if subject else ""
    content_type = (
        ["CONTENT_TYPE_TEXT"] if kind in ("post", "private_post") else ["CONTENT_TYPE_OTHER"]
    )
    zone = ZoneInfo(tz)
    seen = (subject.created_at if subject else action.requested_at).astimezone(zone).date()
    applied = action.succeeded_at.astimezone(zone).date()
    statement: dict[str, Any] = {
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"
        if legal
        else "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "content_type": content_type,
        "category": category,
        "content_date": min(seen, applied).isoformat(),
        "application_date": applied.isoformat(),
        "decision_facts": _cut(facts, 5000),
        "source_type": source_type,
        "automated_detection": "Yes" if automated_detection else "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED"
        if human
        else "AUTOMATED_DECISION_FULLY",
        "puid": puid(secret, action.id),
        "territorial_scope": eu,
        **_VISIBILITY.get(action.kind, {}),
    }
    if "CONTENT_TYPE_OTHER" in content_type:
        statement["content_type_other"] = _WHAT.get(kind, "Telegram group, channel or account")
    if legal:
        statement["illegal_content_legal_ground"] = _cut(ground, 500)
        statement["illegal_content_explanation"] = _cut(facts, 2000)
    else:
        statement["incompatible_content_ground"] = _cut(ground, 500)
        statement["incompatible_content_explanation"] = _cut(facts, 2000)
    if keywords:
        statement["category_specification"] = keywords
    language = (case.language if case else "") or ""
    if len(language) == 2 and language.isalpha():
        statement["content_language"] = language.upper()
    return statement


def statements(
    session: Session, *, since: date, until: date, tz: str, secret: str, result: Export
) -> Iterator[dict[str, Any]]:
    """Valid statements for the actions carried out in [since, until] (local days);
    what is skipped or invalid is recorded in ``result``."""
    lo, hi = utc_bounds(since, until, tz)
    last = 0
    while True:
        chunk = list(
            session.scalars(
                select(Action)
                .where(
                    Action.status == ActionStatus.SUCCEEDED.value,
                    Action.kind != ActionKind.RESTORE.value,
                    Action.succeeded_at >= lo,
                    Action.succeeded_at < hi,
                    Action.id > last,
                )
                .order_by(Action.id)
                .limit(1000)
            )
        )
        if not chunk:
            return
        last = chunk[-1].id
        subjects = {
            s.id: s
            for s in session.scalars(
                select(Subject).where(Subject.id.in_({a.subject_id for a in chunk}))
            )
        }
        case_ids = {a.case_id for a in chunk if a.case_id is not None}
        cases = (
            {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
            if case_ids
            else {}
        )
        reported = (
            set(
                session.scalars(
                    select(Report.case_id).where(Report.case_id.in_(case_ids)).distinct()
                )
            )
            if case_ids
            else set()
        )
        for action in chunk:
            made = statement_for(
                action,
                subject=subjects.get(action.subject_id),
                case=cases.get(action.case_id) if action.case_id else None,
                reported=action.case_id in reported,
                secret=secret,
                tz=tz,
            )
            if isinstance(made, str):
                result.skipped.append((action.id, made))
                continue
            wrong = problems(made)
            if wrong:
                result.invalid.append((action.id, wrong))
                continue
            result.written += 1
            yield made
        session.expunge_all()


def write_batches(lines: list[dict[str, Any]], directory: Path, *, start: int) -> int:
    """Write ``{"statements": [...]}`` bodies of at most 100 statements; returns files written."""
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for offset in range(0, len(lines), BATCH_SIZE):
        n += 1
        body = {"statements": lines[offset : offset + BATCH_SIZE]}
        (directory / f"statements-{start + n:05d}.json").write_text(
            json.dumps(body, ensure_ascii=False), encoding="utf-8"
        )
    return n
