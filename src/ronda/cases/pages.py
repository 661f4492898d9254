"""The review console: the queue, "take next", the case page and decisions.

Server-rendered and readable without JavaScript; a small script adds keyboard
shortcuts and live countdowns. Everything shown is escaped by the templates.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role, User
from ronda.actions.models import Action
from ronda.audit import service as audit
from ronda.cases import service as cases
from ronda.cases.queue import CATEGORIES, SOURCES, QueueFilter, list_cases
from ronda.config import Settings
from ronda.detection.evidence import SUFFIXES as EVIDENCE_TYPES
from ronda.detection.evidence import store_for
from ronda.detection.models import Case, Post, Signal
from ronda.errors import NotFound
from ronda.reports.models import Report
from ronda.subjects.models import Subject
from ronda.takedowns.models import Takedown, TakedownItem
from ronda.web.deps import Principal, console_user, get_db, get_settings_dep, require
from ronda.web.forms import form_str, territorial_scope
from ronda.web.render import htmx_target, render, see_other

router = APIRouter(include_in_schema=False)
staff = require(Role.LEAD, Role.MODERATOR)


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request, principal: Principal = Depends(staff), db: Session = Depends(get_db)
) -> Response:
    """The queue; htmx's filter and refresh requests get the table alone."""
    filters = QueueFilter.from_params(request.query_params)
    context = {
        "rows": list_cases(db, filters),
        "params": filters,
        "query": urlencode(filters.as_params()),
        "categories": CATEGORIES,
        "sources": SOURCES,
    }
    if htmx_target(request) == "queue-table":
        return render(request, "_queue_table.html", context)
    return render(request, "review_queue.html", context)


@router.post("/review/next")
def take_next(
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = cases.claim_next(db, settings=settings, user=console_user(db, principal))
    db.commit()
    if case is None:
        return see_other(request, "/review?empty=1")
    return see_other(request, f"/review/cases/{case.id}")


def highlight(text: str, hits: list[dict[str, Any]]) -> Markup:
    """The text with matched spans in <mark>, everything escaped."""
    spans = sorted(
        (int(h["start"]), int(h["end"]))
        for h in hits
        if not h.get("in_normalized")
        and isinstance(h.get("start"), int)
        and isinstance(h.get("end"), int)
    )
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start < pos or end > len(text) or start >= end:
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


def prefilled_reasons(
    case: Case, subject: Subject, signals: list[Signal], post: Post | None
) -> str:
    terms: list[str] = []
    for s in signals:
        for hit in s.evidence.get("hits", [])[:5]:
            if hit.get("text") and hit["text"] not in terms:
                terms.append(str(hit["text"]))
    detectors = sorted(
        {f"{s.detector} {s.score:.2f}" for s in signals if s.category == case.category}
    )
    lines = [f"{subject.canonical}: {case.category}."]
    if terms:
        lines.append("Kata/frasa yang ditemukan: " + ", ".join(terms[:8]) + ".")
    if detectors:
        lines.append("Sinyal: " + "; ".join(detectors) + ".")
    if post and post.subscribers:
        lines.append(f"Jangkauan: {post.subscribers:,} pelanggan.")
    return " ".join(lines)


@router.get("/review/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    case = cases.get(db, case_id)
    subject = db.get(Subject, case.subject_id)
    assert subject is not None
    post = db.get(Post, case.subject_id)
    channel_id = subject.parent_id or subject.id
    channel = db.get(Subject, channel_id)
    recent = list(
        db.scalars(
            select(Post)
            .where(Post.channel_subject_id == channel_id)
            .order_by(Post.platform_post_id.desc())
            .limit(5)
        )
    )
    signals = list(
        db.scalars(
            select(Signal)
            .where(Signal.subject_id == case.subject_id)
            .order_by(Signal.score.desc())
            .limit(50)
        )
    )
    hits = [h for s in signals for h in s.evidence.get("hits", [])]
    items = db.execute(
        select(TakedownItem, Takedown)
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .where(TakedownItem.subject_id.in_([case.subject_id, channel_id]))
    ).all()
    reports = list(db.scalars(select(Report).where(Report.case_id == case.id)))
    acts = list(db.scalars(select(Action).where(Action.case_id == case.id)))
    holder = db.get(User, case.assignee_id) if case.assignee_id else None
    store = store_for(settings.evidence_dir, settings.evidence_max_bytes)
    media = [
        {
            "index": k,
            "sha256": m.get("sha256"),
            "pdq": m.get("pdq"),
            "kept": bool(store and m.get("sha256") and store.path_for(str(m["sha256"]))),
        }
        for k, m in enumerate(post.media if post else [])
    ]
    mine = bool(
        principal.user and case.assignee_id == principal.user.id and case.status == "in_review"
    )
    return render(
        request,
        "review_case.html",
        {
            "case": case,
            "subject": subject,
            "post": post,
            "channel": channel,
            "recent": recent,
            "signals": signals,
            "items": items,
            "reports": reports,
            "actions": acts,
            "holder": holder,
            "mine": mine,
            "media": media,
            "text": highlight(post.text, hits) if post else None,
            "ocr": highlight(post.ocr_text or "", []) if post and post.ocr_text else None,
            "ground": settings.grounds.get(case.category, ""),
            "grounds": settings.grounds,
            "reasons": prefilled_reasons(case, subject, signals, post),
            "history": audit.history(db, object_type="case", object_id=str(case.id)),
            "related": cases.related(db, case),
            "decisions": [d.value for d in cases.Decision],
        },
    )


@router.get("/review/cases/{case_id}/media/{index}")
def case_media(
    case_id: int,
    index: int,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """A post's kept image, for staff only (never static, never cached, never a document)."""
    case = cases.get(db, case_id)
    post = db.get(Post, case.subject_id)
    media = post.media if post else []
    store = store_for(settings.evidence_dir, settings.evidence_max_bytes)
    sha256 = str(media[index].get("sha256") or "") if 0 <= index < len(media) else ""
    path = store.path_for(sha256) if store and sha256 else None
    if path is None:
        raise NotFound(f"case {case_id} has no kept image {index}")
    return FileResponse(
        path,
        media_type=EVIDENCE_TYPES[path.suffix],
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": f'inline; filename="case-{case_id}-{index}{path.suffix}"',
        },
    )


@router.post("/review/cases/{case_id}/claim")
def claim_case(
    case_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    cases.claim(
        db, settings=settings, case=cases.get(db, case_id), user=console_user(db, principal)
    )
    db.commit()
    return see_other(request, f"/review/cases/{case_id}")


@router.post("/review/cases/{case_id}/decide")
async def decide(
    case_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    form = await request.form(max_fields=20)
    cases.decide(
        db,
        case=cases.get(db, case_id),
        user=console_user(db, principal),
        decision=form_str(form, "decision", 32),
        ground=form_str(form, "ground", 500),
        statement_of_reasons=form_str(form, "statement_of_reasons", 5000),
        territorial_scope=territorial_scope(form_str(form, "territorial_scope", 200)),
        settings=settings,
    )
    db.commit()
    if form_str(form, "then", 10) == "next":
        return see_other(request, "/review/next-form")
    return see_other(request, f"/review/cases/{case_id}")


@router.post("/review/cases/{case_id}/approve")
def approve(
    case_id: int,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
) -> Response:
    cases.approve(db, case=cases.get(db, case_id), user=console_user(db, principal))
    db.commit()
    return see_other(request, f"/review/cases/{case_id}")


@router.get("/review/next-form", response_class=HTMLResponse)
def next_form(request: Request, principal: Principal = Depends(staff)) -> Response:
    return render(request, "review_next.html", {})


@router.get("/review/appeals", response_class=HTMLResponse)
def appeals(
    request: Request, principal: Principal = Depends(staff), db: Session = Depends(get_db)
) -> Response:
    from ronda.reports.models import Appeal

    rows = db.execute(
        select(Appeal, Case, Subject.canonical)
        .join(Case, Case.id == Appeal.case_id)
        .join(Subject, Subject.id == Case.subject_id)
        .order_by(Appeal.status != "pending", Appeal.id.desc())
        .limit(200)
    ).all()
    return render(request, "review_appeals.html", {"rows": rows})


@router.post("/review/appeals/{appeal_id}")
async def decide_appeal(
    appeal_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
) -> Response:
    from ronda.errors import NotFound
    from ronda.reports import service as reports
    from ronda.reports.models import Appeal

    form = await request.form(max_fields=10)
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    reports.decide_appeal(
        db,
        appeal=appeal,
        user=console_user(db, principal),
        grant=form_str(form, "grant") == "1",
        reason=form_str(form, "reason", 5000),
    )
    db.commit()
    return RedirectResponse("/review/appeals", status_code=303)


@router.get("/review/qa", response_class=HTMLResponse)
def qa_overview(
    request: Request, principal: Principal = Depends(staff), db: Session = Depends(get_db)
) -> Response:
    from ronda.cases import quality

    is_lead = principal.role in (Role.LEAD, Role.ADMIN)
    disputes = (
        list(
            db.scalars(
                select(quality.QaReview)
                .where(quality.QaReview.status == "disputed")
                .order_by(quality.QaReview.id)
            )
        )
        if is_lead
        else []
    )
    pending = db.scalar(
        select(func.count())
        .select_from(quality.QaReview)
        .where(quality.QaReview.status == "pending")
    )
    return render(
        request,
        "review_qa.html",
        {
            "agreement": quality.agreement(db) if is_lead else [],
            "disputes": disputes,
            "pending": pending or 0,
            "is_lead": is_lead,
        },
    )


@router.post("/review/qa/next")
def qa_next(principal: Principal = Depends(staff), db: Session = Depends(get_db)) -> Response:
    from ronda.cases import quality

    review = quality.next_for(db, user=console_user(db, principal))
    db.commit()
    if review is None:
        return RedirectResponse("/review/qa?empty=1", status_code=303)
    return RedirectResponse(f"/review/qa/{review.id}", status_code=303)


@router.get("/review/qa/{review_id}", response_class=HTMLResponse)
def qa_page(
    review_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
) -> Response:
    """The case as the first moderator saw it, without their decision (blind)."""
    from ronda.cases import quality
    from ronda.errors import NotFound

    review = db.get(quality.QaReview, review_id)
    if review is None:
        raise NotFound(f"no quality review {review_id}")
    case = cases.get(db, review.case_id)
    subject = db.get(Subject, case.subject_id)
    post = db.get(Post, case.subject_id)
    signals = list(
        db.scalars(
            select(Signal)
            .where(Signal.subject_id == case.subject_id)
            .order_by(Signal.score.desc())
            .limit(50)
        )
    )
    hits = [h for s in signals for h in s.evidence.get("hits", [])]
    return render(
        request,
        "review_qa_case.html",
        {
            "review": review,
            "case": case,
            "subject": subject,
            "post": post,
            "signals": signals,
            "text": highlight(post.text, hits) if post else None,
            "decisions": [d.value for d in cases.Decision if d is not cases.Decision.ESCALATE],
        },
    )


@router.post("/review/qa/{review_id}")
async def qa_record(
    review_id: int,
    request: Request,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
) -> Response:
    from ronda.cases import quality

    form = await request.form(max_fields=10)
    if form_str(form, "resolve") == "1":
        quality.resolve(
            db,
            review_id=review_id,
            user=console_user(db, principal),
            note=form_str(form, "note", 2000),
        )
        db.commit()
        return RedirectResponse("/review/qa", status_code=303)
    quality.record(
        db,
        review_id=review_id,
        user=console_user(db, principal),
        decision=form_str(form, "decision", 32),
    )
    db.commit()
    return RedirectResponse("/review/qa", status_code=303)
