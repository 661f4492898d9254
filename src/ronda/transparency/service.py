"""Count actions as they take effect, and write the daily bulletin from the counts.

The bulletin generalises Telegram's @isiswatch: "{n} terrorist bots and
channels banned on {Month}, {day}.\\nTotal this month: {m}" and a line on how
to report, in English and Indonesian, for every harm category.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ronda.actions.models import Action, ActionKind
from ronda.db.upsert import insert_ignore
from ronda.jobs import service as jobs
from ronda.transparency.models import DailyActions

#: what the bulletin calls the banned subjects of each category
NOUNS = {
    "en": {
        "terrorism": "terrorist bots and channels",
        "csam": "child abuse groups and channels",
        "porn": "pornographic groups and channels",
        "gambling": "online gambling channels",
        "scam": "scam and fraud channels",
        "hate": "hate speech groups and channels",
        "hoax": "channels spreading harmful hoaxes",
        "spam": "spam bots and channels",
        None: "groups and channels",
    },
    "id": {
        "terrorism": "bot dan kanal teroris",
        "csam": "grup dan kanal kekerasan seksual anak",
        "porn": "grup dan kanal pornografi",
        "gambling": "kanal judi online",
        "scam": "kanal penipuan",
        "hate": "grup dan kanal ujaran kebencian",
        "hoax": "kanal penyebar hoaks berbahaya",
        "spam": "bot dan kanal spam",
        None: "grup dan kanal",
    },
}
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
REPORT_LINE = {
    "en": "Report {what} using the in-app 'Report' button or to {address}.",
    "id": "Laporkan {what} melalui tombol 'Laporkan' di aplikasi atau ke {address}.",
}
REPORT_WHAT = {
    "en": {"terrorism": "terrorist content", None: "harmful content"},
    "id": {"terrorism": "konten terorisme", None: "konten berbahaya"},
}
#: restore actions undo; they are not bans
COUNTED = [k.value for k in ActionKind if k is not ActionKind.RESTORE]


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def count_success(session: Session, *, action: Action, tz: str) -> None:
    """Add one to the day's aggregate (called in the transaction of the success);
    a restore that reverses an earlier action counts as a reversal instead."""
    if action.succeeded_at is None:
        return
    if action.kind == ActionKind.RESTORE and action.reverses_id is not None:
        from ronda.transparency.aggregates import reversal_done

        reversal_done(session, succeeded_at=action.succeeded_at, tz=tz)
        return
    if action.kind not in COUNTED:
        return
    key = {
        "day": local_day(action.succeeded_at, tz),
        "category": action.category or "other",
        "source": action.source or "other",
        "kind": action.kind,
    }
    insert_ignore(session, DailyActions.__table__, [{**key, "count": 0}])  # type: ignore[arg-type]
    session.execute(
        text(
            "UPDATE daily_actions SET count = count + 1 WHERE day = :day AND category = :category "
            "AND source = :source AND kind = :kind"
        ),
        key,
    )


def day_total(session: Session, *, day: date, category: str | None = None) -> int:
    query = select(func.coalesce(func.sum(DailyActions.count), 0)).where(DailyActions.day == day)
    if category:
        query = query.where(DailyActions.category == category)
    return int(session.scalar(query) or 0)


def month_total(session: Session, *, day: date, category: str | None = None) -> int:
    first = day.replace(day=1)
    query = select(func.coalesce(func.sum(DailyActions.count), 0)).where(
        DailyActions.day >= first, DailyActions.day <= day
    )
    if category:
        query = query.where(DailyActions.category == category)
    return int(session.scalar(query) or 0)


def bulletin(
    session: Session,
    *,
    day: date,
    lang: str = "en",
    category: str | None = None,
    report_address: str = "abuse@example.org",
) -> str:
    if lang not in NOUNS:
        raise ValueError(f"language {lang!r}: en or id")
    n = day_total(session, day=day, category=category)
    m = month_total(session, day=day, category=category)
    noun = NOUNS[lang].get(category, NOUNS[lang][None])
    what = REPORT_WHAT[lang].get(category, REPORT_WHAT[lang][None])
    if lang == "en":
        head = f"{n} {noun} banned on {day:%B}, {day.day}.\nTotal this month: {m}"
    else:
        head = (
            f"{n} {noun} diblokir pada {day.day} {MONTHS_ID[day.month - 1]}.\nTotal bulan ini: {m}"
        )
    return head + "\n" + REPORT_LINE[lang].format(what=what, address=report_address)


BULLETIN_JOB = "bulletin"


def queue_daily_bulletin(session: Session, *, settings: Any, now: datetime | None = None) -> None:
    """Once a day, after ``bulletin_hour`` (local time), post yesterday's bulletins.

    The job key carries the day, so the second call of the day (or a second
    worker) adds nothing; the job is delivered, retried and shown like any other.
    """
    from ronda.db.base import utcnow

    if not settings.bulletin_webhook:
        return
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    if local.hour < settings.bulletin_hour:
        return
    day = (local.date() - timedelta(days=1)).isoformat()
    jobs.enqueue(session, kind=BULLETIN_JOB, key=f"{BULLETIN_JOB}:{day}", payload={"day": day})


@jobs.handler(BULLETIN_JOB)
def _post_bulletin(session: Session, job: Any) -> None:

    from ronda.config import get_settings

    settings = get_settings()
    day = date.fromisoformat(job.payload["day"])
    texts = {
        lang: {
            cat or "all": bulletin(
                session, day=day, lang=lang, category=cat, report_address=settings.desk_email
            )
            for cat in (None, "terrorism", "csam")
        }
        for lang in ("en", "id")
    }
    import json

    from ronda.actions.signing import signed_post

    body = json.dumps({"day": day.isoformat(), "bulletins": texts}, ensure_ascii=False).encode()
    session.commit()  # no transaction across the network call
    response = signed_post(
        settings.bulletin_webhook,
        body,
        secret=settings.platform.secret,
        idempotency_key=f"bulletin-{day.isoformat()}",
        timeout=settings.platform.timeout,
    )
    if not response.is_success:
        raise RuntimeError(f"bulletin webhook answered {response.status_code}")
