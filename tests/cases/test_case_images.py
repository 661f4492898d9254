"""A post's kept image on the case page: staff only, blurred until clicked, purged on time."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from ronda.actions import retention
from ronda.actions import service as actions
from ronda.db import session_scope
from ronda.db.base import utcnow
from ronda.detection.models import Case, Post
from ronda.detection.pipeline import Pipeline, PipelineConfig
from ronda.detection.schemas import PostIn
from ronda.jobs import service as jobs
from ronda.subjects.models import Subject
from ronda.web.app import create_app
from tests.support import factories

pytest_plugins = ["tests.support.platform"]

HOSTILE_NAME = "<img src=x onerror=alert(1)>.png"


def banner() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (250, 200, 0)).save(out, format="PNG")
    return out.getvalue()


def scan_post(factory, settings, tmp_path, post_id=1841, name=HOSTILE_NAME) -> tuple[int, str]:
    """A gambling post with one image, through the pipeline as `ronda scan` runs it."""
    (tmp_path / name).write_bytes(banner())
    pipeline = Pipeline(PipelineConfig.from_settings(settings, ocr=False), entry_points=False)
    post = PostIn.model_validate(
        {
            "post_id": post_id,
            "channel": "slot_gacor_maxwin88",
            "channel_title": "<script>alert('t')</script>",
            "text": "SLOT GACOR hari ini, depo 10rb langsung maxwin! daftar sekarang",
            "media": [{"path": name}],
        }
    )
    with session_scope(factory) as s:
        result = pipeline.run(s, [post], source="scan", base_dir=tmp_path, allow_paths=True)
    out = result.outcomes[0]
    assert out.error is None and out.cases, out
    return out.cases[0].id, hashlib.sha256(banner()).hexdigest()


@pytest.fixture
def evidence_settings(settings, tmp_path):
    settings.evidence_dir = str(tmp_path / "evidence")
    return settings


@pytest.fixture
def client(factory, evidence_settings):
    with TestClient(create_app(evidence_settings, factory), base_url="https://testserver") as c:
        yield c


def login(client, email):
    r = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303


def test_staff_see_the_image_blurred_others_do_not_get_it(
    client, factory, evidence_settings, tmp_path
):
    case_id, sha = scan_post(factory, evidence_settings, tmp_path)
    url = f"/review/cases/{case_id}/media/0"

    # anonymous: to the login page
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")

    # an authority's liaison officer: never
    factories.authority(factory)
    factories.user(factory, "narahubung@komdigi.go.id", "authority", authority_slug="komdigi")
    login(client, "narahubung@komdigi.go.id")
    assert client.get(url).status_code == 403
    assert client.get(f"/review/cases/{case_id}").status_code == 403
    client.cookies.clear()

    factories.user(factory, "mod@ronda.test", "moderator")
    login(client, "mod@ronda.test")
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    with Image.open(io.BytesIO(r.content)) as img:
        assert img.size == (120, 80)
    assert client.get(f"/review/cases/{case_id}/media/1").status_code == 404
    assert client.get(f"/review/cases/{case_id}/media/-1").status_code == 404

    page = client.get(f"/review/cases/{case_id}").text
    figure = re.search(
        r'<figure class="media blurred"[^>]*data-reveal[^>]*>(.*?)</figure>', page, re.S
    )
    assert figure, page
    assert f'<img src="{url}"' in figure.group(1)
    assert f'<a href="{url}" class="show-image">Show image</a>' in figure.group(1)  # no-JS
    assert sha[:16] in figure.group(1)
    # the file's name and the channel title are text, never markup
    assert "<img src=x" not in page and "onerror=alert" not in page
    assert "<script>alert('t')</script>" not in page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page


def test_without_an_evidence_folder_only_hashes_are_shown(
    client, factory, evidence_settings, tmp_path
):
    evidence_settings.evidence_dir = ""
    case_id, sha = scan_post(factory, evidence_settings, tmp_path, name="banner.png")
    factories.user(factory, "mod@ronda.test", "moderator")
    login(client, "mod@ronda.test")
    page = client.get(f"/review/cases/{case_id}").text
    assert "Image not kept: only its hashes are known" in page and sha[:16] in page
    assert client.get(f"/review/cases/{case_id}/media/0").status_code == 404


def test_the_retention_purge_deletes_the_image_unless_another_post_shows_it(
    factory, evidence_settings, tmp_path, platform
):
    case_id, sha = scan_post(factory, evidence_settings, tmp_path, name="a.png")
    scan_post(factory, evidence_settings, tmp_path, post_id=1842, name="b.png")  # same picture
    kept = tmp_path / "evidence" / sha[:2] / f"{sha}.png"
    assert kept.is_file()
    with session_scope(factory) as s:
        case = s.get(Case, case_id)
        actions.request(
            s,
            kind="remove_post",
            subject=s.get(Subject, case.subject_id),
            decided_by="user:mod@ronda.test",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Promosi judi online.",
        )
    assert jobs.run_due(factory, kinds=[actions.JOB_KIND]) == (1, 0)
    later = utcnow() + timedelta(days=evidence_settings.retention_days + 1)
    with session_scope(factory) as s:
        first = retention.purge(s, settings=evidence_settings, now=later)
    assert first.posts == 1 and first.images == 0 and kept.is_file()  # post 1842 still shows it
    with session_scope(factory) as s:
        other = s.scalars(select(Post).where(Post.platform_post_id == 1842)).one()
        actions.request(
            s,
            kind="remove_post",
            subject=s.get(Subject, other.subject_id),
            decided_by="user:mod@ronda.test",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Promosi judi online.",
        )
    jobs.run_due(factory, kinds=[actions.JOB_KIND])
    with session_scope(factory) as s:
        second = retention.purge(s, settings=evidence_settings, now=later)
    assert second.posts == 1 and second.images == 1 and not kept.exists()
