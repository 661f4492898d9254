"""Import every ORM model so Base.metadata knows all tables (Alembic uses this)."""

from ronda.accounts.models import (
    ApiKey,
    Authority,
    AuthorityEmail,
    InstanceSetting,
    User,
    WebSession,
)
from ronda.actions.models import Action
from ronda.audit.models import AuditEvent, AuditHead
from ronda.cases.quality import QaReview
from ronda.detection.models import Bank, BankEntry, Case, ChannelRisk, Post, Signal
from ronda.jobs.models import Job
from ronda.reports.models import Appeal, Report
from ronda.subjects.models import Subject
from ronda.takedowns.models import (
    Counter,
    IntakeKey,
    RawInput,
    Takedown,
    TakedownItem,
    UnparsedFragment,
)
from ronda.transparency.models import DailyActions, DailyActionTimes, DailyAppeals, DailyOrders

__all__ = [
    "Action",
    "ApiKey",
    "Appeal",
    "AuditEvent",
    "AuditHead",
    "Authority",
    "AuthorityEmail",
    "Bank",
    "BankEntry",
    "Case",
    "ChannelRisk",
    "Counter",
    "DailyActionTimes",
    "DailyActions",
    "DailyAppeals",
    "DailyOrders",
    "InstanceSetting",
    "IntakeKey",
    "Job",
    "Post",
    "QaReview",
    "RawInput",
    "Report",
    "Signal",
    "Subject",
    "Takedown",
    "TakedownItem",
    "UnparsedFragment",
    "User",
    "WebSession",
]
