"""Who may see and act on which finding: each rule a predicate for one finding and the SQL filter for lists.

- **Staff** (administrators, lead auditors, auditors, management) see every issued finding. A finding not yet
  issued (draft or submitted) is the audit team's working paper: administrators and the audit's team see it;
  outside an audit, its raiser and the lead auditors.
- **Auditees** see a finding only once it has been issued, and only when it was issued to their org unit, they
  are its process owner, or they own one of its actions. Never a draft, never another unit's finding.

The web pages, the API, the register, its exports and its search all filter through `visible_where`; single
findings load through `load_finding`, which reports an invisible finding as missing (404). A test generates
users, units and findings and checks that the predicate and the SQL filter always agree.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, NotFound
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditStatus,
    AuditTeamMember,
    CorrectiveAction,
    Finding,
    FindingHistory,
    Role,
    User,
)
from audit_app.services import access
from audit_app.services.access import MAX_ID, WORKING_ROLES

#: Account roles that raise findings outside an audit and review them.
RAISERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR)
REVIEWERS = (Role.ADMIN, Role.LEAD_AUDITOR)


class FindingParty(enum.StrEnum):
    """How a user stands towards one finding; the finding transition table names these as the roles allowed."""

    #: Drafts and verifies: an auditor on the audit's team (outside an audit: any auditor, lead or admin).
    RAISER = "raiser"
    #: Reviews, issues, regrades, accepts plans: the audit's lead auditor or an administrator (outside an audit:
    #: lead auditors and administrators).
    REVIEWER = "reviewer"
    #: Answers for it: an auditee of the unit it was issued to, or its process owner (once issued).
    OWNER = "owner"
    #: Owns one of the actions of the current cycle (may record its implementation).
    ACTION_OWNER = "action_owner"


# --- seeing -----------------------------------------------------------------------------------------------------


def _on_team(user: User, finding: Finding) -> bool:
    audit = finding.audit
    return audit is not None and access.membership(user, audit) is not None


def _owns_action(user: User, finding: Finding) -> bool:
    return any(a.owner_id == user.id for a in finding.actions)


def can_see(user: User, finding: Finding) -> bool:
    """The visibility rule for one finding (see the module docstring)."""
    if user.role is Role.AUDITEE:
        if finding.issued_at is None:
            return False
        return (
            (user.org_unit_id is not None and finding.auditee_unit_id == user.org_unit_id)
            or finding.process_owner_id == user.id
            or _owns_action(user, finding)
        )
    if finding.issued_at is not None or user.role is Role.ADMIN:
        return True
    if finding.audit_id is None:
        return finding.raised_by_id == user.id or user.role is Role.LEAD_AUDITOR
    return _on_team(user, finding)


def visible_where(user: User) -> sa.ColumnElement[bool]:
    """The SQL filter matching `can_see` (for lists, the register, exports, search and counts)."""
    issued = Finding.issued_at.is_not(None)
    if user.role is Role.AUDITEE:
        mine = [
            Finding.process_owner_id == user.id,
            Finding.actions.any(CorrectiveAction.owner_id == user.id),
        ]
        if user.org_unit_id is not None:
            mine.append(Finding.auditee_unit_id == user.org_unit_id)
        return sa.and_(issued, sa.or_(*mine))
    if user.role is Role.ADMIN:
        return sa.true()
    outside = Finding.audit_id.is_(None)
    if user.role is Role.LEAD_AUDITOR:
        unissued_outside: sa.ColumnElement[bool] = outside
    else:
        unissued_outside = sa.and_(outside, Finding.raised_by_id == user.id)
    on_team = Finding.audit.has(Audit.team.any(AuditTeamMember.user_id == user.id))
    return sa.or_(issued, unissued_outside, on_team)


def visible_findings(user: User) -> sa.Select[Finding]:
    return sa.select(Finding).where(visible_where(user))


def history_where(user: User, finding: Finding) -> sa.ColumnElement[bool]:
    """The part of a finding's history the user may read: auditees see it from the moment it was issued to them
    (the audit team's drafting, its review notes and quality overrides stay working papers)."""
    shown = FindingHistory.finding_id == finding.id
    if user.role is Role.AUDITEE and finding.issued_at is not None:
        return sa.and_(shown, FindingHistory.at >= finding.issued_at)
    return shown


def load_finding(user: User, finding_id: int) -> Finding:
    """The finding if it exists and the user may see it; otherwise NotFound (never tells which)."""
    finding = db.session.get(Finding, finding_id) if 0 < finding_id <= MAX_ID else None
    if finding is None or not can_see(user, finding):
        raise NotFound(f"Finding {finding_id} does not exist.")
    return finding


# --- acting -----------------------------------------------------------------------------------------------------


def parties(user: User, finding: Finding) -> frozenset[FindingParty]:
    """Every way the user stands towards the finding (the roles the finding transition table checks)."""
    held: set[FindingParty] = set()
    if finding.audit is not None:
        audit = finding.audit
        member = access.membership(user, audit)
        if member is not None and member.role in WORKING_ROLES:
            held.add(FindingParty.RAISER)
        if user.role is Role.ADMIN or (user.role is Role.LEAD_AUDITOR and audit.lead_auditor_id == user.id):
            held.add(FindingParty.REVIEWER)
    else:
        if user.role in RAISERS:
            held.add(FindingParty.RAISER)
        if user.role in REVIEWERS:
            held.add(FindingParty.REVIEWER)
    answers_for = (user.org_unit_id is not None and finding.auditee_unit_id == user.org_unit_id) or (
        finding.process_owner_id == user.id
    )
    if user.role is Role.AUDITEE and finding.issued_at is not None and answers_for:
        held.add(FindingParty.OWNER)
    if any(a.owner_id == user.id and a.cycle == finding.cycle for a in finding.actions):
        held.add(FindingParty.ACTION_OWNER)
    return frozenset(held)


def owns_current_action(user: User, finding: Finding) -> bool:
    """Whether the user owns an action of the finding's current cycle (such a user may not verify it)."""
    return any(a.owner_id == user.id and a.cycle == finding.cycle for a in finding.actions)


def ensure_party(user: User, finding: Finding, *wanted: FindingParty, refusal: str) -> frozenset[FindingParty]:
    """Refuse unless the user holds one of `wanted` towards the finding; return what they hold."""
    held = parties(user, finding)
    if not held & set(wanted):
        raise NotAllowed(refusal)
    return held


def may_raise_in(user: User, audit: Audit) -> bool:
    """Findings are drafted during fieldwork and reporting by the audit's auditors, its lead or an administrator."""
    if audit.status not in (AuditStatus.FIELDWORK, AuditStatus.REPORTING):
        return False
    return access.WORK.allows(user, audit) or access.MANAGE.allows(user, audit)


def ensure_may_raise_in(user: User, audit: Audit) -> None:
    if not (access.WORK.allows(user, audit) or access.MANAGE.allows(user, audit)):
        raise NotAllowed("Only auditors on this audit's team, its lead auditor or an administrator raise its findings.")
    if audit.status not in (AuditStatus.FIELDWORK, AuditStatus.REPORTING):
        raise Conflict(f"Findings are raised during fieldwork and reporting; the audit is {audit.status.in_words}.")
