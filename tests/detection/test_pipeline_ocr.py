"""Images in posts: OCR with Tesseract, file and PDQ hashes, images that are not images."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from ronda.detection import service
from ronda.detection.hashing import file_digests
from ronda.detection.models import Post
from ronda.detection.pipeline import Pipeline, PipelineConfig
from ronda.detection.schemas import PostIn

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="needs the tesseract binary (Debian: tesseract-ocr tesseract-ocr-ind)",
)


def gambling_banner(path: Path) -> Path:
    """Indonesian gambling promotion in large black letters on white."""
    img = Image.new("RGB", (1400, 420), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=84)
    draw.text((40, 60), "SLOT GACOR MAXWIN", fill="black", font=font)
    draw.text((40, 220), "DEPO 10RB", fill="black", font=font)
    img.save(path)
    return path


def post(post_id: int, media: list[dict], text: str = "") -> PostIn:
    return PostIn.model_validate(
        {"post_id": post_id, "channel": "kanal_gambar", "text": text, "media": media}
    )


def scan(factory, pipeline, posts, base_dir):
    with factory() as s:
        result = pipeline.run(s, posts, source="scan", base_dir=base_dir, allow_paths=True)
        s.commit()
    return result


@needs_tesseract
def test_text_in_an_image_is_read_and_classified_with_source_ocr(factory, tmp_path):
    banner = gambling_banner(tmp_path / "banner.png")
    pipeline = Pipeline(entry_points=False)
    assert "tesseract" in pipeline.versions
    result = scan(
        factory, pipeline, [post(1, [{"path": "banner.png"}], text="cek gambar")], tmp_path
    )
    out = result.outcomes[0]
    assert out.error is None, out.error
    ocr = [s for s in out.signals if s.evidence.get("source") == "ocr"]
    assert ocr, out.signals
    sig = ocr[0]
    assert sig.detector == "rules" and sig.category == "gambling" and sig.flagged
    assert sig.evidence["media_index"] == 0
    assert sig.evidence["extractor"].startswith("tesseract/")
    assert out.cases[0].category == "gambling"
    with factory() as s:
        stored = s.get(Post, out.subject_id)
        assert "GACOR" in (stored.ocr_text or "").upper()
        md5, sha256 = file_digests(banner)
        assert stored.media[0]["md5"] == md5 and stored.media[0]["sha256"] == sha256
        assert len(stored.media[0]["pdq"]) == 64


def test_image_files_are_hashed_for_the_banks(factory, settings, tmp_path):
    banner = gambling_banner(tmp_path / "banner.png")
    md5, _ = file_digests(banner)
    with factory() as s:
        service.create_bank(s, name="judol-files", signal_type="md5")
        service.add_entry(s, bank="judol-files", value=md5, category="gambling")
        service.create_bank(s, name="judol-pdq", signal_type="pdq")
        from ronda.detection.hashing import pdq_from_image

        service.add_entry(s, bank="judol-pdq", value=pdq_from_image(banner)[0], category="gambling")
        s.commit()
    pipeline = Pipeline(PipelineConfig(ocr=False), entry_points=False)
    out = scan(factory, pipeline, [post(1, [{"path": str(banner)}])], None).outcomes[0]
    sig = next(s for s in out.signals if s.detector == "hashbank")
    assert {m["bank"] for m in sig.evidence["matches"]} == {"judol-files", "judol-pdq"}
    assert sig.evidence["source"] == "media"


def test_a_file_that_is_not_an_image_is_skipped_with_the_reason(factory, tmp_path):
    (tmp_path / "fake.png").write_bytes(b"this is a text file, not a PNG\n" * 10)
    (tmp_path / "ok.png").write_bytes(b"")
    pipeline = Pipeline(entry_points=False)
    result = scan(
        factory,
        pipeline,
        [
            post(1, [{"path": "fake.png"}]),
            post(2, [{"path": "missing.png"}]),
            post(3, [{"path": "ok.png"}]),
            post(4, [{"md5": "9e107d9d372bb6826bd81d3542a419d6"}], text="teks biasa"),
        ],
        tmp_path,
    )
    fake, missing, empty, fine = result.outcomes
    assert fake.error and "not an image" in fake.error and fake.error.startswith("media 0:")
    assert missing.error and "no such file" in missing.error
    assert empty.error and "empty" in empty.error
    assert fine.error is None and result.scanned == 1 and result.failed == 3
    with factory() as s:
        assert s.scalars(select(Post.platform_post_id)).all() == [4]


def test_oversized_images_and_paths_outside_scan_are_refused(factory, tmp_path):
    banner = gambling_banner(tmp_path / "banner.png")
    small = Pipeline(PipelineConfig(max_image_bytes=100, ocr=False), entry_points=False)
    out = scan(factory, small, [post(1, [{"path": str(banner)}])], None).outcomes[0]
    assert out.error and "over the limit" in out.error
    tiny = Pipeline(PipelineConfig(max_image_pixels=1000, ocr=False), entry_points=False)
    out = scan(factory, tiny, [post(2, [{"path": str(banner)}])], None).outcomes[0]
    assert out.error and "pixels" in out.error
    with factory() as s:
        got = Pipeline(entry_points=False).run(s, [post(3, [{"path": str(banner)}])], source="api")
    assert "only by `ronda scan`" in (got.outcomes[0].error or "")


@needs_tesseract
def test_ocr_timeout_is_a_warning_not_a_failure(factory, tmp_path):
    gambling_banner(tmp_path / "banner.png")
    pipeline = Pipeline(PipelineConfig(ocr_timeout=0.001), entry_points=False)
    out = scan(factory, pipeline, [post(1, [{"path": "banner.png"}])], tmp_path).outcomes[0]
    assert out.error is None
    assert out.warnings and "OCR took longer" in out.warnings[0]
