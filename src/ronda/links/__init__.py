"""Telegram references: find them in text, validate them, give each one identity.

Authorities' takedown orders, user reports and the channels themselves name
Telegram subjects in many spellings; everything downstream (deduplication,
decisions, the transparency report) keys on the canonical URL produced here.
See docs/links.md for the recognised forms and the reasons given for invalid ones.
"""

from ronda.links._model import Invalid, Kind, Reference
from ronda.links._parser import RESERVED_PATHS, canonicalize, extract, parse

__all__ = ["RESERVED_PATHS", "Invalid", "Kind", "Reference", "canonicalize", "extract", "parse"]
