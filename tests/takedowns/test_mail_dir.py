"""Without an SMTP server, mail can be kept as .eml files (the demo does this)."""

from __future__ import annotations

import email

from ronda.takedowns.receive import receive_email
from tests.support import factories
from tests.takedowns.helpers import flush_mail


def test_acknowledgment_written_to_mail_dir(factory, settings, tmp_path):
    settings.smtp.host = ""
    settings.mail_dir = str(tmp_path / "mail")
    factories.authority(factory)
    order = receive_email(factory, settings=settings, data=factories.mail(), source="m").order
    assert flush_mail(factory) == (1, 0)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes())
    assert order.tracking_number in msg["Subject"]


def test_no_smtp_and_no_mail_dir_retries_later(factory, settings):
    settings.smtp.host = ""
    settings.mail_dir = ""
    factories.authority(factory)
    receive_email(factory, settings=settings, data=factories.mail(), source="m")
    assert flush_mail(factory) == (0, 1)
    from ronda.jobs import service as jobs

    with factory() as s:
        failing = jobs.failing(s)
        assert len(failing) == 1 and "no SMTP server" in (failing[0].last_error or "")
        assert failing[0].status == "pending" and failing[0].attempts == 1
