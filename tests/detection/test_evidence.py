"""Posted images kept as evidence: real images only, cleaned, by SHA-256, within budget."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from ronda.detection.evidence import EvidenceStore, clean_image
from ronda.detection.pipeline import Pipeline, PipelineConfig
from ronda.detection.schemas import PostIn
from ronda.errors import BadInput, TooLarge


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "secret-editor"  # Software
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 0.0)}  # GPS: Jakarta-ish
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, comment=b"posted by @someone")
    return out.getvalue()


def png(color=(0, 120, 200), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def test_cleaning_drops_metadata_and_keeps_the_picture():
    data = jpeg_with_gps()
    assert b"PhoneMaker" in data and b"posted by" in data
    cleaned, suffix = clean_image(data)
    assert suffix == ".jpg"
    assert b"PhoneMaker" not in cleaned and b"secret-editor" not in cleaned
    assert b"posted by" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as img:
        assert img.size == (64, 48) and not img.getexif()
        r, g, _ = img.convert("RGB").getpixel((10, 10))
        assert r > 150 and g < 80


def test_a_polyglot_loses_its_tail_and_html_is_not_an_image():
    polyglot = png() + b"<html><script>alert(1)</script></html>"
    cleaned, suffix = clean_image(polyglot)
    assert suffix == ".png" and b"<script>" not in cleaned
    with pytest.raises(BadInput, match="not an image"):
        clean_image(b"<html><script>alert(1)</script></html>")
    with pytest.raises(BadInput, match="not an image"):
        clean_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)


def test_store_keeps_once_by_sha256_within_its_budget(tmp_path):
    store = EvidenceStore(tmp_path / "ev", max_bytes=5_000)
    one = png()
    sha = hashlib.sha256(one).hexdigest()
    path = store.keep(sha, one)
    assert path == tmp_path / "ev" / sha[:2] / f"{sha}.png"
    assert store.keep(sha.upper(), one) == path  # the same image twice is kept once
    assert store.path_for(sha) == path and store.used_bytes() == path.stat().st_size
    big = io.BytesIO()
    Image.effect_noise((200, 200), 80).save(big, format="PNG")  # noise does not compress
    with pytest.raises(TooLarge, match="evidence_max_bytes"):
        store.keep(hashlib.sha256(big.getvalue()).hexdigest(), big.getvalue())
    assert store.path_for("../../etc/passwd") is None
    with pytest.raises(BadInput):
        store.keep("not-a-hash", one)
    # a second process counts what is already there
    assert EvidenceStore(tmp_path / "ev", max_bytes=5_000).used_bytes() == store.used_bytes()
    assert store.remove(sha) and not path.exists() and store.used_bytes() == 0
    assert not store.remove(sha)


def test_scan_keeps_the_images_it_reads_and_warns_when_it_cannot(factory, tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg_with_gps())
    noise = io.BytesIO()
    Image.effect_noise((300, 300), 80).save(noise, format="PNG")
    (tmp_path / "b.png").write_bytes(noise.getvalue())
    config = PipelineConfig(ocr=False, evidence_dir=str(tmp_path / "ev"), evidence_max_bytes=20_000)
    pipeline = Pipeline(config, entry_points=False)
    posts = [
        PostIn.model_validate(
            {"post_id": 5, "channel": "kanal_gambar", "text": "x", "media": [{"path": "a.jpg"}]}
        ),
        PostIn.model_validate(
            {"post_id": 6, "channel": "kanal_gambar", "text": "x", "media": [{"path": "b.png"}]}
        ),
    ]
    with factory() as s:
        result = pipeline.run(s, posts, source="scan", base_dir=tmp_path, allow_paths=True)
        s.commit()
    first, second = result.outcomes
    assert first.error is None and first.warnings == []
    sha = hashlib.sha256((tmp_path / "a.jpg").read_bytes()).hexdigest()
    kept = tmp_path / "ev" / sha[:2] / f"{sha}.jpg"
    assert kept.is_file() and b"PhoneMaker" not in kept.read_bytes()
    # over the budget: scanned all the same, with a warning that says why
    assert second.error is None and second.subject_id is not None
    assert len(second.warnings) == 1 and "not kept as evidence" in second.warnings[0]
    assert "evidence_max_bytes" in second.warnings[0]
