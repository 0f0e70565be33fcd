"""The CAPA register (ISO/IEC 42001 10.2 and 9.3.2 c): every finding and corrective action the user may see.

Two views of one register: one row per finding (grade, status, unit, owner, criteria, AI system, next due date or
OVERDUE, age, recurrence) and one row per corrective action. Both are filtered by `RegisterFilters` and always by
the access rule (`policy.visible_where`): an auditee's register, its counts, its search and its exports hold only
the issued findings of their unit (or that they own or act on). Counts come from the database; a page costs the
same few statements whatever the register's size: its rows' many-to-one records come in the page's statement,
their criteria in one more, and their due dates, action dates and recurrences in one set-based statement each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from audit_app.extensions import db
from audit_app.models import (
    FINAL_STATES,
    ActionStatus,
    CorrectiveAction,
    DueDate,
    DueStep,
    Finding,
    FindingClause,
    FindingSource,
    FindingStatus,
    User,
)
from audit_app.services import paging
from audit_app.services.findings import dues, grades
from audit_app.services.findings.policy import visible_where
from audit_app.services.findings.recurrence import earlier_nonconformities

#: Status filter values besides the states themselves.
OPEN, FINAL = "open", "final"


@dataclass(frozen=True)
class RegisterFilters:
    """What the register is narrowed to (every field optional; the access rule always applies)."""

    #: "open" (not final), "final", or a FindingStatus value.
    status: str = ""
    grade: str = ""
    unit_id: int | None = None
    #: Process owner of the finding, or owner of one of its actions (the actions view: the action's owner).
    owner_id: int | None = None
    overdue: bool = False
    #: A clause or control id; a parent ("A.6") also matches its children ("A.6.2.8").
    ref: str = ""
    ai_system_id: int | None = None
    audit_id: int | None = None
    source: FindingSource | None = None
    #: Text searched in the reference, title and statement.
    text: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


# --- the conditions -----------------------------------------------------------------------------------------------


def _live_due_overdue(day: date) -> sa.ColumnElement[bool]:
    """SQL: the finding has a due date of a step its state waits for (dues.LIVE_STEPS), unmet and past."""
    by_state = [sa.and_(Finding.status == state, DueDate.step.in_(steps)) for state, steps in dues.LIVE_STEPS.items()]
    return sa.exists().where(
        DueDate.finding_id == Finding.id,
        DueDate.cycle == Finding.cycle,
        DueDate.met_at.is_(None),
        DueDate.due_on < day,
        sa.or_(*by_state),
    )


def _action_overdue(day: date) -> sa.ColumnElement[bool]:
    """SQL: the action is planned (not implemented, not cancelled), past its due date, its finding still open."""
    return sa.and_(
        CorrectiveAction.status == ActionStatus.PLANNED,
        CorrectiveAction.due_on < day,
        Finding.status.not_in(FINAL_STATES),
    )


def overdue_where(day: date) -> sa.ColumnElement[bool]:
    """SQL: the finding is overdue: a live due date or a planned action's due date before `day`."""
    late_action = sa.exists().where(CorrectiveAction.finding_id == Finding.id, _action_overdue(day))
    return sa.and_(Finding.status.not_in(FINAL_STATES), sa.or_(_live_due_overdue(day), late_action))


def _ref_where(ref: str) -> sa.ColumnElement[bool]:
    return Finding.clauses.any(
        sa.or_(FindingClause.ref == ref, FindingClause.ref.startswith(ref + ".", autoescape=True))
    )


def _text_where(text: str) -> sa.ColumnElement[bool]:
    needle = text.lower()
    columns = (Finding.reference, Finding.title, Finding.statement)
    return sa.or_(*(sa.func.lower(col).contains(needle, autoescape=True) for col in columns))


def finding_conditions(user: User, filters: RegisterFilters, *, day: date) -> list[sa.ColumnElement[bool]]:
    """The WHERE of the findings view: the access rule first, then each filter given."""
    where: list[sa.ColumnElement[bool]] = [visible_where(user)]
    f = filters
    if f.status == OPEN:
        where.append(Finding.status.not_in(FINAL_STATES))
    elif f.status == FINAL:
        where.append(Finding.status.in_(FINAL_STATES))
    elif f.status:
        where.append(Finding.status == FindingStatus(f.status))
    if f.grade:
        where.append(Finding.grade == f.grade)
    if f.unit_id is not None:
        where.append(Finding.auditee_unit_id == f.unit_id)
    if f.ai_system_id is not None:
        where.append(Finding.ai_system_id == f.ai_system_id)
    if f.audit_id is not None:
        where.append(Finding.audit_id == f.audit_id)
    if f.source is not None:
        where.append(Finding.source == f.source)
    if f.ref:
        where.append(_ref_where(f.ref))
    if f.text:
        where.append(_text_where(f.text))
    return where


def findings_statement(user: User, filters: RegisterFilters, *, day: date | None = None) -> sa.Select[Finding]:
    """Every finding of the register matching the filters, newest first (without loader options)."""
    day = day or dues.today()
    where = finding_conditions(user, filters, day=day)
    if filters.owner_id is not None:
        where.append(
            sa.or_(
                Finding.process_owner_id == filters.owner_id,
                Finding.actions.any(CorrectiveAction.owner_id == filters.owner_id),
            )
        )
    if filters.overdue:
        where.append(overdue_where(day))
    return sa.select(Finding).where(*where).order_by(Finding.raised_at.desc(), Finding.id.desc())


def actions_statement(user: User, filters: RegisterFilters, *, day: date | None = None) -> sa.Select[CorrectiveAction]:
    """Every corrective action of the findings the user may see, matching the filters (the finding's filters apply
    to its actions; owner and overdue are the action's own), by due date."""
    day = day or dues.today()
    where = finding_conditions(user, filters, day=day)
    if filters.owner_id is not None:
        where.append(CorrectiveAction.owner_id == filters.owner_id)
    if filters.overdue:
        where.append(_action_overdue(day))
    return (
        sa.select(CorrectiveAction)
        .join(Finding, Finding.id == CorrectiveAction.finding_id)
        .where(*where)
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
    )


# --- the rows -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextDue:
    on: date
    #: The step (a DueStep label) or "Action" for a planned corrective action.
    what: str
    overdue: bool


@dataclass(frozen=True)
class RegisterRow:
    finding: Finding
    grade_label: str
    next_due: NextDue | None
    overdue: bool
    #: Days since issued (since raised for a finding not yet issued); for a final finding, the days it took.
    age_days: int
    recurs: tuple[str, ...]

    @property
    def is_final(self) -> bool:
        return self.finding.is_final


def finding_options() -> list[LoaderOption]:
    """What a register row shows, loaded with the page: its many-to-one records joined, its criteria selected."""
    return [
        selectinload(Finding.clauses),
        *paging.shown_with(
            Finding.audit, Finding.programme, Finding.ai_system, Finding.auditee_unit, Finding.process_owner
        ),
    ]


def _next_dues(findings: Sequence[Finding], day: date) -> dict[int, NextDue]:
    """Per finding, its earliest live due date or planned action date (two set-based statements for the page)."""
    by_id = {f.id: f for f in findings if not f.is_final}
    if not by_id:
        return {}
    found: dict[int, NextDue] = {}

    def keep(finding_id: int, on: date, what: str) -> None:
        if finding_id not in found or on < found[finding_id].on:
            found[finding_id] = NextDue(on, what, on < day)

    dates = db.session.execute(
        sa.select(DueDate.finding_id, DueDate.cycle, DueDate.step, DueDate.due_on).where(
            DueDate.finding_id.in_(by_id), DueDate.met_at.is_(None)
        )
    )
    for finding_id, cycle, step, due_on in dates:
        finding = by_id[finding_id]
        if cycle == finding.cycle and step in dues.LIVE_STEPS.get(finding.status, ()):
            keep(finding_id, due_on, DueStep(step).label)
    actions = db.session.execute(
        sa.select(CorrectiveAction.finding_id, sa.func.min(CorrectiveAction.due_on))
        .where(CorrectiveAction.finding_id.in_(by_id), CorrectiveAction.status == ActionStatus.PLANNED)
        .group_by(CorrectiveAction.finding_id)
    )
    for finding_id, due_on in actions:
        keep(finding_id, due_on, "Action")
    return found


def age_days(finding: Finding, day: date) -> int:
    start = (finding.issued_at or finding.raised_at).date()
    end = finding.closed_at.date() if finding.is_final and finding.closed_at is not None else day
    return max(0, (end - start).days)


def rows_for(user: User, findings: Sequence[Finding], *, day: date | None = None) -> list[RegisterRow]:
    """Register rows for findings loaded with `finding_options` (a fixed number of statements for any page)."""
    day = day or dues.today()
    nonconformities = [f for f in findings if grades.is_nonconformity(f)]
    recurs = earlier_nonconformities(user, nonconformities)
    next_dues = _next_dues(findings, day)
    return [
        RegisterRow(
            finding=f,
            grade_label=grades.grade_label(f),
            next_due=next_dues.get(f.id),
            overdue=bool(next_dues.get(f.id) and next_dues[f.id].overdue),
            age_days=age_days(f, day),
            recurs=tuple(recurs.get(f.id, ())),
        )
        for f in findings
    ]


def findings_page(
    user: User, filters: RegisterFilters, asked: paging.PageRequest, *, clamp: bool = False
) -> paging.Page[RegisterRow]:
    """One page of the findings view, with the total counted by the database."""
    day = dues.today()
    stmt = findings_statement(user, filters, day=day).options(*finding_options())
    page = paging.paginate(stmt, asked, clamp=clamp)
    return paging.Page(rows_for(user, page.items, day=day), page.number, page.size, page.total)


@dataclass(frozen=True)
class ActionRow:
    action: CorrectiveAction
    overdue: bool


def action_options() -> list[LoaderOption]:
    return paging.shown_with(CorrectiveAction.finding, CorrectiveAction.owner)


def action_rows(actions: Sequence[CorrectiveAction], *, day: date | None = None) -> list[ActionRow]:
    day = day or dues.today()
    return [
        ActionRow(a, a.status is ActionStatus.PLANNED and a.due_on < day and not a.finding.is_final) for a in actions
    ]


def actions_page(
    user: User, filters: RegisterFilters, asked: paging.PageRequest, *, clamp: bool = False
) -> paging.Page[ActionRow]:
    """One page of the actions view, with the total counted by the database."""
    day = dues.today()
    stmt = actions_statement(user, filters, day=day).options(*action_options())
    page = paging.paginate(stmt, asked, clamp=clamp)
    return paging.Page(action_rows(page.items, day=day), page.number, page.size, page.total)


@dataclass(frozen=True)
class Summary:
    total: int
    open: int
    overdue: int


def summary(user: User, filters: RegisterFilters) -> Summary:
    """How many findings match, how many are open and how many overdue: one statement counted by the database."""
    day = dues.today()
    counted = (
        findings_statement(user, filters, day=day)
        .order_by(None)
        .with_only_columns(
            sa.func.count(),
            sa.func.count(sa.case((Finding.status.not_in(FINAL_STATES), 1))),
            sa.func.count(sa.case((overdue_where(day), 1))),
        )
    )
    row = db.session.execute(counted).one()
    return Summary(int(row[0]), int(row[1]), int(row[2]))
