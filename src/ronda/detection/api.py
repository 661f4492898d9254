"""``POST /api/v1/content``: the platform sends posts, Ronda answers with signals and cases.

Thin: authorise, validate each post on its own (a bad post is an error in its
own result, not a failed request), run the pipeline, commit, answer.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ronda.config import Settings
from ronda.detection.models import PostSource
from ronda.detection.pipeline import Pipeline, PipelineConfig, PostOutcome, describe_errors
from ronda.detection.schemas import (
    CaseOut,
    ContentResponse,
    PostIn,
    PostResultOut,
    SignalOut,
)
from ronda.errors import Forbidden, TooLarge
from ronda.web.deps import Principal, current_principal, get_db, get_settings_dep

router = APIRouter(prefix="/api/v1/content", tags=["detection"])

MAX_POSTS = 1000
_pipeline_lock = threading.Lock()


def _post_schema() -> dict[str, Any]:
    """PostIn's JSON schema with its definitions inlined (OpenAPI has no local $defs)."""
    schema = PostIn.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)  # type: ignore[no-any-return]


_POST = _post_schema()
_BODY_SCHEMA = {
    "oneOf": [_POST, {"type": "array", "items": _POST, "minItems": 1, "maxItems": MAX_POSTS}]
}


def pipeline_for(request: Request, settings: Settings) -> Pipeline:
    """The app's pipeline (detectors, bank cache, flood guard), built on first use."""
    with _pipeline_lock:
        pipeline: Pipeline | None = getattr(request.app.state, "detection_pipeline", None)
        if pipeline is None:
            pipeline = Pipeline(PipelineConfig.from_settings(settings))
            request.app.state.detection_pipeline = pipeline
        return pipeline


@router.post(
    "",
    response_model=ContentResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
    },
)
def post_content(
    request: Request,
    body: Any = Body(...),
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> ContentResponse:
    """Scan one post or a list of up to 1,000 (docs/content-schema.md).

    Needs a platform API key or a staff login. Each post is validated on its
    own; a post that is not valid gets an ``error`` in its result and the others
    are scanned. Posts scanned before are not stored twice (same signals, same
    cases). Media are sent as hashes (``sha256``, ``md5``, ``pdq``); file paths
    are refused here.
    """
    if not (principal.is_staff or principal.role == "platform"):
        raise Forbidden("sending content needs a platform API key or a staff account")
    raw = body if isinstance(body, list) else [body]
    if len(raw) > MAX_POSTS:
        raise TooLarge(f"at most {MAX_POSTS} posts per request, got {len(raw)}")
    results: list[PostResultOut | None] = [None] * len(raw)
    posts: list[PostIn] = []
    where: list[int] = []
    for i, item in enumerate(raw):
        try:
            posts.append(PostIn.model_validate(item))
            where.append(i)
        except ValidationError as exc:
            results[i] = PostResultOut(index=i, error=describe_errors(exc))
    pipeline = pipeline_for(request, settings)
    batch = pipeline.run(db, posts, source=PostSource.API, refs=where, actor=principal.actor)
    db.commit()
    for out in batch.outcomes:
        results[where[out.index]] = _result(where[out.index], out)
    done = [r for r in results if r is not None]
    return ContentResponse(
        posts=len(raw),
        scanned=sum(r.error is None for r in done),
        failed=sum(r.error is not None for r in done),
        signals=sum(len(r.signals) for r in done),
        cases_opened=len({c.id for r in done for c in r.cases if c.opened}),
        detectors=batch.detectors,
        unavailable=batch.unavailable,
        results=done,
    )


def _result(index: int, out: PostOutcome) -> PostResultOut:
    return PostResultOut(
        index=index,
        canonical=out.canonical,
        subject_id=out.subject_id,
        language=out.language,
        error=out.error,
        signals=[
            SignalOut(
                detector=s.detector,
                version=s.version,
                category=s.category,
                score=s.score,
                flagged=s.flagged,
                source=str(s.evidence.get("source", "text")),
                evidence=s.evidence,
            )
            for s in out.signals
        ],
        cases=[
            CaseOut(
                id=c.id,
                category=c.category,
                status=c.status,
                opened=c.opened,
                signal_count=c.signal_count,
                max_score=c.max_score,
            )
            for c in out.cases
        ],
    )
