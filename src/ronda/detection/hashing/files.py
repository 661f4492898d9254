"""Exact file-hash index: MD5 and SHA-256 of whole files."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

__all__ = ["FileHashIndex", "FileMatch", "file_digests", "validate_md5", "validate_sha256"]

Algorithm = Literal["md5", "sha256"]

_MD5 = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validate_md5(value: str) -> str:
    v = value.strip().lower()
    if not _MD5.fullmatch(v):
        raise ValueError(f"{value!r} is not an MD5 hash (32 hex digits)")
    return v


def validate_sha256(value: str) -> str:
    v = value.strip().lower()
    if not _SHA256.fullmatch(v):
        raise ValueError(f"{value!r} is not a SHA-256 hash (64 hex digits)")
    return v


def file_digests(source: bytes | str | os.PathLike[str] | BinaryIO) -> tuple[str, str]:
    """(md5, sha256) hex digests of bytes, a file path or a binary stream, read in 1 MiB blocks."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        md5.update(source)
        sha.update(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            _feed(fh, md5, sha)
    else:
        _feed(source, md5, sha)
    return md5.hexdigest(), sha.hexdigest()


def _feed(fh: BinaryIO, *hashers: hashlib._Hash) -> None:
    while block := fh.read(1 << 20):
        for h in hashers:
            h.update(block)


@dataclass(frozen=True, slots=True)
class FileMatch:
    entry_id: str
    bank: str
    algorithm: Algorithm
    distance: int = 0  # exact matches only


class FileHashIndex:
    """Exact-match index of file hashes: one dict per algorithm."""

    def __init__(self) -> None:
        self._maps: dict[str, dict[str, list[tuple[str, str]]]] = {"md5": {}, "sha256": {}}

    def __len__(self) -> int:
        return sum(len(v) for m in self._maps.values() for v in m.values())

    def add(self, algorithm: Algorithm, digest: str, entry_id: str, bank: str = "default") -> None:
        value = validate_md5(digest) if algorithm == "md5" else validate_sha256(digest)
        holders = self._maps[algorithm].setdefault(value, [])
        if (bank, entry_id) not in holders:
            holders.append((bank, entry_id))

    def add_many(
        self, algorithm: Algorithm, items: Iterable[tuple[str, str]], bank: str = "default"
    ) -> int:
        count = 0
        for entry_id, digest in items:
            self.add(algorithm, digest, entry_id, bank)
            count += 1
        return count

    def remove(self, entry_id: str, bank: str | None = None) -> int:
        removed = 0
        for table in self._maps.values():
            for key in list(table):
                kept = [(b, e) for b, e in table[key] if not (e == entry_id and bank in (None, b))]
                removed += len(table[key]) - len(kept)
                if kept:
                    table[key] = kept
                else:
                    del table[key]
        return removed

    def lookup(self, algorithm: Algorithm, digest: str) -> list[FileMatch]:
        holders = self._maps[algorithm].get(digest.strip().lower(), [])
        return [FileMatch(e, b, algorithm) for b, e in holders]

    def match(self, *, md5: str | None = None, sha256: str | None = None) -> list[FileMatch]:
        out: list[FileMatch] = []
        if md5:
            out.extend(self.lookup("md5", md5))
        if sha256:
            out.extend(self.lookup("sha256", sha256))
        return out

    def match_bytes(self, data: bytes) -> list[FileMatch]:
        md5, sha = file_digests(data)
        return self.match(md5=md5, sha256=sha)

    def match_file(self, path: str | os.PathLike[str]) -> list[FileMatch]:
        md5, sha = file_digests(path)
        return self.match(md5=md5, sha256=sha)
