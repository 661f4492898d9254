"""Every console phrase has an Indonesian translation."""

from __future__ import annotations

import re
from pathlib import Path

from ronda.web.i18n import ID

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "ronda" / "web" / "templates"
PHRASE = re.compile(r"""\bt\(\s*(["'])(.+?)\1\s*\)""")


def test_every_template_phrase_is_translated():
    missing = set()
    for template in TEMPLATES.glob("*.html"):
        for _, phrase in PHRASE.findall(template.read_text()):
            if phrase not in ID:
                missing.add(f"{template.name}: {phrase}")
    assert not missing, "untranslated console text:\n" + "\n".join(sorted(missing))


def test_status_words_are_translated():
    for status in (
        "pending",
        "actioned",
        "no_violation",
        "not_found",
        "already_removed",
        "rejected",
        "open",
        "closed",
        "quarantined",
        "admin",
        "lead",
        "moderator",
        "authority",
    ):
        assert status in ID
