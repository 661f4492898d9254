"""``ronda worker`` reads orders from a real IMAP server (Dovecot on 127.0.0.1)."""

from __future__ import annotations

from sqlalchemy import func, select

from ronda.config import ImapMailbox
from ronda.mail.imap import poll_mailbox
from ronda.takedowns.models import Takedown
from ronda.worker import Worker
from tests.support import factories


def test_worker_polls_imap_records_and_acknowledges(factory, settings, imap_server, smtp_server):
    factories.authority(factory)
    imap_server.deliver(
        factories.mail(message_id="<imap-1@komdigi.go.id>", body="https://t.me/slot_gacor_maxwin88")
    )
    imap_server.deliver(
        factories.mail(message_id="<imap-2@komdigi.go.id>", body="https://t.me/togel_hk_resmi/9")
    )
    box = ImapMailbox(
        host="127.0.0.1",
        port=imap_server.port,
        username=imap_server.user,
        password=imap_server.password,
        ssl=False,
    )
    settings.imap = [box]
    settings.imap_poll_seconds = 0
    worker = Worker(factory=factory, settings=settings)
    worker.tick()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Takedown)) == 2
    # acknowledgments went out in the same round
    sent = smtp_server.wait_for(2)
    assert len(sent) == 2
    assert all("TKD-" in m["Subject"] for m in sent)
    # a second round reads nothing new: messages are flagged after commit
    again = poll_mailbox(factory, settings=settings, box=box)
    assert again.fetched == 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Takedown)) == 2
