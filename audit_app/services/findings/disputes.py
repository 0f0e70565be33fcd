"""Disputes: the auditee disagrees with an issued finding; the lead auditor accepts (regrade or withdraw) or
maintains it. A dispute still open when the closing meeting is recorded becomes a diverging opinion (ISO 19011
6.4.10), linked to its finding, reported with its status and resolution.
"""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import AuditMeeting, Dispute, DisputeStatus, Finding, FindingStatus, User, utcnow
from audit_app.services.findings import flow, history, records
from audit_app.services.text import clean


def open_dispute(finding: Finding) -> Dispute | None:
    return next((d for d in finding.disputes if d.status is DisputeStatus.OPEN), None)


def dispute(finding: Finding, *, reason: str, actor: User) -> Dispute:
    """The auditee disputes the finding, with their reasons (the finding waits for the lead auditor)."""
    reason = clean(reason, field="reason", max_length=8000, required=True, multiline=True)
    flow.act(finding, "dispute", actor=actor, reason=reason)
    record = Dispute(finding_id=finding.id, reason=reason, raised_by_id=actor.id)
    finding.disputes.append(record)
    db.session.add(record)
    db.session.flush()
    history.add(finding.id, "dispute", actor=actor, field="dispute", new="open", reason=reason)
    return record


def _resolve(finding: Finding, status: DisputeStatus, resolution: str, actor: User) -> Dispute:
    record = open_dispute(finding)
    if record is None:
        raise Conflict("There is no open dispute on this finding.")
    record.status = status
    record.resolution = resolution
    record.resolved_by_id = actor.id
    record.resolved_at = utcnow()
    history.add(finding.id, "dispute", actor=actor, field="dispute", old="open", new=status, reason=resolution)
    return record


def maintain(finding: Finding, *, reason: str, actor: User) -> Dispute:
    """The lead auditor keeps the finding as issued; the auditee is asked to acknowledge it."""
    reason = clean(reason, field="reason", max_length=8000, required=True, multiline=True)
    flow.act(finding, "maintain", actor=actor, reason=reason)
    return _resolve(finding, DisputeStatus.MAINTAINED, reason, actor)


def accept(
    finding: Finding, *, reason: str, actor: User, grade: str | None = None, rationale: str = "", withdraw: bool = False
) -> Dispute:
    """The lead auditor agrees: the finding is withdrawn, or regraded (and goes back to the auditee as issued)."""
    reason = clean(reason, field="reason", max_length=8000, required=True, multiline=True)
    if finding.status is not FindingStatus.DISPUTED:
        raise Conflict("Only a disputed finding's dispute is accepted.")
    if withdraw:
        flow.act(finding, "withdraw", actor=actor, reason=reason)
    else:
        if grade is None:
            raise Conflict("Accepting a dispute regrades the finding or withdraws it: choose the new grade.")
        records.regrade(finding, grade, rationale=rationale or finding.grade_rationale, actor=actor, reason=reason)
        flow.act(finding, "accept_dispute", actor=actor, reason=reason)
    return _resolve(finding, DisputeStatus.ACCEPTED, reason, actor)


def mark_diverging(meeting: AuditMeeting, *, actor: User | None) -> list[Dispute]:
    """At the closing meeting, every dispute still open on the audit's findings becomes a diverging opinion."""
    found = list(
        db.session.scalars(
            sa.select(Dispute)
            .join(Finding, Dispute.finding_id == Finding.id)
            .where(
                Finding.audit_id == meeting.audit_id,
                Dispute.status == DisputeStatus.OPEN,
                Dispute.diverging_meeting_id.is_(None),
            )
        )
    )
    for record in found:
        record.diverging_meeting_id = meeting.id
        history.add(record.finding_id, "dispute", actor=actor, field="diverging_opinion", new="yes")
    return found


def diverging_opinions(audit_id: int) -> list[Dispute]:
    """The audit's diverging opinions, with their findings (for the closing meeting, the audit page, the report)."""
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .join(Finding, Dispute.finding_id == Finding.id)
            .where(Finding.audit_id == audit_id, Dispute.diverging_meeting_id.is_not(None))
            .order_by(Dispute.id)
        )
    )
