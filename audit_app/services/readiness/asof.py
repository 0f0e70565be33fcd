"""What the records said at the end of a given day (UTC): the data every readiness rule and panel reads.

`AsOf(day)` loads each piece once, on first use, in a fixed number of statements whatever the data size: counts
and short lists come from grouped SQL, never one query per row. For a past day every value is read from the dated
history (audit transitions, finding history, SoA approvals, register history, review dates); for today (or
later) the current columns give the same answer and are read directly (no history needed, which keeps the
dashboard fast on a large organisation).

Rules of the as-of reading:
- an audit "started" when it moved to fieldwork (or beyond), "reported" when it reached reporting and "closed"
  when it was closed, each at the time of the first such transition;
- a finding exists from `issued_at`; its status and grade at the cutoff are the old value of the first change of
  that field after the cutoff (FindingHistory), else the current value (nothing changed since);
- an AI system exists from `created_at`; `in_scope` has no history, so today's flag is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    AuditProgramme,
    AuditStatus,
    AuditTransition,
    Checklist,
    ChecklistItem,
    ChecklistResponse,
    ChecklistVersion,
    CorrectiveAction,
    DocStatus,
    DocumentedInfo,
    Finding,
    FindingHistory,
    FindingStatus,
    ResponseResult,
)
from audit_app.models.base import utcnow
from audit_app.models.capa import ActionStatus
from audit_app.models.finding import FINAL_STATES
from audit_app.models.review import ManagementReview, ReviewAction, ReviewActionStatus
from audit_app.models.soa import SoaVersion
from audit_app.services.docinfo import status as register
from audit_app.services.library import checklists
from audit_app.services.readiness.rows import (
    ActionRow,
    AuditRow,
    FindingRow,
    LatestResult,
    LibraryItem,
    OpenFindings,
    SystemRow,
)
from audit_app.services.reviews import status as reviews
from audit_app.services.soa import status as soa_status

LIBRARY_CODE = soa_status.LIBRARY_CODE
STARTED = (AuditStatus.FIELDWORK, AuditStatus.REPORTING, AuditStatus.FOLLOW_UP, AuditStatus.CLOSED)
REPORTED = (AuditStatus.REPORTING, AuditStatus.FOLLOW_UP, AuditStatus.CLOSED)
#: Results that conclude an item (not yet assessed and not audited do not).
UNCONCLUDED = (ResponseResult.NOT_ASSESSED, ResponseResult.NOT_AUDITED)
FINAL_VALUES = tuple(s.value for s in FINAL_STATES)
#: A minor nonconformity in one of these states has an accepted corrective-action plan.
PLAN_ACCEPTED_VALUES = tuple(
    s.value for s in (FindingStatus.PLAN_ACCEPTED, FindingStatus.IMPLEMENTED, FindingStatus.VERIFIED)
)
MAJOR, MINOR = "major", "minor"
#: Age bands of open findings, in days since issue: (label, lower bound inclusive).
AGE_BANDS = (("0 to 30 days", 0), ("31 to 90 days", 31), ("91 to 180 days", 91), ("over 180 days", 181))
#: An impact assessment older than this is not recent (dashboard panel).
RECENT_IMPACT_DAYS = 365
LIST_LIMIT = 50


def end_of_day(day: date) -> datetime:
    return soa_status.end_of_day(day)


@dataclass
class AsOf:
    """The records as they stood at the end of `day` (UTC)."""

    day: date
    today: date = field(default_factory=lambda: utcnow().date())

    @property
    def cutoff(self) -> datetime:
        return end_of_day(self.day)

    @property
    def is_current(self) -> bool:
        """Today or later: the current columns are the state as of the day."""
        return self.day >= self.today

    # --- the clause library ---------------------------------------------------------------------------------
    @cached_property
    def library(self) -> list[LibraryItem]:
        """Every item of the newest ISO/IEC 42001 library version, in order (one query)."""
        newest = checklists.newest_version_id(LIBRARY_CODE)
        rows = db.session.execute(
            sa.select(
                ChecklistItem.ref,
                ChecklistItem.title,
                ChecklistItem.kind,
                ChecklistItem.parent_ref,
                ChecklistItem.auditable,
            )
            .where(ChecklistItem.version_id == newest)
            .order_by(ChecklistItem.position)
        )
        return [LibraryItem(r.ref, r.title, r.kind.value, r.parent_ref, bool(r.auditable)) for r in rows]

    @property
    def clause_refs(self) -> list[str]:
        return [i.ref for i in self.library if i.auditable and not i.is_control]

    @property
    def control_refs(self) -> list[str]:
        return [i.ref for i in self.library if i.auditable and i.is_control]

    # --- audits -----------------------------------------------------------------------------------------------
    def _reached(self, statuses: tuple[AuditStatus, ...]) -> sa.Subquery:
        """Per audit, when it first moved into one of `statuses` before the cutoff."""
        return (
            sa.select(AuditTransition.audit_id, sa.func.min(AuditTransition.created_at).label("at"))
            .where(AuditTransition.to_status.in_(statuses), AuditTransition.created_at < self.cutoff)
            .group_by(AuditTransition.audit_id)
            .subquery()
        )

    def _audits(self, statuses: tuple[AuditStatus, ...]) -> list[AuditRow]:
        reached = self._reached(statuses)
        rows = db.session.execute(
            sa.select(Audit.id, Audit.reference, Audit.title, reached.c.at)
            .join(reached, reached.c.audit_id == Audit.id)
            .order_by(reached.c.at, Audit.id)
        )
        return [AuditRow(r.id, r.reference, r.title, r.at) for r in rows]

    @cached_property
    def started_audits(self) -> list[AuditRow]:
        return self._audits(STARTED)

    @cached_property
    def closed_audits(self) -> list[AuditRow]:
        return self._audits((AuditStatus.CLOSED,))

    @cached_property
    def programmes(self) -> list[tuple[int, str, str]]:
        rows = db.session.execute(
            sa.select(AuditProgramme.id, AuditProgramme.code, AuditProgramme.title)
            .where(AuditProgramme.created_at < self.cutoff)
            .order_by(AuditProgramme.period_start, AuditProgramme.id)
        )
        return [(r.id, r.code, r.title) for r in rows]

    def _library_results(self) -> sa.Select[tuple[()]]:
        return (
            sa.select()
            .select_from(ChecklistResponse)
            .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
            .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
            .join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
            .where(
                Checklist.code == LIBRARY_CODE,
                ChecklistItem.auditable.is_(True),
                ChecklistResponse.result.not_in(UNCONCLUDED),
            )
        )

    @cached_property
    def latest_results(self) -> dict[str, LatestResult]:
        """Per clause or control, the result of the latest audit that concluded it and had reached reporting
        by the day (the latest by the moment it reached reporting); two queries."""
        reached = self._reached(REPORTED)
        rank = (
            sa.func.row_number()
            .over(partition_by=ChecklistItem.ref, order_by=(reached.c.at.desc(), ChecklistResponse.audit_id.desc()))
            .label("rank")
        )
        ranked = (
            self._library_results()
            .add_columns(ChecklistItem.ref, ChecklistResponse.result, ChecklistResponse.audit_id, rank)
            .join(reached, reached.c.audit_id == ChecklistResponse.audit_id)
            .subquery()
        )
        rows = db.session.execute(
            sa.select(ranked.c.ref, ranked.c.result, ranked.c.audit_id).where(ranked.c.rank == 1)
        ).all()
        ids = {r.audit_id for r in rows}
        refs: dict[int, str] = {}
        if ids:
            found = db.session.execute(sa.select(Audit.id, Audit.reference).where(Audit.id.in_(ids)))
            refs = {row.id: row.reference for row in found}
        return {r.ref: LatestResult(r.ref, r.result, r.audit_id, refs.get(r.audit_id, "")) for r in rows}

    @cached_property
    def concluded_in_closed(self) -> set[str]:
        """Clause and control refs concluded by audits closed by the day (achieved coverage; one query)."""
        closed = self._reached((AuditStatus.CLOSED,))
        rows = db.session.scalars(
            self._library_results()
            .add_columns(ChecklistItem.ref)
            .join(closed, closed.c.audit_id == ChecklistResponse.audit_id)
            .distinct()
        )
        return set(rows)

    # --- Statement of Applicability, register, reviews --------------------------------------------------------
    @cached_property
    def soa(self) -> SoaVersion | None:
        return soa_status.approved_as_of(self.day)

    @cached_property
    def soa_completeness(self) -> soa_status.SoaCompleteness | None:
        return soa_status.completeness(self.soa) if self.soa is not None else None

    @cached_property
    def excluded_controls(self) -> set[str]:
        """Controls the SoA in force excludes (they need no audit)."""
        if self.soa is None:
            return set()
        return {e.control_ref for e in self.soa.entries if e.applicable is False}

    @cached_property
    def register(self) -> list[tuple[DocumentedInfo, DocStatus]]:
        return register.register_as_of(self.day)

    def register_status(self, key: str) -> tuple[DocumentedInfo, DocStatus] | None:
        return next(((e, s) for e, s in self.register if e.source_key == key), None)

    @cached_property
    def reviews_held(self) -> list[ManagementReview]:
        return reviews.held_as_of(self.day)

    @cached_property
    def reviews_scheduled(self) -> list[ManagementReview]:
        return reviews.scheduled_as_of(self.day)

    @property
    def complete_review(self) -> ManagementReview | None:
        return next((r for r in self.reviews_held if reviews.is_complete(r)), None)

    # --- AI systems -----------------------------------------------------------------------------------------
    @cached_property
    def systems(self) -> list[SystemRow]:
        """In-scope AI systems that existed by the day (one query)."""
        rows = db.session.execute(
            sa.select(AISystem.id, AISystem.name, AISystem.impact_assessed_on)
            .where(AISystem.in_scope.is_(True), AISystem.created_at < self.cutoff)
            .order_by(AISystem.name, AISystem.id)
        )
        return [SystemRow(r.id, r.name, r.impact_assessed_on) for r in rows]

    # --- findings -------------------------------------------------------------------------------------------
    def _issued(self) -> sa.Subquery:
        """Findings issued by the day with their grade and status as of the day.

        The value at the cutoff is the old value of the first change of the field after it (one pass over the
        history written since, ranked per finding); with no change since, the current value. History is
        append-only and written with every change, so this agrees with reading forward from the start.
        """
        status: Any = sa.cast(Finding.status, sa.String(32))
        grade: Any = Finding.grade
        stmt = sa.select().select_from(Finding)
        if not self.is_current:
            ranked = (
                sa.select(
                    FindingHistory.finding_id,
                    FindingHistory.field,
                    FindingHistory.old_value,
                    sa.func.row_number()
                    .over(
                        partition_by=(FindingHistory.finding_id, FindingHistory.field),
                        order_by=(FindingHistory.at, FindingHistory.id),
                    )
                    .label("rank"),
                )
                .where(
                    FindingHistory.at >= self.cutoff,
                    FindingHistory.field.in_(("status", "grade")),
                    FindingHistory.action_id.is_(None),
                )
                .subquery()
            )
            first = (
                sa.select(ranked.c.finding_id, ranked.c.field, ranked.c.old_value)
                .where(ranked.c.rank == 1)
                .cte("first_change")
            )
            status_then, grade_then = first.alias("status_then"), first.alias("grade_then")
            stmt = stmt.outerjoin(
                status_then, sa.and_(status_then.c.finding_id == Finding.id, status_then.c.field == "status")
            ).outerjoin(grade_then, sa.and_(grade_then.c.finding_id == Finding.id, grade_then.c.field == "grade"))
            status = sa.func.coalesce(sa.func.nullif(status_then.c.old_value, ""), status)
            grade = sa.func.coalesce(sa.func.nullif(grade_then.c.old_value, ""), grade)
        return (
            stmt.add_columns(
                Finding.id,
                Finding.reference,
                Finding.title,
                grade.label("grade"),
                status.label("status"),
                Finding.issued_at,
            )
            .where(Finding.issued_at.is_not(None), Finding.issued_at < self.cutoff)
            .subquery()
        )

    @cached_property
    def open_findings(self) -> OpenFindings:
        """Open issued findings by grade and age, open majors and minors without an accepted plan (2 queries)."""
        issued = self._issued()
        is_open = issued.c.status.not_in(FINAL_VALUES)
        band = self._band(issued.c.issued_at)
        planned = sa.case((issued.c.status.in_(PLAN_ACCEPTED_VALUES), 1), else_=0)
        counts: dict[tuple[str, str], int] = {}
        no_plan_count = 0
        for grade, label, has_plan, count in db.session.execute(
            sa.select(issued.c.grade, band, planned, sa.func.count())
            .where(is_open)
            .group_by(issued.c.grade, band, planned)
        ):
            counts[(grade, label)] = counts.get((grade, label), 0) + int(count)
            if grade == MINOR and not has_plan:
                no_plan_count += int(count)
        no_plan = sa.and_(is_open, issued.c.grade == MINOR, issued.c.status.not_in(PLAN_ACCEPTED_VALUES))
        position = sa.func.row_number().over(partition_by=issued.c.grade, order_by=(issued.c.issued_at, issued.c.id))
        picked = (
            sa.select(issued, position.label("position"))
            .where(sa.or_(sa.and_(is_open, issued.c.grade == MAJOR), no_plan))
            .subquery()
        )
        listed = db.session.execute(
            sa.select(picked).where(picked.c.position <= LIST_LIMIT).order_by(picked.c.issued_at, picked.c.id)
        ).all()
        rows = [FindingRow(r.id, r.reference or "", r.title, r.grade, r.status, r.issued_at) for r in listed]
        return OpenFindings(
            by_grade_age=counts,
            majors=[r for r in rows if r.grade == MAJOR],
            major_count=sum(n for (g, _), n in counts.items() if g == MAJOR),
            minors_without_plan=[r for r in rows if r.grade == MINOR],
            minors_without_plan_count=int(no_plan_count),
            minor_count=sum(n for (g, _), n in counts.items() if g == MINOR),
        )

    def _band(self, issued_at: sa.ColumnElement[datetime]) -> sa.ColumnElement[str]:
        """The age band label of an issue moment, counted back from the end of the day."""
        whens = []
        for index, (label, _) in enumerate(AGE_BANDS[:-1]):
            upper = AGE_BANDS[index + 1][1]
            whens.append((issued_at >= self.cutoff - timedelta(days=upper), label))
        return sa.case(*whens, else_=AGE_BANDS[-1][0])

    # --- overdue actions --------------------------------------------------------------------------------------
    @cached_property
    def overdue_actions(self) -> tuple[int, list[ActionRow]]:
        """Corrective and review actions past due at the end of the day and not done by then (4 queries)."""
        capa_where = (
            CorrectiveAction.due_on < self.day,
            CorrectiveAction.created_at < self.cutoff,
            CorrectiveAction.status != ActionStatus.CANCELLED,
            sa.or_(CorrectiveAction.implemented_at.is_(None), CorrectiveAction.implemented_at >= self.cutoff),
        )
        review_where = (
            ReviewAction.due_on < self.day,
            ReviewAction.created_at < self.cutoff,
            ReviewAction.status != ReviewActionStatus.CANCELLED,
            sa.or_(ReviewAction.completed_on.is_(None), ReviewAction.completed_on > self.day),
        )
        total = (db.session.scalar(sa.select(sa.func.count(CorrectiveAction.id)).where(*capa_where)) or 0) + (
            db.session.scalar(sa.select(sa.func.count(ReviewAction.id)).where(*review_where)) or 0
        )
        capa = db.session.execute(
            sa.select(
                CorrectiveAction.id, CorrectiveAction.finding_id, CorrectiveAction.description, CorrectiveAction.due_on
            )
            .where(*capa_where)
            .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
            .limit(LIST_LIMIT)
        )
        review = db.session.execute(
            sa.select(ReviewAction.id, ReviewAction.review_id, ReviewAction.description, ReviewAction.due_on)
            .where(*review_where)
            .order_by(ReviewAction.due_on, ReviewAction.id)
            .limit(LIST_LIMIT)
        )
        rows = [ActionRow("capa", *r) for r in capa] + [ActionRow("review", *r) for r in review]
        rows.sort(key=lambda a: (a.due_on, a.kind, a.id))
        return int(total), rows[:LIST_LIMIT]
