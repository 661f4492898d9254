"""Posted images kept as evidence: on disk, by SHA-256, cleaned, size-limited.

A moderator must see the image a decision is about, and an appeal or an
authority may need it months later (``retention_days``); after that the
retention purge deletes it with the post's text. So ``ronda scan`` keeps every
image it reads under ``evidence_dir``:

* only real images: Pillow must decode the pixels, which are then written
  again as a new file (PNG, or JPEG for JPEG photos) so nothing of the
  original survives but the picture: no EXIF, GPS, comments or trailing bytes,
  and no polyglot file that a browser could read as something else;
* named by the SHA-256 of the *original* file, the hash stored with the post
  (``posts.media[].sha256``), so the same image posted twice is kept once;
* never more than ``evidence_max_bytes`` in all: an image over the budget is
  not kept (the scan says so), and nothing kept is evicted to make room.

The files are served only through an authenticated console route
(``ronda.cases.pages``), never as static files.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
import warnings
from pathlib import Path

from ronda.errors import BadInput, TooLarge

__all__ = ["EvidenceStore", "clean_image"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg"}


def clean_image(data: bytes, *, max_pixels: int = 40_000_000) -> tuple[bytes, str]:
    """The picture of ``data`` written anew without metadata: (bytes, ".png" or ".jpg")."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > max_pixels:
                    raise BadInput(f"{img.width}x{img.height} pixels, over {max_pixels:,}")
                source_format = img.format
                img.seek(0)  # the first frame of an animation
                upright = ImageOps.exif_transpose(img)  # as the poster saw it
                if upright.mode not in ("RGB", "RGBA", "L"):
                    has_alpha = upright.mode in ("LA", "PA", "RGBa", "La") or (
                        "transparency" in upright.info
                    )
                    upright = upright.convert("RGBA" if has_alpha else "RGB")
                # a new image from the pixels alone: no info, EXIF, ICC or comments
                pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except BadInput:
        raise
    except Image.DecompressionBombError:
        raise BadInput("too many pixels") from None
    except Exception:  # Pillow raises many types for bad data; all mean "not an image"
        raise BadInput("not an image") from None
    out = io.BytesIO()
    if source_format == "JPEG" and pixels.mode in ("RGB", "L"):
        pixels.save(out, format="JPEG", quality=90)
        return out.getvalue(), ".jpg"
    pixels.save(out, format="PNG")
    return out.getvalue(), ".png"


class EvidenceStore:
    """The evidence folder. Safe to share between threads of one process."""

    def __init__(self, root: Path | str, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._used: int | None = None  # bytes under root, counted once then kept up to date

    def path_for(self, sha256: str) -> Path | None:
        """The kept file for an original's SHA-256, or None."""
        sha256 = sha256.lower()
        if not _SHA256.fullmatch(sha256):
            return None
        for suffix in SUFFIXES:
            path = self.root / sha256[:2] / f"{sha256}{suffix}"
            if path.is_file():
                return path
        return None

    def used_bytes(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        if self._used is None:
            total = 0
            if self.root.is_dir():
                for path in self.root.glob("??/*"):
                    if path.suffix in SUFFIXES and path.is_file():
                        total += path.stat().st_size
            self._used = total
        return self._used

    def keep(self, sha256: str, data: bytes, *, max_pixels: int = 40_000_000) -> Path:
        """Keep the cleaned image of ``data`` (whose SHA-256 is ``sha256``); its path.

        Raises ``BadInput`` for what is not an image and ``TooLarge`` when the
        store has no room for it.
        """
        sha256 = sha256.lower()
        if not _SHA256.fullmatch(sha256):
            raise BadInput(f"not a SHA-256: {sha256[:80]!r}")
        existing = self.path_for(sha256)
        if existing is not None:
            return existing
        cleaned, suffix = clean_image(data, max_pixels=max_pixels)
        folder = self.root / sha256[:2]
        with self._lock:
            used = self._count()
            if used + len(cleaned) > self.max_bytes:
                raise TooLarge(
                    f"the evidence folder holds {used:,} bytes; this image ({len(cleaned):,}) "
                    f"would pass evidence_max_bytes ({self.max_bytes:,}), so it is not kept"
                )
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"{sha256}{suffix}"
            # write then rename: a reader never sees half a file
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(cleaned)
                os.chmod(tmp, 0o640)
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._used = used + len(cleaned)
        return final

    def remove(self, sha256: str) -> bool:
        """Delete the kept image of ``sha256``; True when there was one."""
        with self._lock:
            path = self.path_for(sha256)
            if path is None:
                return False
            size = path.stat().st_size
            path.unlink(missing_ok=True)
            if self._used is not None:
                self._used = max(self._used - size, 0)
            return True


_stores: dict[tuple[str, int], EvidenceStore] = {}
_stores_lock = threading.Lock()


def store_for(evidence_dir: str, max_bytes: int) -> EvidenceStore | None:
    """The process's store for a configured folder (None when ``evidence_dir`` is empty)."""
    if not evidence_dir:
        return None
    key = (str(Path(evidence_dir).expanduser().resolve()), max_bytes)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = EvidenceStore(key[0], max_bytes=max_bytes)
        return store
