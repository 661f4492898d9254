"""iter_messages over .eml files, mbox files and Maildir folders."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from ronda.config import Limits
from ronda.errors import BadInput
from ronda.takedowns.intake.mail import parse_message
from ronda.takedowns.intake.sources import MailSource, iter_messages


def make_message(n: int, body: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"pengirim{n}@komdigi.go.id"
    msg["Subject"] = f"Pemblokiran {n}"
    msg["Message-ID"] = f"<m{n}@komdigi.go.id>"
    msg.set_content(body or f"Mohon blokir https://t.me/kanal{n}\n")
    return msg


def test_single_eml_file(tmp_path: Path) -> None:
    path = tmp_path / "order.eml"
    path.write_bytes(make_message(1).as_bytes())
    sources = list(iter_messages(path))
    assert sources == [MailSource("order.eml", path.read_bytes(), False)]
    assert parse_message(sources[0].raw, limits=Limits()).message_id == "m1@komdigi.go.id"


def test_mbox_with_from_line_in_a_body(tmp_path: Path) -> None:
    path = tmp_path / "orders.mbox"
    box = mailbox.mbox(path)
    box.add(make_message(1))
    box.add(make_message(2, "Halo,\n\nFrom here on, blokir https://t.me/kanal2\n"))
    box.add(make_message(3))
    box.flush()
    box.close()
    sources = list(iter_messages(path))
    assert [s.source_id for s in sources] == ["orders.mbox#1", "orders.mbox#2", "orders.mbox#3"]
    assert not any(s.truncated for s in sources)
    mails = [parse_message(s.raw, limits=Limits()) for s in sources]
    assert [m.message_id for m in mails] == [
        "m1@komdigi.go.id",
        "m2@komdigi.go.id",
        "m3@komdigi.go.id",
    ]
    assert "From here on, blokir https://t.me/kanal2" in mails[1].text
    assert all(not s.raw.startswith(b"From ") for s in sources)


def test_mbox_unescaped_from_inside_a_paragraph_does_not_split(tmp_path: Path) -> None:
    path = tmp_path / "hand.mbox"
    path.write_bytes(
        b"From a@b Mon Nov  2 09:00:00 2026\n"
        b"From: a@b.id\nSubject: satu\n\nbaris satu\nFrom the ministry, with love\n\n"
        b"From c@d Mon Nov  2 10:00:00 2026\n"
        b"From: c@d.id\nSubject: dua\n\nisi dua\n"
    )
    sources = list(iter_messages(path))
    assert len(sources) == 2
    assert b"From the ministry" in sources[0].raw
    assert sources[1].raw.endswith(b"isi dua")


def test_mbox_streams_many_messages_and_caps_huge_ones(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    with path.open("wb") as fh:
        for i in range(2000):
            fh.write(b"From x@y Mon Nov  2 09:00:00 2026\n")
            fh.write(b"From: a@b.id\nSubject: %d\n\nisi %d\n\n" % (i, i))
        fh.write(b"From x@y Mon Nov  2 09:00:00 2026\nFrom: huge@b.id\n\n")
        fh.write(b"x" * 300_000 + b"\n")  # one line longer than the read chunk
    iterator = iter_messages(path, max_bytes=100_000)
    first = next(iterator)
    assert first.source_id == "big.mbox#1"
    rest = list(iterator)
    assert len(rest) == 2000
    huge = rest[-1]
    assert huge.truncated is True
    assert len(huge.raw) == 100_001
    assert not rest[0].truncated


def test_maildir_new_and_cur(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir")
    key_new = box.add(make_message(1))
    moved = mailbox.MaildirMessage(make_message(2))
    moved.set_subdir("cur")
    moved.add_flag("S")
    key_cur = box.add(moved)
    (tmp_path / "Maildir" / "new" / ".hidden").write_bytes(b"ignored")
    sources = list(iter_messages(tmp_path / "Maildir"))
    ids = [s.source_id for s in sources]
    assert ids[0].startswith("new/") and key_new in ids[0]
    assert ids[1].startswith("cur/") and key_cur in ids[1]
    assert len(ids) == 2
    subjects = [parse_message(s.raw, limits=Limits()).subject for s in sources]
    assert subjects == ["Pemblokiran 1", "Pemblokiran 2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not an e-mail message"),
        (b"just some words, no headers\n", "not an e-mail message"),
        (b"", "empty"),
    ],
)
def test_files_that_are_not_mail(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "thing.bin"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        iter_messages(path)


def test_folder_that_is_not_a_maildir_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(BadInput, match="not a Maildir"):
        iter_messages(tmp_path / "folder")
    with pytest.raises(BadInput, match="no such file"):
        iter_messages(tmp_path / "missing.eml")
