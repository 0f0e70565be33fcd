"""Reminders and escalation of findings' due dates (DOMAIN 4.3), run by the scheduler beside the audit reminders.

The ladder, for every live due date (a step the finding's state waits for) and every planned action of a plan
under way:

1. within FINDING_REMINDER_DAYS before the date: a reminder to the people who must act (the unit's auditees
   and the process owner for the auditee's steps; the verifier for the effectiveness review; the owner for an
   action's own date);
2. once the date has passed: an overdue notice to them, the reviewer (the audit's lead auditor; outside an
   audit, whoever raised the finding) and the unit's manager;
3. FINDING_ESCALATION_DAYS after the date: an escalation to administrators and management, and the finding is
   flagged escalated (a flag, not a state) with a history entry.

Each notice is stored once per finding, step or action, cycle, due date and person (its dedupe key): running
the job again sends nothing new, while an approved extension gives a new date and so a new reminder. The job
reads a fixed number of statements whatever the number of findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    CorrectiveAction,
    DueDate,
    DueStep,
    Finding,
    FindingStatus,
    Role,
    User,
    utcnow,
)
from audit_app.services.findings import dues, history
from audit_app.services.notifications.reminders import Reminder, create_notifications, local_now

#: Finding states in which the planned actions are being carried out (or about to be).
ACTION_STATES = (FindingStatus.PLAN_SUBMITTED, FindingStatus.PLAN_ACCEPTED)
#: Who hears of escalations: administrators and management.
MANAGEMENT = (Role.ADMIN, Role.VIEWER)

REMINDER, OVERDUE, ESCALATED = "finding_reminder", "finding_overdue", "finding_escalated"


@dataclass(frozen=True)
class DueItem:
    """One date someone must meet, as plain data (the selection below reads nothing from the database)."""

    finding_id: int
    reference: str
    title: str
    cycle: int
    #: "acknowledge", "plan", … or "action-<id>".
    key: str
    what: str
    due_on: date
    #: Who must act.
    owners: frozenset[int]
    reviewer_id: int | None
    manager_id: int | None


@dataclass(frozen=True)
class Selection:
    reminders: list[Reminder]
    #: Findings with an item overdue past the escalation delay.
    escalate: dict[int, DueItem]


def _notice(item: DueItem, kind: str, user_id: int, subject: str, body: str) -> Reminder:
    key = f"finding:{kind}:{item.finding_id}:{item.key}:c{item.cycle}:{item.due_on:%Y%m%d}:{user_id}"
    return Reminder(user_id, key, kind, subject, body, f"/findings/{item.finding_id}")


def select(
    items: Iterable[DueItem], today: date, *, reminder_days: int, escalation_days: int, management: Iterable[int]
) -> Selection:
    """The notices due on `today` for these items, and the findings to flag escalated (pure)."""
    reminders: list[Reminder] = []
    escalate: dict[int, DueItem] = {}
    management = sorted(set(management))
    for item in items:
        when = f"{item.due_on:%a %d %b %Y}"
        late = (today - item.due_on).days
        if late <= 0:
            if -late > reminder_days:
                continue
            subject = f"{item.reference}: {item.what} due on {when}"
            body = f"{item.title}. {item.what} is due on {when} ({-late} day(s) left)."
            reminders += [_notice(item, REMINDER, u, subject, body) for u in sorted(item.owners)]
            continue
        told = set(item.owners) | {u for u in (item.reviewer_id, item.manager_id) if u is not None}
        subject = f"OVERDUE {item.reference}: {item.what} was due on {when}"
        body = f"{item.title}. {item.what} was due on {when} and is {late} day(s) overdue."
        reminders += [_notice(item, OVERDUE, u, subject, body) for u in sorted(told)]
        if late >= escalation_days:
            subject = f"ESCALATED {item.reference}: {item.what} overdue since {when}"
            body = (
                f"{item.title}. {item.what} was due on {when} and is {late} day(s) overdue: escalated to management "
                "(for the next management review)."
            )
            reminders += [_notice(item, ESCALATED, u, subject, body) for u in management]
            escalate.setdefault(item.finding_id, item)
    return Selection(reminders, escalate)


# --- reading the database (a fixed number of statements) --------------------------------------------------------


def _live_steps() -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(Finding.status == state, DueDate.step.in_(steps))
            for state, steps in dues.LIVE_STEPS.items()
            if steps
        )
    )


def _with_finding() -> list[Any]:
    return [selectinload(Finding.audit), selectinload(Finding.auditee_unit)]


def open_dues(horizon: date) -> list[DueDate]:
    """Live, unmet due dates of current cycles up to `horizon`, each with its finding, audit and unit."""
    stmt = (
        sa.select(DueDate)
        .join(Finding, DueDate.finding_id == Finding.id)
        .where(DueDate.met_at.is_(None), DueDate.cycle == Finding.cycle, DueDate.due_on <= horizon, _live_steps())
        .options(contains_eager(DueDate.finding).options(*_with_finding()))
        .order_by(DueDate.due_on, DueDate.id)
    )
    return list(db.session.scalars(stmt))


def open_actions(horizon: date) -> list[CorrectiveAction]:
    """Planned actions of current cycles whose plan is under way, due up to `horizon`."""
    stmt = (
        sa.select(CorrectiveAction)
        .join(Finding, CorrectiveAction.finding_id == Finding.id)
        .where(
            CorrectiveAction.status == ActionStatus.PLANNED,
            CorrectiveAction.cycle == Finding.cycle,
            CorrectiveAction.due_on <= horizon,
            CorrectiveAction.owner_id.is_not(None),
            Finding.status.in_(ACTION_STATES),
        )
        .options(contains_eager(CorrectiveAction.finding).options(*_with_finding()))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
    )
    return list(db.session.scalars(stmt))


def unit_auditees(unit_ids: set[int]) -> dict[int, set[int]]:
    """Active auditee accounts of these units, by unit."""
    found: dict[int, set[int]] = defaultdict(set)
    if unit_ids:
        rows = db.session.execute(
            sa.select(User.org_unit_id, User.id).where(
                User.role == Role.AUDITEE, User.active.is_(True), User.org_unit_id.in_(unit_ids)
            )
        )
        for unit_id, user_id in rows:
            if unit_id is not None:
                found[unit_id].add(user_id)
    return found


def management_ids() -> list[int]:
    return list(
        db.session.scalars(sa.select(User.id).where(User.role.in_(MANAGEMENT), User.active.is_(True)).order_by(User.id))
    )


def reviewer_of(finding: Finding) -> int | None:
    """Who hears that the finding is overdue: the audit's lead auditor (outside an audit: its raiser)."""
    return finding.audit.lead_auditor_id if finding.audit is not None else finding.raised_by_id


def _item(finding: Finding, key: str, what: str, due_on: date, owners: set[int]) -> DueItem:
    return DueItem(
        finding_id=finding.id,
        reference=finding.label,
        title=finding.title or finding.label,
        cycle=finding.cycle,
        key=key,
        what=what,
        due_on=due_on,
        owners=frozenset(owners),
        reviewer_id=reviewer_of(finding),
        manager_id=finding.auditee_unit.manager_id if finding.auditee_unit is not None else None,
    )


def due_items(horizon: date) -> list[DueItem]:
    """Every date to watch up to `horizon`, with the people to tell."""
    found_dues, found_actions = open_dues(horizon), open_actions(horizon)
    units = {d.finding.auditee_unit_id for d in found_dues if d.finding.auditee_unit_id is not None}
    auditees = unit_auditees(units)
    items = []
    for due in found_dues:
        finding = due.finding
        if due.step is DueStep.EFFECTIVENESS:
            owners = {u for u in (finding.verified_by_id or reviewer_of(finding),) if u is not None}
        else:
            owners = set(auditees.get(finding.auditee_unit_id or 0, set()))
            owners |= {finding.process_owner_id} if finding.process_owner_id is not None else set()
        items.append(_item(finding, due.step.value, due.step.label, due.due_on, owners))
    for action in found_actions:
        what = f"Action “{action.description[:80]}”"
        owners = {action.owner_id} if action.owner_id is not None else set()
        items.append(_item(action.finding, f"action-{action.id}", what, action.due_on, owners))
    return items


def flag_escalated(findings: dict[int, DueItem]) -> int:
    """Flag each finding escalated once (a flag, not a state), with a history entry; how many were flagged."""
    if not findings:
        return 0
    flagged = 0
    now = utcnow()
    for finding in db.session.scalars(
        sa.select(Finding).where(Finding.id.in_(findings), Finding.escalated_at.is_(None))
    ):
        item = findings[finding.id]
        finding.escalated_at = now
        history.add(
            finding.id,
            "escalated",
            actor=None,
            field="escalated_at",
            new=now,
            reason=f"{item.what} overdue since {item.due_on.isoformat()}: escalated to management.",
        )
        flagged += 1
    return flagged


def run_finding_reminders(config: dict[str, Any], today: date | None = None) -> int:
    """Store the due reminders, overdue notices and escalations once; the caller commits, then sends e-mail."""
    day = today or local_now(config["ORG_TIMEZONE"]).date()
    reminder_days = int(config["FINDING_REMINDER_DAYS"])
    items = due_items(day + timedelta(days=reminder_days))
    escalation_days = int(config["FINDING_ESCALATION_DAYS"])
    escalating = any((day - i.due_on).days >= escalation_days for i in items)
    chosen = select(
        items,
        day,
        reminder_days=reminder_days,
        escalation_days=escalation_days,
        management=management_ids() if escalating else (),
    )
    flag_escalated(chosen.escalate)
    return len(create_notifications(chosen.reminders, email_enabled=bool(config.get("MAIL_SERVER"))))
