"""Transparency: the daily bulletin, the public page and the reports, from the
same records as the audit log, so the public numbers cannot drift from what
was done."""
