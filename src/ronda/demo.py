"""Demo data for ``ronda serve --demo``: authorities, users and realistic orders.

Everything here is invented. Channel names are made up and follow Telegram's
username rules; the letter numbers imitate the shape of real ones.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ronda.accounts import service as accounts
from ronda.accounts.models import User
from ronda.config import Settings
from ronda.db import session_scope
from ronda.db.base import utcnow
from ronda.links import Reference, extract
from ronda.takedowns import service
from ronda.takedowns.models import Channel

DEMO_PASSWORD = "ronda-demo-2026"  # noqa: S105  (printed on start; demo only)

USERS = [
    ("admin@ronda.example", "Admin Ronda", "admin", None, "en"),
    ("lead@ronda.example", "Sari Wulandari", "lead", None, "id"),
    ("moderator@ronda.example", "Budi Santoso", "moderator", None, "id"),
    ("narahubung@komdigi.example", "Dewi Lestari (Komdigi)", "authority", "komdigi", "id"),
    ("siber@polri.example", "AKP Rahmat (Siber Polri)", "authority", "polri-siber", "id"),
]

ORDERS = [
    # (authority, hours ago, letter, legal basis, categories, urgent, text)
    (
        "bnpt",
        1.5,
        "B-412/K.BNPT/PB.00/11/2026",
        "UU 5/2018 tentang Pemberantasan Tindak Pidana Terorisme",
        ["terrorism"],
        True,
        "MENDESAK. Kanal propaganda: https://t.me/ansharud_daulah_id , t.me/s/baiat_syam_news/118 , "
        "hxxps://t[.]me/kajian_thaghut_id/77 , @amaliyah_update_id",
    ),
    (
        "komdigi",
        20.0,
        "B-1187/DJAI.5/AI.04.02/11/2026",
        "UU ITE Pasal 27 ayat (2)",
        ["gambling"],
        False,
        "Daftar kanal judi online: https://t.me/slot_gacor_maxwin88 https://t.me/togel_hk_resmi/2201 "
        "https://t.me/+AbCdEfGhIjK12345 https://telegram.me/rtp_live_hariini https://t.me/share/url?url=x",
    ),
    (
        "komdigi",
        6.0,
        "B-1201/DJAI.5/AI.04.02/11/2026",
        "UU ITE Pasal 28 ayat (1)",
        ["scam"],
        False,
        "Penipuan berkedok kurir dan pinjol: t.me/cek_resi_paket_jnt/55 t.me/pinjol_cair_cepat_id "
        "t.me/dana_kaget_hariini/9 t.me/loker_like_video_id",
    ),
    (
        "polri-siber",
        3.0,
        "R/233/XI/2026/Dittipidsiber",
        "UU ITE Pasal 28 ayat (2)",
        ["hate", "public_order"],
        True,
        "SEGERA. Provokasi kerusuhan: https://t.me/seruan_aksi_rusuh_id/301 https://t.me/seruan_aksi_rusuh_id/302",
    ),
]


DEMO_POSTS = Path(__file__).resolve().parent / "demo_posts.jsonl"


def seed_posts(factory: sessionmaker[Session], settings: Settings) -> int:
    """Scan the demo posts through the real detection pipeline: the queue fills
    with the cases it opens (the news and the anti-gambling post stay out)."""
    from ronda.detection.pipeline.core import Pipeline, PipelineConfig
    from ronda.detection.schemas import MediaIn, PostIn

    posts = [
        PostIn.model_validate_json(line)
        for line in DEMO_POSTS.read_text().splitlines()
        if line.strip()
    ]
    pipeline = Pipeline(PipelineConfig.from_settings(settings, ocr=False), entry_points=False)
    with tempfile.TemporaryDirectory(prefix="ronda-demo-") as tmp:
        # the gambling channel's first post carries a banner, read like `ronda scan` reads
        # files, so with evidence_dir set the case page shows it blurred until clicked
        banner = _banner(Path(tmp) / "banner-1841.png")
        for post in posts:
            if post.channel == "slot_gacor_maxwin88" and post.post_id == 1841:
                post.media = [MediaIn(path=banner.name)]
        with session_scope(factory) as session:
            result = pipeline.run(
                session, posts, source="api", actor="demo", base_dir=Path(tmp), allow_paths=True
            )
    return len(result.outcomes)


def _banner(path: Path) -> Path:
    """An invented slot-site banner (drawn here, no file shipped)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (640, 300), (120, 0, 20))
    draw = ImageDraw.Draw(img)
    for k in range(12):
        draw.ellipse((20 + 50 * k, 230, 60 + 50 * k, 270), fill=(255, 200, 0))
    draw.text((30, 30), "SLOT GACOR MAXWIN", fill=(255, 220, 0), font=ImageFont.load_default(54))
    draw.text((30, 120), "DEPO 10RB VIA DANA", fill="white", font=ImageFont.load_default(40))
    img.save(path)
    return path


def seed(factory: sessionmaker[Session], settings: Settings) -> bool:
    """Create the demo data once; returns False when it is already there."""
    with session_scope(factory) as session:
        if session.scalar(select(User.id).where(User.email == USERS[0][0])) is not None:
            return False
        accounts.add_authority(
            session,
            slug="komdigi",
            name="Kementerian Komunikasi dan Digital",
            emails=["aduan@komdigi.example", "narahubung@komdigi.example"],
            actor="demo",
        )
        accounts.add_authority(
            session,
            slug="polri-siber",
            name="Direktorat Tindak Pidana Siber Bareskrim Polri",
            emails=["siber@polri.example"],
            actor="demo",
        )
        accounts.add_authority(
            session,
            slug="bnpt",
            name="Badan Nasional Penanggulangan Terorisme",
            emails=["humas@bnpt.example"],
            actor="demo",
        )
        for email, name, role, authority, lang in USERS:
            accounts.add_user(
                session,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                authority_slug=authority,
                language=lang,
                actor="demo",
            )
        now = utcnow()
        for slug, hours_ago, letter, basis, cats, urgent, text in ORDERS:
            found = extract(text)
            draft = service.OrderDraft(
                channel=Channel.EMAIL if slug != "polri-siber" else Channel.PORTAL,
                received_at=now - timedelta(hours=hours_ago),
                references=[f for f in found if isinstance(f, Reference)],
                invalid=[f for f in found if not isinstance(f, Reference)],  # type: ignore[misc]
                letter_number=letter,
                legal_basis=basis,
                urgent=urgent,
                categories=cats,
                subject_line=f"Permintaan pemutusan akses {letter}",
            )
            order = service.open_order(
                session,
                settings=settings,
                draft=draft,
                authority=accounts.get_authority(session, slug),
                actor="demo",
            )
            order.acknowledged_at = order.received_at
        # one order handled in part, one quarantined mail from an unknown sender
        first = service.list_orders(
            session, authority_id=accounts.get_authority(session, "komdigi").id
        )[0]
        session.refresh(first)
        if first.items:
            service.set_outcome(
                session,
                item=first.items[0],
                status="actioned",
                reason=None,
                actor="user:moderator@ronda.example",
            )
        found = extract("Tolong blokir https://t.me/kanal_contoh_palsu segera")
        service.open_order(
            session,
            settings=settings,
            draft=service.OrderDraft(
                channel=Channel.EMAIL,
                received_at=now - timedelta(minutes=40),
                references=[f for f in found if isinstance(f, Reference)],
                sender="kominfo.pusat@gmail.example",
                subject_line="Blokir segera",
            ),
            authority=None,
            actor="demo",
            quarantine_reason="sender kominfo.pusat@gmail.example is not registered for any authority",
        )
    seed_posts(factory, settings)
    return True
