"""Read raw messages from an .eml file, an mbox file or a Maildir folder.

Everything streams: one message is in memory at a time, and a message's
bytes are read in bounded chunks, so a huge mbox (or one with a huge line)
does not have to fit in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ronda.errors import BadInput

__all__ = ["MailSource", "iter_messages"]

_CHUNK = 64 * 1024
_HEADER_START = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,76}:")
_ESCAPED_FROM = re.compile(rb"^>+From ")


@dataclass(frozen=True)
class MailSource:
    """One raw message and where it came from.

    ``source_id`` is stable for the same input: the file name for an .eml,
    ``"<mbox name>#<n>"`` (1-based) for an mbox, ``"new/<file>"`` or
    ``"cur/<file>"`` for a Maildir. ``truncated`` is set when the message was
    longer than ``max_bytes``; ``raw`` then holds its first ``max_bytes + 1``
    bytes, so that ``parse_message`` rejects it with TooLarge.
    """

    source_id: str
    raw: bytes
    truncated: bool = False


def iter_messages(path: Path, *, max_bytes: int | None = None) -> Iterator[MailSource]:
    """Yield every message in ``path`` (.eml file, mbox file or Maildir folder).

    Raises BadInput, before yielding anything, for a path that is none of these.
    """
    path = Path(path)
    if path.is_dir():
        return _maildir(path, max_bytes)
    if not path.is_file():
        raise BadInput(f"{path.name or path}: no such file or folder")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise BadInput(f"{path.name}: the file is empty")
    if head.startswith(b"From "):
        return _mbox(path, max_bytes)
    first_line = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if _HEADER_START.match(first_line):
        return _single(path, max_bytes)
    raise BadInput(f"{path.name}: not an e-mail message (.eml), an mbox file or a Maildir folder")


def _read_bounded(fh: BinaryIO, max_bytes: int | None) -> tuple[bytes, bool]:
    if max_bytes is None:
        return fh.read(), False
    data = fh.read(max_bytes + 1)
    return data, len(data) > max_bytes


def _single(path: Path, max_bytes: int | None) -> Iterator[MailSource]:
    with path.open("rb") as fh:
        data, truncated = _read_bounded(fh, max_bytes)
    yield MailSource(path.name, data, truncated)


def _maildir(path: Path, max_bytes: int | None) -> Iterator[MailSource]:
    subdirs = [path / name for name in ("new", "cur")]
    if not any(d.is_dir() for d in subdirs):
        raise BadInput(f"{path.name or path}: a folder but not a Maildir (no cur/ or new/)")
    return _maildir_files(subdirs, max_bytes)


def _maildir_files(subdirs: list[Path], max_bytes: int | None) -> Iterator[MailSource]:
    for subdir in subdirs:
        if not subdir.is_dir():
            continue
        names = sorted(p.name for p in subdir.iterdir() if not p.name.startswith("."))
        for name in names:
            file = subdir / name
            if not file.is_file():
                continue
            with file.open("rb") as fh:
                data, truncated = _read_bounded(fh, max_bytes)
            yield MailSource(f"{subdir.name}/{name}", data, truncated)


class _Collector:
    """Bytes of the message being read, capped at ``max_bytes + 1``."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        if self.max_bytes is not None:
            room = self.max_bytes + 1 - self.size
            if room <= 0:
                self.truncated = True
                return
            if len(chunk) > room:
                chunk = chunk[:room]
                self.truncated = True
        self.chunks.append(chunk)
        self.size += len(chunk)

    def take(self) -> tuple[bytes, bool]:
        data = b"".join(self.chunks)
        truncated = self.truncated or (self.max_bytes is not None and len(data) > self.max_bytes)
        if not truncated:
            # The blank line an mbox writer puts between messages is not
            # part of the message.
            if data.endswith(b"\r\n"):
                data = data[:-2]
            elif data.endswith(b"\n"):
                data = data[:-1]
        return data, truncated


def _mbox(path: Path, max_bytes: int | None) -> Iterator[MailSource]:
    """Split an mbox file on "From " lines that follow a blank line.

    A "From " line only starts a new message at the top of the file or after
    an empty line, so an unescaped "From " in a body paragraph does not split
    a message. Lines escaped as ">From " (mboxrd/mboxo) lose one ">".
    """
    count = 0
    current: _Collector | None = None
    at_line_start = True
    previous_blank = True
    with path.open("rb") as fh:
        while True:
            chunk = fh.readline(_CHUNK)
            if not chunk:
                break
            if at_line_start:
                if chunk.startswith(b"From ") and previous_blank:
                    if current is not None:
                        data, truncated = current.take()
                        yield MailSource(f"{path.name}#{count}", data, truncated)
                    count += 1
                    current = _Collector(max_bytes)
                    # Skip the rest of the envelope line, however long.
                    while not chunk.endswith(b"\n"):
                        chunk = fh.readline(_CHUNK)
                        if not chunk:
                            break
                    at_line_start = True
                    previous_blank = False
                    continue
                if _ESCAPED_FROM.match(chunk):
                    chunk = chunk[1:]
                previous_blank = chunk in (b"\n", b"\r\n")
            elif chunk.endswith(b"\n"):
                previous_blank = False
            if current is not None:
                current.add(chunk)
            at_line_start = chunk.endswith(b"\n")
    if current is not None:
        data, truncated = current.take()
        yield MailSource(f"{path.name}#{count}", data, truncated)
