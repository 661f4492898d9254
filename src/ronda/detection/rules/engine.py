"""Rules detector: policy terms and patterns per harm category.

One Aho-Corasick automaton (pyahocorasick) holds every literal of the policy:
rule terms, co-occurrence terms (``requires_any``), exclusion terms and the
trigger substrings of regex patterns.  A text costs one pass of the automaton
over its normalised form; texts without any hit (most of them) stop there.
Patterns run only in a window around one of their triggers.  Scores are
``1 - prod(1 - w)`` over the rules that fired, after exclusions.

Evidence spans point into the ORIGINAL text when the matched words can be found
there (case-, width- and style-folded, zero-width characters skipped, leetspeak
and spaced letters tolerated); otherwise they point into the normalised text
and say so (``in_normalized=True``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import ahocorasick
import yaml

from ronda.errors import BadInput

__all__ = [
    "CATEGORIES",
    "CategoryResult",
    "ExclusionHit",
    "Hit",
    "PolicyError",
    "RuleResult",
    "RuleSet",
]

CATEGORIES = ("terrorism", "csam", "porn", "gambling", "scam", "hate", "hoax", "spam")
DEFAULT_THRESHOLD = 0.5
PATTERN_WINDOW = 160  # characters each side of a trigger a pattern may look at
MAX_REGEX_CHARS = 2000

Normalizer = Callable[[str], str]


class PolicyError(BadInput):
    """The policy file is malformed; the message names the rule id and field."""

    code = "policy_error"


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """A matched term or pattern."""

    text: str  # the words as they stand in the text the span points into
    start: int
    end: int
    in_normalized: bool  # True: the span is in the normalised text, not the original
    kind: Literal["term", "pattern"]
    matched: str  # the policy term (or the pattern's match in the normalised text)
    rule_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "in_normalized": self.in_normalized,
            "kind": self.kind,
            "matched": self.matched,
            "rule_ids": list(self.rule_ids),
        }


@dataclass(frozen=True, slots=True)
class ExclusionHit:
    exclusion_id: str
    effect: Literal["veto", "downweight"]
    factor: float  # 0 for a veto
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "exclusion_id": self.exclusion_id,
            "effect": self.effect,
            "factor": self.factor,
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    score: float  # after exclusions, in [0, 1]
    raw_score: float  # before exclusions
    threshold: float
    rule_ids: tuple[str, ...]
    hits: tuple[Hit, ...]
    exclusions: tuple[ExclusionHit, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.score >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "score": self.score,
            "raw_score": self.raw_score,
            "threshold": self.threshold,
            "flagged": self.flagged,
            "rule_ids": list(self.rule_ids),
            "hits": [h.to_dict() for h in self.hits],
            "exclusions": [x.to_dict() for x in self.exclusions],
        }


@dataclass(frozen=True, slots=True)
class RuleResult:
    """Per-category scores and evidence for one text (only categories with a fired rule)."""

    version: str
    categories: Mapping[str, CategoryResult] = field(default_factory=dict)

    def score(self, category: str) -> float:
        got = self.categories.get(category)
        return 0.0 if got is None else got.score

    @property
    def scores(self) -> dict[str, float]:
        return {c: r.score for c, r in self.categories.items()}

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(c for c, r in self.categories.items() if r.flagged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "categories": {c: r.to_dict() for c, r in self.categories.items()},
        }


# ---------------------------------------------------------------------------
# compiled policy
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    owner_kind: Literal["rule", "exclusion"]
    owner: int
    regex: re.Pattern[str]
    source: str


@dataclass(frozen=True)
class _Rule:
    id: str
    category: str
    weight: float
    required: bool  # has requires_any
    exclusions: tuple[int, ...]  # extra exclusion indexes named by the rule


@dataclass(frozen=True)
class _Exclusion:
    id: str
    effect: Literal["veto", "downweight"]
    factor: float
    applies_to: frozenset[str]


# reference kinds stored in the automaton payloads
_TERM, _REQ, _EXCL = 0, 1, 2


@dataclass
class _Payload:
    length: int
    check_left: bool
    check_right: bool
    bounded: list[tuple[int, int, str]]  # (kind, index, policy term)
    triggers: list[int]  # pattern indexes (substring match, no word boundary)


def _fold(text: str) -> str:
    """Light fold used for policy terms: NFKC, case-fold, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _default_normalizer() -> Normalizer | None:
    try:
        from ronda.detection import normalize as mod
    except ImportError:
        return None
    fn = getattr(mod, "normalize", None)
    return fn if callable(fn) else None


_ALLOWED_RULE_KEYS = {
    "id",
    "category",
    "description",
    "weight",
    "terms",
    "patterns",
    "requires_any",
    "exclusions",
}
_ALLOWED_EXCL_KEYS = {
    "id",
    "description",
    "applies_to",
    "effect",
    "factor",
    "terms",
    "patterns",
}
_ID = re.compile(r"[a-z0-9][a-z0-9._\-]{1,80}")


class RuleSet:
    """A loaded, validated and compiled policy."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        source: str = "<policy>",
        normalizer: Normalizer | Literal["auto"] | None = "auto",
    ) -> None:
        self.source = source
        self._normalizer = _default_normalizer() if normalizer == "auto" else normalizer
        self._compile(data)

    # -- loading ---------------------------------------------------------------
    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        normalizer: Normalizer | Literal["auto"] | None = "auto",
    ) -> RuleSet:
        """Load a policy file (default: the shipped policy.yaml) and validate it.

        ``normalizer`` is applied to every term and trigger so that they line up
        with texts normalised by the same function; "auto" uses
        ``ronda.detection.normalize.normalize`` when it exists.  The plain folded
        form of each term is always matched as well.
        """
        if path is None:
            ref = resources.files("ronda.detection.rules").joinpath("policy.yaml")
            text = ref.read_text(encoding="utf-8")
            source = "policy.yaml"
        else:
            p = Path(path)
            try:
                text = p.read_text(encoding="utf-8")
            except OSError as exc:
                raise PolicyError(f"{p}: cannot read policy file ({exc.strerror})") from None
            source = str(p)
        return cls.loads(text, source=source, normalizer=normalizer)

    @classmethod
    def loads(
        cls,
        text: str,
        *,
        source: str = "<policy>",
        normalizer: Normalizer | Literal["auto"] | None = "auto",
    ) -> RuleSet:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise PolicyError(f"{source}: not valid YAML{where}: {problem}") from None
        if not isinstance(data, dict):
            raise PolicyError(f"{source}: the policy must be a mapping with version and rules")
        return cls(data, source=source, normalizer=normalizer)

    # -- compiling ---------------------------------------------------------------
    def _err(self, where: str, field_name: str, message: str) -> PolicyError:
        return PolicyError(f"{self.source}: {where}, field '{field_name}': {message}")

    def _compile(self, data: Mapping[str, Any]) -> None:
        version = data.get("version")
        if not isinstance(version, str | int | float) or not str(version).strip():
            raise PolicyError(f"{self.source}: field 'version' is missing or empty")
        self.version = str(version).strip()
        unknown_top = set(data) - {"version", "categories", "exclusions", "rules"}
        if unknown_top:
            raise PolicyError(f"{self.source}: unknown top-level field(s) {sorted(unknown_top)}")

        self.thresholds: dict[str, float] = dict.fromkeys(CATEGORIES, DEFAULT_THRESHOLD)
        cats = data.get("categories") or {}
        if not isinstance(cats, dict):
            raise PolicyError(f"{self.source}: field 'categories' must be a mapping")
        for cat, conf in cats.items():
            where = f"category '{cat}'"
            if cat not in CATEGORIES:
                raise self._err(where, "categories", f"unknown category (one of {CATEGORIES})")
            if not isinstance(conf, dict) or set(conf) - {"threshold"}:
                raise self._err(where, "threshold", "expected {threshold: number}")
            self.thresholds[cat] = self._unit(conf.get("threshold"), where, "threshold")

        self._automaton = ahocorasick.Automaton()
        self._payloads: dict[str, _Payload] = {}
        self._patterns: list[_Pattern] = []
        self._exclusions: list[_Exclusion] = []
        self._rules: list[_Rule] = []
        self._rule_patterns: dict[int, list[int]] = {}
        self._excl_patterns: dict[int, list[int]] = {}

        excl_index: dict[str, int] = {}
        raw_excl = data.get("exclusions") or []
        if not isinstance(raw_excl, list):
            raise PolicyError(f"{self.source}: field 'exclusions' must be a list")
        for i, raw in enumerate(raw_excl):
            where = f"exclusion #{i + 1}"
            if not isinstance(raw, dict):
                raise PolicyError(f"{self.source}: {where} must be a mapping")
            eid = self._id(raw, where)
            where = f"exclusion '{eid}'"
            if eid in excl_index:
                raise self._err(where, "id", "duplicate exclusion id")
            extra = set(raw) - _ALLOWED_EXCL_KEYS
            if extra:
                raise self._err(where, sorted(extra)[0], "unknown field")
            applies = raw.get("applies_to") or []
            if not isinstance(applies, list) or any(c not in CATEGORIES for c in applies):
                raise self._err(where, "applies_to", f"must be a list of categories {CATEGORIES}")
            effect = raw.get("effect", "downweight")
            if effect not in ("veto", "downweight"):
                raise self._err(where, "effect", "must be 'veto' or 'downweight'")
            if effect == "veto":
                if "factor" in raw:
                    raise self._err(where, "factor", "a veto takes no factor")
                factor = 0.0
            else:
                factor = self._unit(raw.get("factor"), where, "factor", allow_one=False)
            idx = len(self._exclusions)
            excl_index[eid] = idx
            self._exclusions.append(_Exclusion(eid, effect, factor, frozenset(applies)))
            terms = self._string_list(raw, "terms", where)
            patterns = self._patterns_of(raw, where, "exclusion", idx)
            if not terms and not patterns:
                raise self._err(where, "terms", "an exclusion needs terms or patterns")
            for t in terms:
                self._add_term(t, (_EXCL, idx, t))
            self._excl_patterns[idx] = patterns

        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise PolicyError(f"{self.source}: field 'rules' must be a non-empty list")
        seen: set[str] = set()
        for i, raw in enumerate(raw_rules):
            where = f"rule #{i + 1}"
            if not isinstance(raw, dict):
                raise PolicyError(f"{self.source}: {where} must be a mapping")
            rid = self._id(raw, where)
            where = f"rule '{rid}'"
            if rid in seen:
                raise self._err(where, "id", "duplicate rule id")
            seen.add(rid)
            extra = set(raw) - _ALLOWED_RULE_KEYS
            if extra:
                raise self._err(where, sorted(extra)[0], "unknown field")
            category = raw.get("category")
            if category not in CATEGORIES:
                raise self._err(where, "category", f"must be one of {', '.join(CATEGORIES)}")
            weight = self._unit(raw.get("weight"), where, "weight")
            terms = self._string_list(raw, "terms", where)
            requires = self._string_list(raw, "requires_any", where)
            names = self._string_list(raw, "exclusions", where)
            extra_excl: list[int] = []
            for name in names:
                if name not in excl_index:
                    raise self._err(where, "exclusions", f"unknown exclusion id {name!r}")
                extra_excl.append(excl_index[name])
            idx = len(self._rules)
            patterns = self._patterns_of(raw, where, "rule", idx)
            if not terms and not patterns:
                raise self._err(where, "terms", "a rule needs terms or patterns")
            self._rules.append(_Rule(rid, category, weight, bool(requires), tuple(extra_excl)))
            for t in terms:
                self._add_term(t, (_TERM, idx, t))
            for t in requires:
                self._add_term(t, (_REQ, idx, t))
            self._rule_patterns[idx] = patterns

        if not self._payloads:
            raise PolicyError(f"{self.source}: the policy has no terms")
        for key, payload in self._payloads.items():
            self._automaton.add_word(key, payload)
        self._automaton.make_automaton()

    def _id(self, raw: Mapping[str, Any], where: str) -> str:
        rid = raw.get("id")
        if not isinstance(rid, str) or not _ID.fullmatch(rid):
            raise self._err(where, "id", "missing or not lower-case letters, digits, . _ -")
        return rid

    def _unit(self, value: Any, where: str, name: str, *, allow_one: bool = True) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and (0.0 < float(value) < 1.0 or (allow_one and float(value) == 1.0)):
            return float(value)
        bound = "(0, 1]" if allow_one else "(0, 1)"
        raise self._err(where, name, f"must be a number in {bound}, got {value!r}")

    def _string_list(self, raw: Mapping[str, Any], name: str, where: str) -> list[str]:
        value = raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._err(where, name, "must be a list of strings")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self._err(where, name, f"entry {item!r} is not a non-empty string")
            out.append(item)
        return out

    def _variants(self, term: str) -> set[str]:
        folded = _fold(term)
        out = {folded} if folded else set()
        if self._normalizer is not None:
            try:
                alt = _fold(self._normalizer(term))
            except Exception:  # a normaliser bug must not break loading the policy
                alt = ""
            # a normalised variant that dropped the term's punctuation (e.g. "[hoaks]"
            # -> "hoaks") would match far more than the term means: skip it
            punct = {c for c in folded if not c.isalnum() and not c.isspace()}
            if alt and punct <= set(alt):
                out.add(alt)
        return out

    def _add_term(self, term: str, ref: tuple[int, int, str]) -> None:
        for key in self._variants(term):
            self._payload(key).bounded.append(ref)

    def _payload(self, key: str) -> _Payload:
        p = self._payloads.get(key)
        if p is None:
            p = _Payload(len(key), key[0].isalnum(), key[-1].isalnum(), [], [])
            self._payloads[key] = p
        return p

    def _patterns_of(
        self,
        raw: Mapping[str, Any],
        where: str,
        owner_kind: Literal["rule", "exclusion"],
        owner: int,
    ) -> list[int]:
        value = raw.get("patterns")
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._err(where, "patterns", "must be a list of {regex, triggers}")
        out: list[int] = []
        for j, item in enumerate(value):
            label = f"patterns[{j}]"
            if not isinstance(item, dict) or set(item) - {"regex", "triggers"}:
                raise self._err(where, label, "must be a mapping with regex and triggers")
            source = item.get("regex")
            if not isinstance(source, str) or not source:
                raise self._err(where, f"{label}.regex", "missing")
            if len(source) > MAX_REGEX_CHARS:
                raise self._err(where, f"{label}.regex", f"longer than {MAX_REGEX_CHARS} chars")
            problem = _unbounded(source)
            if problem:
                raise self._err(where, f"{label}.regex", problem)
            try:
                compiled = re.compile(source)
            except re.error as exc:
                raise self._err(where, f"{label}.regex", f"does not compile: {exc}") from None
            triggers = item.get("triggers")
            if not isinstance(triggers, list) or not triggers:
                raise self._err(where, f"{label}.triggers", "a non-empty list is required")
            pidx = len(self._patterns)
            self._patterns.append(_Pattern(owner_kind, owner, compiled, source))
            for trig in triggers:
                if not isinstance(trig, str) or not trig.strip(" "):
                    raise self._err(where, f"{label}.triggers", f"bad trigger {trig!r}")
                keys = {trig.casefold()} | {
                    v for v in self._variants(trig) if v and trig.strip() == trig
                }
                for key in keys:
                    self._payload(key).triggers.append(pidx)
            out.append(pidx)
        return out

    # -- introspection -----------------------------------------------------------
    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self._rules]

    @property
    def exclusion_ids(self) -> list[str]:
        return [x.id for x in self._exclusions]

    def __len__(self) -> int:
        return len(self._rules)

    # -- matching ------------------------------------------------------------------
    def match_batch(self, pairs: Iterable[tuple[str, str]]) -> list[RuleResult]:
        """Match many (original, normalized) pairs."""
        return [self.match(o, n) for o, n in pairs]

    def match(self, original: str, normalized: str) -> RuleResult:
        """Score one text: ``normalized`` is ``ronda.detection.normalize.normalize(original)``."""
        term_hits: dict[int, list[tuple[int, int, str]]] = {}
        req_hit: set[int] = set()
        excl_hits: dict[int, list[tuple[int, int, str]]] = {}
        triggered: dict[int, list[int]] = {}
        text = normalized
        n = len(text)
        for end, p in self._automaton.iter(text):
            start = end - p.length + 1
            if p.bounded and not (
                (p.check_left and start > 0 and text[start - 1].isalnum())
                or (p.check_right and end + 1 < n and text[end + 1].isalnum())
            ):
                for kind, idx, term in p.bounded:
                    if kind == _TERM:
                        term_hits.setdefault(idx, []).append((start, end + 1, term))
                    elif kind == _REQ:
                        req_hit.add(idx)
                    else:
                        excl_hits.setdefault(idx, []).append((start, end + 1, term))
            for pidx in p.triggers:
                triggered.setdefault(pidx, []).append(start)
        if not term_hits and not triggered:
            return RuleResult(self.version)

        pattern_hits: dict[int, list[tuple[int, int, str]]] = {}
        for pidx, positions in triggered.items():
            pat = self._patterns[pidx]
            if pat.owner_kind == "rule":
                rule = self._rules[pat.owner]
                if rule.required and pat.owner not in req_hit:
                    continue
                target = pattern_hits
            else:
                target = excl_hits
            found = _run_pattern(pat.regex, text, positions)
            if found:
                target.setdefault(pat.owner, []).extend(found)

        fired: list[int] = []
        for ridx in set(term_hits) | set(pattern_hits):
            rule = self._rules[ridx]
            if rule.required and ridx not in req_hit:
                continue
            fired.append(ridx)
        if not fired:
            return RuleResult(self.version)
        fired.sort()

        locator = _Locator(original, normalized)
        excl_results: dict[int, ExclusionHit] = {}
        for xidx, spans in excl_hits.items():
            x = self._exclusions[xidx]
            hits = tuple(locator.hit(s, e, t, "term", (x.id,)) for s, e, t in _dedupe(spans))
            excl_results[xidx] = ExclusionHit(x.id, x.effect, x.factor, hits)

        by_cat: dict[str, list[int]] = {}
        for ridx in fired:
            by_cat.setdefault(self._rules[ridx].category, []).append(ridx)
        categories: dict[str, CategoryResult] = {}
        for cat, ridxs in by_cat.items():
            raw_keep = 1.0
            keep = 1.0
            used: dict[int, ExclusionHit] = {}
            hit_map: dict[tuple[int, int, str, str], list[str]] = {}
            for ridx in ridxs:
                rule = self._rules[ridx]
                factor = 1.0
                for xidx, xhit in excl_results.items():
                    x = self._exclusions[xidx]
                    if cat in x.applies_to or xidx in rule.exclusions:
                        factor = min(factor, x.factor)
                        used[xidx] = xhit
                raw_keep *= 1.0 - rule.weight
                keep *= 1.0 - rule.weight * factor
                for s, e, t in term_hits.get(ridx, ()):
                    hit_map.setdefault((s, e, t, "term"), []).append(rule.id)
                for s, e, t in pattern_hits.get(ridx, ()):
                    hit_map.setdefault((s, e, t, "pattern"), []).append(rule.id)
            hits = tuple(
                locator.hit(s, e, t, kind, tuple(ids))  # type: ignore[arg-type]
                for (s, e, t, kind), ids in sorted(hit_map.items())
            )
            categories[cat] = CategoryResult(
                category=cat,
                score=round(1.0 - keep, 6),
                raw_score=round(1.0 - raw_keep, 6),
                threshold=self.thresholds[cat],
                rule_ids=tuple(self._rules[r].id for r in ridxs),
                hits=hits,
                exclusions=tuple(used[k] for k in sorted(used)),
            )
        return RuleResult(self.version, categories)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _dedupe(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    return sorted(set(spans))


def _run_pattern(
    regex: re.Pattern[str], text: str, positions: list[int]
) -> list[tuple[int, int, str]]:
    """Matches of a pattern in windows around its trigger positions."""
    out: list[tuple[int, int, str]] = []
    covered = -1
    n = len(text)
    for pos in sorted(set(positions)):
        lo = max(0, pos - PATTERN_WINDOW, covered)
        hi = min(n, pos + PATTERN_WINDOW)
        if hi <= lo:
            continue
        for m in regex.finditer(text, lo, hi):
            if m.end() > m.start():
                out.append((m.start(), m.end(), m.group(0)))
        covered = hi
    return sorted(set(out))


def _unbounded(source: str) -> str | None:
    """Reject unbounded repetition (* + {n,}) outside character classes."""
    i = 0
    in_class = False
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if i + 1 < n and source[i + 1] == "]":
                i += 1
        elif c in "*+":
            return f"unbounded repetition '{c}' at position {i}: use {{0,N}} or {{1,N}}"
        elif c == "{":
            close = source.find("}", i)
            if close > 0 and re.fullmatch(r"\d+,", source[i + 1 : close]):
                return f"unbounded repetition '{source[i : close + 1]}' at position {i}"
        i += 1
    return None


# Invisible characters skipped when mapping the normalised text back to the original.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
)
_LEET: dict[str, str] = {
    "a": "a4@",
    "b": "b8",
    "e": "e3",
    "g": "g9",
    "i": "i1!|l",
    "l": "l1|i",
    "o": "o0",
    "s": "s5$",
    "t": "t7",
    "z": "z2",
}
_FUZZY_CACHE: dict[str, re.Pattern[str]] = {}


def _fuzzy(term: str) -> re.Pattern[str]:
    """A tolerant regex for a term: leetspeak, repeated letters, spaced letters."""
    got = _FUZZY_CACHE.get(term)
    if got is not None:
        return got
    parts: list[str] = []
    chars = [c for c in term]
    for k, ch in enumerate(chars):
        if ch == " ":
            parts.append(r"[\W_]{1,4}")
            continue
        alts = _LEET.get(ch, ch)
        cls = "[" + "".join(re.escape(a) for a in alts) + "]"
        parts.append(cls + "{1,4}")
        if k + 1 < len(chars) and chars[k + 1] != " " and ch.isalnum():
            parts.append(r"[\s._\-*]{0,2}")
    edge_l = r"(?<![^\W_])" if term[:1].isalnum() else ""
    edge_r = r"(?![^\W_])" if term[-1:].isalnum() else ""
    compiled = re.compile(edge_l + "".join(parts) + edge_r)
    if len(_FUZZY_CACHE) < 20000:
        _FUZZY_CACHE[term] = compiled
    return compiled


class _Locator:
    """Finds matched words of the normalised text in the original text."""

    def __init__(self, original: str, normalized: str) -> None:
        self.original = original
        self.normalized = normalized
        self._folded: str | None = None
        self._offsets: list[int] = []
        self._simple = original.casefold()
        if len(self._simple) != len(original):
            self._simple = ""

    def _fold_map(self) -> str:
        if self._folded is None:
            out: list[str] = []
            offsets: list[int] = []
            for i, ch in enumerate(self.original):
                if ch in _INVISIBLE:
                    continue
                f = unicodedata.normalize("NFKC", ch).casefold() if ord(ch) > 127 else ch.lower()
                for fc in f:
                    out.append(fc)
                    offsets.append(i)
            offsets.append(len(self.original))
            self._folded = "".join(out)
            self._offsets = offsets
        return self._folded

    def _bounded_find(self, hay: str, needle: str, near: int) -> int:
        """Index of needle in hay at word boundaries, the occurrence nearest to ``near``."""
        best = -1
        start = hay.find(needle)
        while start >= 0:
            end = start + len(needle)
            ok_l = not needle[0].isalnum() or start == 0 or not hay[start - 1].isalnum()
            ok_r = not needle[-1].isalnum() or end == len(hay) or not hay[end].isalnum()
            if ok_l and ok_r and (best < 0 or abs(start - near) < abs(best - near)):
                best = start
            start = hay.find(needle, start + 1)
        return best

    def hit(
        self,
        start: int,
        end: int,
        term: str,
        kind: Literal["term", "pattern"],
        rule_ids: tuple[str, ...],
    ) -> Hit:
        needle = self.normalized[start:end]
        if self._simple:
            s = self._bounded_find(self._simple, needle, start)
            if s >= 0:
                return self._make(s, s + len(needle), term, kind, rule_ids)
        folded = self._fold_map()
        s = self._bounded_find(folded, needle, start)
        if s >= 0:
            return self._make(
                self._offsets[s], self._offsets[s + len(needle) - 1] + 1, term, kind, rule_ids
            )
        if kind == "term":
            m = _fuzzy(needle).search(folded)
            if m:
                return self._make(
                    self._offsets[m.start()], self._offsets[m.end() - 1] + 1, term, kind, rule_ids
                )
        return Hit(needle, start, end, True, kind, term, rule_ids)

    def _make(
        self, s: int, e: int, term: str, kind: Literal["term", "pattern"], ids: tuple[str, ...]
    ) -> Hit:
        return Hit(self.original[s:e], s, e, False, kind, term, ids)
