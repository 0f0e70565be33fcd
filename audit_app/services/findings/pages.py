"""What the finding pages read, each in a bounded number of statements: an audit's findings (paged, with their
next due date), a finding's history with its actors, the choices of the finding form, and merge candidates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditProgramme,
    ChecklistResponse,
    CorrectiveAction,
    DueDate,
    Evidence,
    Finding,
    FindingHistory,
    FindingStatus,
    Role,
    Sample,
    SampleStatus,
    User,
)
from audit_app.models.finding import finding_evidence
from audit_app.services.findings import grades
from audit_app.services.findings.dues import LIVE_STEPS
from audit_app.services.findings.policy import history_where, visible_where
from audit_app.services.paging import Page, PageRequest, paginate

#: Evidence entries offered on the finding form, at most (those of the chosen checklist items come first).
EVIDENCE_CHOICES = 60


def audit_findings(user: User, audit: Audit, request: PageRequest) -> Page[Finding]:
    """The audit's findings the user may see, numbered ones first, then drafts by age."""
    stmt = (
        sa.select(Finding)
        .where(Finding.audit_id == audit.id, visible_where(user))
        .options(
            selectinload(Finding.clauses),
            joinedload(Finding.auditee_unit),
            joinedload(Finding.ai_system),
            joinedload(Finding.programme),
        )
        .order_by(Finding.reference.is_(None), Finding.prefix, Finding.number, Finding.id)
    )
    return paginate(stmt, request, clamp=True)


def next_dues(findings: Sequence[Finding]) -> dict[int, date]:
    """Finding id → the earliest open due date of the steps its state waits for (one statement for the page)."""
    if not findings:
        return {}
    rows = db.session.execute(
        sa.select(DueDate.finding_id, DueDate.step, DueDate.cycle, DueDate.due_on).where(
            DueDate.finding_id.in_([f.id for f in findings]), DueDate.met_at.is_(None)
        )
    ).all()
    by_id = {f.id: f for f in findings}
    found: dict[int, date] = {}
    for finding_id, step, cycle, due_on in rows:
        finding = by_id[finding_id]
        if cycle == finding.cycle and step in LIVE_STEPS.get(finding.status, ()):
            found[finding_id] = min(found.get(finding_id, due_on), due_on)
    return found


def history_rows(finding: Finding, user: User) -> list[sa.Row[Any]]:
    """The finding's history the user may read (policy.history_where), oldest first, with who made each change: one
    statement whatever its size, read as rows (no account is loaded into the session, so the page costs the same)."""
    return list(
        db.session.execute(
            sa.select(
                FindingHistory.id,
                FindingHistory.event,
                FindingHistory.field,
                FindingHistory.old_value,
                FindingHistory.new_value,
                FindingHistory.reason,
                FindingHistory.at,
                FindingHistory.action_id,
                User.name.label("actor_name"),
            )
            .outerjoin(User, User.id == FindingHistory.actor_id)
            .where(history_where(user, finding))
            .order_by(FindingHistory.id)
        )
    )


def cited_evidence(finding: Finding) -> list[Evidence]:
    """The evidence entries the finding cites, with their files and checklist items (a fixed number of statements)."""
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .join(finding_evidence, finding_evidence.c.evidence_id == Evidence.id)
            .where(finding_evidence.c.finding_id == finding.id)
            .options(selectinload(Evidence.files), selectinload(Evidence.response).selectinload(ChecklistResponse.item))
            .order_by(Evidence.id)
        )
    )


def evidence_choices(audit: Audit, response_ids: list[int], chosen: list[int]) -> list[Evidence]:
    """The audit's evidence entries to offer: those already chosen, then those of the chosen checklist items, then
    the most recent others, up to EVIDENCE_CHOICES."""
    first = sa.or_(Evidence.id.in_(chosen or [0]), Evidence.response_id.in_(response_ids or [0]))
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.audit_id == audit.id)
            .options(selectinload(Evidence.response).selectinload(ChecklistResponse.item))
            .order_by(sa.case((first, 0), else_=1), Evidence.id.desc())
            .limit(max(EVIDENCE_CHOICES, len(chosen)))
        )
    )


def audit_responses(audit: Audit) -> list[ChecklistResponse]:
    return list(
        db.session.scalars(
            sa.select(ChecklistResponse)
            .where(ChecklistResponse.audit_id == audit.id)
            .options(selectinload(ChecklistResponse.item))
            .order_by(ChecklistResponse.id)
        )
    )


def audit_samples(audit: Audit) -> list[Sample]:
    """The audit's evaluated samples (those a finding may cite)."""
    return list(
        db.session.scalars(
            sa.select(Sample)
            .where(Sample.audit_id == audit.id, Sample.status == SampleStatus.EVALUATED)
            .order_by(Sample.id)
        )
    )


def auditee_accounts() -> list[User]:
    """Accounts that may be named process owner: active auditees."""
    return list(
        db.session.scalars(sa.select(User).where(User.role == Role.AUDITEE, User.active.is_(True)).order_by(User.name))
    )


def merge_candidates(finding: Finding) -> list[Finding]:
    """Other open findings of the same audit a finding may be merged into."""
    if finding.audit_id is None:
        return []
    closed = [FindingStatus.CLOSED, FindingStatus.CLOSED_EFFECTIVE, FindingStatus.WITHDRAWN, FindingStatus.MERGED]
    return list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.audit_id == finding.audit_id, Finding.id != finding.id, Finding.status.not_in(closed))
            .order_by(Finding.id)
        )
    )


def programme(value: str | None) -> AuditProgramme | None:
    """The programme a form names (None when none or unknown: the service reports an unknown one)."""
    if not value or not value.isdigit() or not 0 < int(value) < 2**31:
        return None
    return db.session.get(AuditProgramme, int(value))


def grade_label(finding: Finding) -> str:
    return grades.grade_label(finding)


def load_for_page(finding: Finding) -> Finding:
    """Load what the finding page shows of its corrective action in a fixed number of statements: the plans, the
    actions with their owners and files, the due dates with their extension requests, the disputes."""
    db.session.execute(
        sa.select(Finding)
        .where(Finding.id == finding.id)
        .options(
            selectinload(Finding.plans),
            selectinload(Finding.actions).selectinload(CorrectiveAction.files),
            selectinload(Finding.actions).joinedload(CorrectiveAction.owner),
            selectinload(Finding.dues).selectinload(DueDate.extensions),
            selectinload(Finding.disputes),
        )
    ).unique().all()
    return finding
