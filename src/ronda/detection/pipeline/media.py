"""Media files of posts: checked, hashed (MD5, SHA-256, PDQ) and handed to OCR.

Only ``ronda scan`` reads files (paths in a JSON lines file, relative to it);
the content API refuses paths, since a request must not make the server read
its own disk. A path that is missing, too large, or not an image makes the
post a skipped line with that reason: what cannot be checked is not
silently passed as clean. Each image read is also kept, cleaned, in the
evidence store when one is configured (``ronda.detection.evidence``); an image
the store cannot take is a warning, not an error: the post is still scanned.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ronda.detection.detectors import MediaRef
from ronda.detection.evidence import EvidenceStore
from ronda.detection.hashing import file_digests, pdq_from_image
from ronda.detection.schemas import PostIn
from ronda.errors import BadInput

__all__ = ["PreparedMedia", "prepare_media"]

# Leading bytes of the image formats Tesseract and Pillow read (used when Pillow is missing).
_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


@dataclass
class PreparedMedia:
    refs: tuple[MediaRef, ...] = ()
    stored: list[dict[str, Any]] = field(default_factory=list)
    images: list[tuple[int, Path]] = field(default_factory=list)  # (media index, file) to OCR
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def prepare_media(
    post: PostIn,
    *,
    base_dir: Path | None,
    allow_paths: bool,
    max_bytes: int,
    max_pixels: int,
    evidence: EvidenceStore | None = None,
) -> PreparedMedia:
    """Hashes of every media entry; files named by ``path`` are read, checked and hashed."""
    out = PreparedMedia()
    refs: list[MediaRef] = []
    for k, media in enumerate(post.media):
        md5, sha256, pdq = media.md5, media.sha256, media.pdq
        stored: dict[str, Any] = {
            key: value
            for key, value in (("md5", md5), ("sha256", sha256), ("pdq", pdq), ("path", media.path))
            if value
        }
        if media.path:
            if not allow_paths:
                out.error = (
                    f"media {k}: file paths are read only by `ronda scan`; send sha256, md5 or pdq"
                )
                return out
            path = Path(media.path).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            try:
                md5, sha256, pdq, quality, data = _read_image(path, max_bytes, max_pixels)
            except BadInput as exc:
                out.error = f"media {k}: {exc.message}"
                return out
            if evidence is not None:
                try:
                    evidence.keep(sha256, data, max_pixels=max_pixels)
                except BadInput as exc:
                    out.warnings.append(f"media {k}: not kept as evidence: {exc.message}")
                except OSError as exc:
                    out.warnings.append(f"media {k}: not kept as evidence ({exc.strerror})")
            stored.update(md5=md5, sha256=sha256)
            if pdq:
                stored.update(pdq=pdq, pdq_quality=quality)
            out.images.append((k, path))
        refs.append(MediaRef(md5=md5, sha256=sha256, pdq=pdq))
        out.stored.append(stored)
    out.refs = tuple(refs)
    return out


def _read_image(
    path: Path, max_bytes: int, max_pixels: int
) -> tuple[str, str, str | None, int | None, bytes]:
    """(md5, sha256, pdq or None, pdq quality, bytes) of an image file, or BadInput saying why not."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path} ({exc.strerror})") from None
    if not path.is_file():
        raise BadInput(f"not a file: {path}")
    if size > max_bytes:
        raise BadInput(f"{path} is {size:,} bytes, over the limit of {max_bytes:,}")
    if size == 0:
        raise BadInput(f"{path} is empty, not an image")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {path} ({exc.strerror})") from None
    md5, sha256 = file_digests(data)
    _check_image(path, data, max_pixels)
    try:
        pdq, quality = pdq_from_image(data)
    except RuntimeError:  # pdqhash not installed: no PDQ, the rest still works
        return md5, sha256, None, None, data
    except BadInput:
        raise BadInput(f"{path} is not an image") from None
    return md5, sha256, pdq, quality, data


def _check_image(path: Path, data: bytes, max_pixels: int) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is pinned
        if not data.startswith(_MAGIC) and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise BadInput(f"{path} is not an image") from None
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except Image.DecompressionBombError:
        raise BadInput(f"{path} has too many pixels") from None
    except Exception:  # Pillow raises many types for bad data; all mean "not an image"
        raise BadInput(f"{path} is not an image") from None
    if width * height > max_pixels:
        raise BadInput(f"{path} is {width}x{height} pixels, over the limit of {max_pixels:,}")
