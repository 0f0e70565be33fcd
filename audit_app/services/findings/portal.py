"""The auditee portal: what an auditee's home shows (their open findings and the actions they own, with due
dates), and the diverging opinions of an audit as a given user may see them.

Everything filters through policy.visible_where (an auditee never sees a draft or another unit's finding) and is
read in a fixed number of queries whatever the data size; each list shows at most LIMIT rows with the full count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import (
    FINAL_STATES,
    ActionStatus,
    CorrectiveAction,
    Dispute,
    DueDate,
    Finding,
    Role,
    User,
)
from audit_app.services.findings import dues, grades
from audit_app.services.findings.policy import visible_where

LIMIT = 50


@dataclass(frozen=True)
class OpenFinding:
    finding: Finding
    grade: str
    next_due: DueDate | None
    overdue: bool


@dataclass(frozen=True)
class OwnedAction:
    action: CorrectiveAction
    finding: Finding
    overdue: bool


@dataclass(frozen=True)
class Portal:
    findings: list[OpenFinding]
    findings_total: int
    actions: list[OwnedAction]
    actions_total: int


def _open() -> sa.ColumnElement[bool]:
    return sa.and_(Finding.issued_at.is_not(None), Finding.status.not_in(list(FINAL_STATES)))


def home(user: User, *, on: date | None = None) -> Portal | None:
    """An auditee's open findings (their unit's, or theirs as process owner) and open actions; None for staff."""
    if user.role is not Role.AUDITEE:
        return None
    day = on or dues.today()
    where = sa.and_(_open(), visible_where(user))
    total = db.session.scalar(sa.select(sa.func.count(Finding.id)).where(where)) or 0
    found = db.session.scalars(
        sa.select(Finding)
        .where(where)
        .options(selectinload(Finding.dues), selectinload(Finding.programme))
        .order_by(Finding.issued_at, Finding.id)
        .limit(LIMIT)
    ).all()
    listed = []
    for finding in found:
        due = dues.next_due(finding)
        listed.append(OpenFinding(finding, grades.grade_label(finding), due, bool(due and due.due_on < day)))
    owned = sa.and_(
        CorrectiveAction.owner_id == user.id,
        CorrectiveAction.status == ActionStatus.PLANNED,
        CorrectiveAction.cycle == Finding.cycle,
        where,
    )
    base = sa.select(CorrectiveAction).join(Finding, CorrectiveAction.finding_id == Finding.id)
    actions_total = (
        db.session.scalar(
            sa.select(sa.func.count(CorrectiveAction.id))
            .join(Finding, CorrectiveAction.finding_id == Finding.id)
            .where(owned)
        )
        or 0
    )
    actions = db.session.scalars(
        base.where(owned)
        .options(selectinload(CorrectiveAction.finding))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
        .limit(LIMIT)
    ).all()
    return Portal(
        findings=listed,
        findings_total=total,
        actions=[OwnedAction(a, a.finding, a.due_on < day) for a in actions],
        actions_total=actions_total,
    )


def diverging_for(user: User, audit_id: int) -> list[Dispute]:
    """The audit's diverging opinions on findings the user may see, with their findings (two queries)."""
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .join(Finding, Dispute.finding_id == Finding.id)
            .where(Finding.audit_id == audit_id, Dispute.diverging_meeting_id.is_not(None), visible_where(user))
            .options(selectinload(Dispute.finding))
            .order_by(Dispute.id)
        )
    )
