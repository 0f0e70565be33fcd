"""The data of the management-review input pack (ISO/IEC 42001 9.3.2) for a period, as plain dataclasses.

A fixed number of statements whatever the data size: grouped counts for the trends, one statement per list (each
capped at ROW_CAP rows, with the full count beside it), and the SoA and register status services of their own
features. Documents never query: documents/review_pack.py turns this into Word."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_GRADES,
    ActionStatus,
    Audit,
    AuditProgramme,
    AuditStatus,
    AuditTransition,
    CorrectiveAction,
    Finding,
    FindingStatus,
    OrgUnit,
    User,
)
from audit_app.models.conclusion import AuditConference
from audit_app.models.review import ManagementReview, ReviewAction, ReviewActionStatus
from audit_app.services.text import clean

#: The longest period a pack covers, and the most rows any one list shows (the count says how many there were).
LONGEST_PERIOD = timedelta(days=3 * 366)
ROW_CAP = 300
#: Statuses that take a finding out of every count (withdrawn, or merged into another).
SET_ASIDE = (FindingStatus.WITHDRAWN, FindingStatus.MERGED)
OFI = "ofi"
AGE_BANDS = ((30, "Up to 30 days"), (90, "31 to 90 days"), (None, "Over 90 days"))


@dataclass(frozen=True)
class EarlierAction:
    review: str
    held_on: date
    description: str
    owner: str
    due_on: date
    status: str
    overdue: bool
    note: str


@dataclass(frozen=True)
class AuditResult:
    reference: str
    title: str
    closed_on: date
    fulfilment: str
    conclusion: str
    findings: str


@dataclass(frozen=True)
class MonthTrend:
    month: str
    opened: int
    closed: int


@dataclass(frozen=True)
class OpenByGrade:
    grade: str
    total: int
    bands: tuple[int, ...]


@dataclass(frozen=True)
class OverdueAction:
    finding: str
    description: str
    owner: str
    due_on: date
    days_late: int


@dataclass(frozen=True)
class Improvement:
    reference: str
    title: str
    unit: str
    issued_on: date
    status: str


@dataclass(frozen=True)
class SoaLine:
    available: bool
    version: str = ""
    approved: str = ""
    total: int = 0
    complete: int = 0
    missing_controls: tuple[str, ...] = ()
    incomplete: int = 0
    flagged: int = 0


@dataclass
class PackData:
    start: date
    end: date
    prepared_for: str
    monitoring: str
    earlier_actions: list[EarlierAction] = field(default_factory=list)
    earlier_actions_total: int = 0
    audits: list[AuditResult] = field(default_factory=list)
    trend: list[MonthTrend] = field(default_factory=list)
    open_by_grade: list[OpenByGrade] = field(default_factory=list)
    overdue_actions: list[OverdueAction] = field(default_factory=list)
    overdue_total: int = 0
    soa: SoaLine = field(default_factory=lambda: SoaLine(False))
    register: list[tuple[str, int]] = field(default_factory=list)
    register_available: bool = True
    register_gaps: list[tuple[str, str]] = field(default_factory=list)
    improvements: list[Improvement] = field(default_factory=list)
    improvements_total: int = 0

    @property
    def band_labels(self) -> tuple[str, ...]:
        return tuple(label for _, label in AGE_BANDS)


def _end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise ValidationFailed("Give the period's start and end dates.", {"start": ["Required."], "end": ["Required."]})
    if end < start:
        raise ValidationFailed.on("end", "The period ends on or after its start.")
    if end - start > LONGEST_PERIOD:
        raise ValidationFailed.on("end", "A pack covers at most three years.")
    return start, end


def _grade_labels() -> tuple[dict[str, str], set[str]]:
    """Labels of every grade code in use, and the codes that are nonconformities (one statement)."""
    labels = {g["code"]: g["label"] for g in DEFAULT_GRADES}
    ncs = {g["code"] for g in DEFAULT_GRADES if g.get("nonconformity")}
    for scheme in db.session.scalars(sa.select(AuditProgramme.grade_scheme)):
        for grade in scheme or []:
            labels.setdefault(grade["code"], grade["label"])
            if grade.get("nonconformity"):
                ncs.add(grade["code"])
    return labels, ncs


def _earlier_actions(data: PackData) -> None:
    where = (ManagementReview.held_on <= data.end,)
    data.earlier_actions_total = (
        db.session.scalar(sa.select(sa.func.count(ReviewAction.id)).join(ManagementReview).where(*where)) or 0
    )
    rows = db.session.execute(
        sa.select(ReviewAction, ManagementReview.title, ManagementReview.held_on, User.name)
        .join(ManagementReview, ReviewAction.review_id == ManagementReview.id)
        .join(User, ReviewAction.owner_id == User.id)
        .where(*where)
        .order_by(ManagementReview.held_on, ReviewAction.id)
        .limit(ROW_CAP)
    )
    for action, title, held_on, owner in rows:
        overdue = action.status == ReviewActionStatus.OPEN and action.due_on < data.end
        data.earlier_actions.append(
            EarlierAction(
                title,
                held_on,
                action.description,
                owner,
                action.due_on,
                action.status.label,
                overdue,
                action.completion_note,
            )
        )


def _audits(data: PackData, labels: dict[str, str]) -> None:
    closed = (
        sa.select(AuditTransition.audit_id, sa.func.max(AuditTransition.created_at).label("closed_at"))
        .where(
            AuditTransition.to_status == AuditStatus.CLOSED,
            AuditTransition.created_at >= _start(data.start),
            AuditTransition.created_at < _end(data.end),
        )
        .group_by(AuditTransition.audit_id)
        .subquery()
    )
    rows = list(
        db.session.execute(
            sa.select(Audit.id, Audit.reference, Audit.title, closed.c.closed_at, AuditConference)
            .join(closed, closed.c.audit_id == Audit.id)
            .outerjoin(AuditConference, AuditConference.audit_id == Audit.id)
            .where(Audit.status == AuditStatus.CLOSED)
            .order_by(closed.c.closed_at, Audit.id)
            .limit(ROW_CAP)
        )
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if rows:
        for audit_id, grade, number in db.session.execute(
            sa.select(Finding.audit_id, Finding.grade, sa.func.count(Finding.id))
            .where(
                Finding.audit_id.in_([r[0] for r in rows]),
                Finding.issued_at.is_not(None),
                Finding.status.not_in(SET_ASIDE),
            )
            .group_by(Finding.audit_id, Finding.grade)
        ):
            if audit_id is not None:
                counts[audit_id][grade] = number
    order = list(labels)
    for audit_id, reference, title, closed_at, conference in rows:
        by_grade = counts.get(audit_id, {})
        text = "; ".join(
            f"{labels.get(code, code)}: {by_grade[code]}"
            for code in sorted(by_grade, key=lambda c: order.index(c) if c in order else len(order))
        )
        closed_on = closed_at.date() if isinstance(closed_at, datetime) else closed_at
        data.audits.append(
            AuditResult(
                reference,
                title,
                closed_on,
                conference.fulfilment.label if conference is not None else "No conclusion recorded",
                conference.conclusion if conference is not None else "",
                text or "No finding issued",
            )
        )


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _trend(data: PackData, ncs: set[str]) -> None:
    """Nonconformities issued and closed per month of the period (two grouped statements)."""
    window = (_start(data.start), _end(data.end))
    base = (Finding.grade.in_(ncs), Finding.status.not_in(SET_ASIDE))
    opened: dict[tuple[int, int], int] = defaultdict(int)
    closed: dict[tuple[int, int], int] = defaultdict(int)
    for column, target in ((Finding.issued_at, opened), (Finding.closed_at, closed)):
        for (moment,) in db.session.execute(sa.select(column).where(*base, column >= window[0], column < window[1])):
            if moment is not None:
                target[(moment.year, moment.month)] += 1
    data.trend = [
        MonthTrend(f"{date(y, m, 1):%b %Y}", opened[(y, m)], closed[(y, m)]) for y, m in _months(data.start, data.end)
    ]


def _open_findings(data: PackData, labels: dict[str, str], ncs: set[str]) -> None:
    """Nonconformities open at the end of the period, by grade and age (one statement of two columns per row)."""
    cutoff = _end(data.end)
    rows = db.session.execute(
        sa.select(Finding.grade, Finding.issued_at).where(
            Finding.grade.in_(ncs),
            Finding.status.not_in(SET_ASIDE),
            Finding.issued_at < cutoff,
            sa.or_(Finding.closed_at.is_(None), Finding.closed_at >= cutoff),
        )
    )
    bands: dict[str, list[int]] = defaultdict(lambda: [0] * len(AGE_BANDS))
    for grade, issued_at in rows:
        if issued_at is None:  # excluded by the query; for the type checker
            continue
        age = (data.end - issued_at.date()).days
        index = next(i for i, (limit, _) in enumerate(AGE_BANDS) if limit is None or age <= limit)
        bands[grade][index] += 1
    order = list(labels)
    data.open_by_grade = [
        OpenByGrade(labels.get(code, code), sum(counts), tuple(counts))
        for code, counts in sorted(bands.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    ]


def _overdue(data: PackData) -> None:
    where = (
        CorrectiveAction.status == ActionStatus.PLANNED,
        CorrectiveAction.due_on < data.end,
        CorrectiveAction.cycle == Finding.cycle,
        Finding.status.not_in((*SET_ASIDE, FindingStatus.CLOSED_EFFECTIVE, FindingStatus.CLOSED)),
    )
    data.overdue_total = (
        db.session.scalar(
            sa.select(sa.func.count(CorrectiveAction.id))
            .join(Finding, CorrectiveAction.finding_id == Finding.id)
            .where(*where)
        )
        or 0
    )
    rows = db.session.execute(
        sa.select(CorrectiveAction.description, CorrectiveAction.due_on, Finding.reference, Finding.id, User.name)
        .join(Finding, CorrectiveAction.finding_id == Finding.id)
        .outerjoin(User, CorrectiveAction.owner_id == User.id)
        .where(*where)
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
        .limit(ROW_CAP)
    )
    data.overdue_actions = [
        OverdueAction(reference or f"Finding {finding_id}", description, owner or "", due_on, (data.end - due_on).days)
        for description, due_on, reference, finding_id, owner in rows
    ]


def _improvements(data: PackData) -> None:
    where = (
        Finding.grade == OFI,
        Finding.status.not_in(SET_ASIDE),
        Finding.issued_at >= _start(data.start),
        Finding.issued_at < _end(data.end),
    )
    data.improvements_total = db.session.scalar(sa.select(sa.func.count(Finding.id)).where(*where)) or 0
    rows = db.session.execute(
        sa.select(Finding.reference, Finding.title, Finding.issued_at, Finding.status, OrgUnit.name)
        .outerjoin(OrgUnit, Finding.auditee_unit_id == OrgUnit.id)
        .where(*where)
        .order_by(Finding.issued_at, Finding.id)
        .limit(ROW_CAP)
    )
    data.improvements = [
        Improvement(reference or "", title, unit or "", issued_at.date(), status.label)
        for reference, title, issued_at, status, unit in rows
        if issued_at is not None
    ]


def _soa(data: PackData) -> None:
    try:
        from audit_app.services.soa.status import approved_as_of, completeness
    except ImportError:  # pragma: no cover - the SoA feature ships with this one
        return
    version = approved_as_of(data.end)
    if version is None:
        data.soa = SoaLine(True)
        return
    found = completeness(version)
    approved = f"{version.approved_at:%d %b %Y}" if version.approved_at else ""
    if version.approved_by is not None:
        approved += f" by {version.approved_by.name}"
    data.soa = SoaLine(
        True,
        f"Version {version.number}",
        approved,
        found.total,
        found.complete,
        tuple(found.missing_controls),
        len(found.incomplete),
        len(found.flagged),
    )


def _register(data: PackData) -> None:
    try:
        from audit_app.services.docinfo.status import register_as_of
    except ImportError:  # pragma: no cover
        data.register_available = False
        return
    from audit_app.models.docinfo import DocStatus

    found = register_as_of(data.end)
    counts = dict.fromkeys(DocStatus, 0)
    for entry, status in found:
        counts[status] += 1
        if status is not DocStatus.APPROVED and len(data.register_gaps) < ROW_CAP:
            data.register_gaps.append((entry.title, status.label))
    data.register = [(status.label, counts[status]) for status in DocStatus]


def pack_data(actor: User, start: date | None, end: date | None, monitoring: str | None) -> PackData:
    """Gather the pack's data for the period (callers check the actor may read reviews)."""
    start, end = check_period(start, end)
    data = PackData(
        start,
        end,
        actor.name,
        clean(monitoring, field="monitoring", max_length=20000, multiline=True),
    )
    labels, ncs = _grade_labels()
    _earlier_actions(data)
    _audits(data, labels)
    _trend(data, ncs)
    _open_findings(data, labels, ncs)
    _overdue(data)
    _improvements(data)
    _soa(data)
    _register(data)
    return data
