"""Reading console form fields: one size rule and one country-list parser for every page.

Every field has a limit; a longer value is refused with a message naming the
field (never cut silently: a statement of reasons cut in half would be sent to
the channel owner as if complete). Templates set the same ``maxlength``, so a
person typing in the browser never meets the error.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import UploadFile

from ronda.errors import BadInput

__all__ = ["form_str", "territorial_scope"]

_COUNTRY = re.compile(r"[A-Z]{2}")
MAX_COUNTRIES = 60


def form_str(form: Any, name: str, limit: int = 10_000) -> str:
    """The text of one form field ("" when absent or a file), at most ``limit`` characters."""
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    text = str(value)
    if len(text) > limit:
        raise BadInput(f"the field {name!r} is longer than {limit:,} characters")
    return text


def territorial_scope(text: str, *, default: tuple[str, ...] = ("ID",)) -> list[str]:
    """Country codes from "ID, my" (ISO 3166 alpha-2, upper case); ``default`` when empty."""
    codes: list[str] = []
    for part in text.split(","):
        code = part.strip().upper()
        if not code:
            continue
        if not _COUNTRY.fullmatch(code):
            raise BadInput(f"{part.strip()!r} is not a two-letter country code (e.g. ID, MY)")
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_COUNTRIES:
        raise BadInput(f"at most {MAX_COUNTRIES} countries")
    return codes or list(default)
