"""`ronda serve --demo` opens on a queue of realistic Indonesian cases."""

from __future__ import annotations

from sqlalchemy import select

from ronda.demo import seed
from ronda.detection.models import Case
from ronda.subjects.models import Subject


def test_demo_seed_fills_the_desk_and_the_queue(factory, settings):
    assert seed(factory, settings) is True
    assert seed(factory, settings) is False  # once only
    with factory() as s:
        rows = s.execute(
            select(Subject.canonical, Case.category).join(Case, Case.subject_id == Subject.id)
        ).all()
    flagged = {(c, cat) for c, cat in rows}
    cats = {cat for _, cat in flagged}
    assert {"gambling", "scam", "terrorism"} <= cats
    assert ("https://t.me/ansharud_daulah_id/118", "terrorism") in flagged
    # news of an arrest, a mosque's study circle, a health post and an anti-gambling campaign are not cases
    subjects = {c for c, _ in flagged}
    for clean in (
        "https://t.me/berita_nusantara_kini/4012",
        "https://t.me/masjid_al_ikhlas_kita/902",
        "https://t.me/info_warga_bekasi/15",
        "https://t.me/stop_judol_sekarang/44",
    ):
        assert clean not in subjects


def test_demo_banner_is_kept_as_evidence(factory, settings, tmp_path):
    from ronda.detection.evidence import store_for
    from ronda.detection.models import Post

    settings.evidence_dir = str(tmp_path / "evidence")
    seed(factory, settings)
    with factory() as s:
        post = s.scalars(select(Post).where(Post.platform_post_id == 1841)).one()
    sha = post.media[0]["sha256"]
    store = store_for(settings.evidence_dir, settings.evidence_max_bytes)
    assert store is not None and store.path_for(sha) is not None
