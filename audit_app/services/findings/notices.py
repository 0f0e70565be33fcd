"""Who is told when a finding moves: the next person to act gets an in-app notice (and an e-mail when SMTP is
configured), so nobody has to chase anyone by e-mail to learn that it is their turn.

- issued, plan returned or accepted, dispute answered, found not effective, closed → the auditee side (the unit's
  auditee accounts and the process owner);
- submitted for review, disputed, plan submitted → the reviewer (the audit's lead auditor; outside an audit the
  lead auditors);
- implementation recorded → the auditor who raised it (to verify).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app

from audit_app.extensions import db
from audit_app.models import Finding, Role, User
from audit_app.services.notifications.reminders import Reminder, create_notifications

#: action -> (who is told, what they read)
TELLS: dict[str, tuple[str, str]] = {
    "issue": ("owners", "issued to your unit: acknowledge it, or dispute it with your reasons"),
    "submit": ("reviewers", "submitted for your review"),
    "dispute": ("reviewers", "disputed by the auditee: maintain it, or accept the dispute"),
    "maintain": ("owners", "maintained by the lead auditor: please acknowledge it"),
    "accept_dispute": ("owners", "regraded after your dispute"),
    "submit_plan": ("reviewers", "has a corrective-action plan waiting for your review"),
    "return_plan": ("owners", "plan returned by the lead auditor: see the reasons and submit it again"),
    "accept_plan": ("owners", "plan accepted: record each action's implementation with its evidence"),
    "mark_implemented": ("raiser", "implemented: verify the implementation"),
    "reject_implementation": ("owners", "implementation not verified: see the reasons"),
    "not_effective": ("owners", "found not effective: a new cycle of cause analysis and actions starts"),
    "close_effective": ("owners", "closed: the corrective action was found effective"),
    "withdraw": ("owners", "withdrawn by the lead auditor"),
}


def _owners(finding: Finding) -> set[int]:
    people: set[int] = set()
    if finding.auditee_unit_id is not None:
        people |= set(
            db.session.scalars(
                sa.select(User.id).where(
                    User.org_unit_id == finding.auditee_unit_id, User.role == Role.AUDITEE, User.active.is_(True)
                )
            )
        )
    if finding.process_owner_id is not None:
        people.add(finding.process_owner_id)
    return people


def _reviewers(finding: Finding) -> set[int]:
    if finding.audit is not None:
        return {finding.audit.lead_auditor_id}
    return set(db.session.scalars(sa.select(User.id).where(User.role == Role.LEAD_AUDITOR, User.active.is_(True))))


def recipients(finding: Finding, who: str) -> set[int]:
    if who == "owners":
        return _owners(finding)
    if who == "reviewers":
        return _reviewers(finding)
    return {finding.raised_by_id} if finding.raised_by_id is not None else set()


def tell(finding: Finding, action: str, actor: User) -> int:
    """Notify the next people to act after `action` (never the actor); return how many notices were stored."""
    if action not in TELLS:
        return 0
    who, what = TELLS[action]
    people = recipients(finding, who) - {actor.id}
    stamp = time.time_ns()
    reminders = [
        Reminder(
            user_id,
            f"finding:{finding.id}:{action}:{stamp}:{user_id}",
            "finding_" + action,
            f"{finding.label} {what}"[:200],
            f"{finding.title or finding.statement[:120]} ({finding.status.label}).",
            f"/findings/{finding.id}",
        )
        for user_id in sorted(people)
    ]
    return len(create_notifications(reminders, email_enabled=bool(current_app.config.get("MAIL_SERVER"))))
