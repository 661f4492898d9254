"""Check the DKIM signatures of a raw message with dkimpy.

Keys come from ``keys`` (DNS name → TXT record text), so checks are
deterministic and work offline; DNS is only asked when ``allow_dns`` is true
and the key is not in ``keys``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import dkim

__all__ = ["DkimResult", "check_dkim"]

_NO_KEYS: Mapping[str, str] = MappingProxyType({})
_MAX_SIGNATURES = 10


@dataclass(frozen=True)
class DkimResult:
    """``pass``: at least one signature verified; ``fail``: signatures but none
    verified; ``none``: no DKIM-Signature header. ``domains`` are the ``d=``
    values of the signatures that verified."""

    status: Literal["pass", "fail", "none"]
    domains: list[str] = field(default_factory=list)
    reason: str = ""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            try:
                self.messages.append(record.getMessage())
            except Exception:
                self.messages.append(str(record.msg))


def _dns_name(name: bytes | str) -> str:
    text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    return text.strip().rstrip(".").lower()


def _tag(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value)


def check_dkim(
    raw: bytes, *, keys: Mapping[str, str] = _NO_KEYS, allow_dns: bool = False
) -> DkimResult:
    """Verify every DKIM-Signature on ``raw`` (at most ten); never raises."""
    table = {_dns_name(k): v for k, v in keys.items()}
    missing: set[str] = set()

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        key = _dns_name(name)
        if key in table:
            return table[key].encode("ascii", "replace")
        if allow_dns:
            try:
                from dkim.dnsplug import get_txt

                found = get_txt(name, timeout=timeout)
            except Exception:
                found = None
            if isinstance(found, bytes) and found:
                return found
        missing.add(key)
        return None

    logger = logging.Logger("ronda.intake.dkim")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        checker = dkim.DKIM(bytes(raw), logger=logger)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception as exc:
        return DkimResult("fail", [], f"message could not be read for DKIM: {exc}")
    if count == 0:
        return DkimResult("none", [], "no DKIM-Signature header")

    domains: list[str] = []
    reasons: list[str] = []
    for index in range(min(count, _MAX_SIGNATURES)):
        handler.messages.clear()
        missing.clear()
        domain = selector = "?"
        try:
            prepared = checker.verify_headerprep(index)
            if prepared:
                sig = prepared[0]
                domain = _tag(sig.get(b"d", b"?")).lower()
                selector = _tag(sig.get(b"s", b"?"))
                if b"l" in sig:
                    reasons.append(
                        f"{domain}: signature covers only part of the body (l= tag); not trusted"
                    )
                    continue
            ok = bool(checker.verify(idx=index, dnsfunc=lookup))
            problem = "signature does not match the message"
        except dkim.DKIMException as exc:
            ok = False
            problem = str(exc) or type(exc).__name__
        except Exception as exc:  # dkimpy on hostile input
            ok = False
            problem = f"{type(exc).__name__}: {exc}"
        if ok:
            if domain not in domains:
                domains.append(domain)
            reasons.append(f"{domain}: signature verified (selector {selector})")
        elif missing:
            reasons.append(f"{domain}: no key for {sorted(missing)[0]}")
        elif handler.messages:
            reasons.append(f"{domain}: {handler.messages[-1]}")
        else:
            reasons.append(f"{domain}: {problem}")
    if count > _MAX_SIGNATURES:
        reasons.append(f"only the first {_MAX_SIGNATURES} of {count} signatures were checked")
    status: Literal["pass", "fail"] = "pass" if domains else "fail"
    return DkimResult(status, domains, "; ".join(reasons))
