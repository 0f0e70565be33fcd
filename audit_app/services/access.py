"""The access policy: who may view, manage, see the working papers of, or work on which audit.

Each rule is written once, as a Python predicate (`allows`) for one record and as the matching SQL filter
(`where`) for lists; a test generates users, units and audits and checks that the two always agree. Every
web and API route loads its audit through `load_audit`, which applies the rule it needs: an audit the user
may not see at all is reported missing (404), one they see but may not act on is refused (403).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, NotFound
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditAuditee,
    AuditProgramme,
    AuditStatus,
    AuditTeamMember,
    OrgUnit,
    Role,
    TeamRole,
    User,
)

#: Account roles that plan and manage programmes and audits.
PLANNERS = (Role.ADMIN, Role.LEAD_AUDITOR)
#: Team roles that record conclusions and evidence (observers watch only).
WORKING_ROLES = frozenset(
    {TeamRole.LEAD_AUDITOR, TeamRole.AUDITOR, TeamRole.TECHNICAL_EXPERT, TeamRole.AUDITOR_IN_TRAINING}
)
#: The largest id a database integer column holds on every database we support (PostgreSQL `integer`).
MAX_ID = 2**31 - 1


class Party(enum.StrEnum):
    """How a user stands towards one audit; transition tables name these as the roles allowed."""

    ADMIN = "admin"
    #: The audit's own lead auditor.
    AUDIT_LEAD = "audit_lead"
    #: On the team with an auditing role (lead, auditor, technical expert, auditor in training).
    TEAM_WORKER = "team_worker"
    #: On the team as an observer.
    TEAM_OBSERVER = "team_observer"
    #: An auditee who may see the audit (representative, or their unit is in scope).
    AUDITEE = "auditee"
    #: Any signed-in user who is not an auditee (management, auditors and leads off the team).
    STAFF = "staff"


@dataclass(frozen=True)
class Rule:
    """One access rule: the predicate for a loaded audit and the SQL filter for a list of audits."""

    name: str
    refusal: str
    allows: Callable[[User, Audit], bool]
    where: Callable[[User], sa.ColumnElement[bool]]


def membership(user: User, audit: Audit) -> AuditTeamMember | None:
    """The user's current place on the audit team, if any."""
    return next((m for m in audit.team if m.user_id == user.id), None)


# --- the rules ----------------------------------------------------------------------------------------------


def _view(user: User, audit: Audit) -> bool:
    if user.role is not Role.AUDITEE:
        return True
    if any(a.user_id == user.id for a in audit.auditees):
        return True
    return user.org_unit_id is not None and any(u.id == user.org_unit_id for u in audit.scope_units)


def _view_where(user: User) -> sa.ColumnElement[bool]:
    if user.role is not Role.AUDITEE:
        return sa.true()
    clauses = [Audit.auditees.any(AuditAuditee.user_id == user.id)]
    if user.org_unit_id is not None:
        clauses.append(Audit.scope_units.any(OrgUnit.id == user.org_unit_id))
    return sa.or_(*clauses)


def _manage(user: User, audit: Audit) -> bool:
    return user.role is Role.ADMIN or (user.role is Role.LEAD_AUDITOR and audit.lead_auditor_id == user.id)


def _manage_where(user: User) -> sa.ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return sa.true()
    if user.role is Role.LEAD_AUDITOR:
        return Audit.lead_auditor_id == user.id
    return sa.false()


def _papers(user: User, audit: Audit) -> bool:
    return user.role is Role.ADMIN or membership(user, audit) is not None


def _papers_where(user: User) -> sa.ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return sa.true()
    return Audit.team.any(AuditTeamMember.user_id == user.id)


def _work(user: User, audit: Audit) -> bool:
    member = membership(user, audit)
    return member is not None and member.role in WORKING_ROLES


def _work_where(user: User) -> sa.ColumnElement[bool]:
    return Audit.team.any(sa.and_(AuditTeamMember.user_id == user.id, AuditTeamMember.role.in_(WORKING_ROLES)))


VIEW = Rule("view", "You may not see this audit.", _view, _view_where)
MANAGE = Rule(
    "manage", "Only the audit's lead auditor or an administrator can change this audit.", _manage, _manage_where
)
WORKING_PAPERS = Rule(
    "working papers", "Only the audit team sees the working checklist and its evidence.", _papers, _papers_where
)
WORK = Rule("work", "Only auditors on this audit's team record results and evidence.", _work, _work_where)


class Need(enum.Enum):
    """What a route needs to do with the audit it loads."""

    VIEW = VIEW
    MANAGE = MANAGE
    WORKING_PAPERS = WORKING_PAPERS
    #: Record fieldwork now: WORK, and the audit is in fieldwork.
    WORK = WORK


def visible_audits(user: User) -> sa.Select[Audit]:
    """A query for the audits the user may see (narrow it further with .where)."""
    return sa.select(Audit).where(VIEW.where(user))


def find_visible_audit(user: User, audit_id: int) -> Audit | None:
    """The audit if it exists and the user may see it; None otherwise (never raises)."""
    if not 0 < audit_id <= MAX_ID:
        return None
    audit = db.session.get(Audit, audit_id)
    return audit if audit is not None and VIEW.allows(user, audit) else None


def load_audit(user: User, audit_id: int, need: Need = Need.VIEW) -> Audit:
    """The audit, if the user may do what `need` says with it.

    Unknown, out-of-range and invisible ids are NotFound (an auditee cannot tell another unit's audit from a
    missing one); a visible audit the rule refuses is NotAllowed; for Need.WORK an audit outside fieldwork is
    a Conflict (the user may record, just not now).
    """
    audit = find_visible_audit(user, audit_id)
    if audit is None:
        raise NotFound(f"Audit {audit_id} does not exist.")
    ensure(user, audit, need)
    return audit


def ensure(user: User, audit: Audit, need: Need) -> None:
    """Refuse unless the user may do what `need` says with this (visible) audit."""
    rule: Rule = need.value
    if not rule.allows(user, audit):
        raise NotAllowed(rule.refusal)
    if need is Need.WORK and audit.status is not AuditStatus.FIELDWORK:
        raise Conflict(f"Results and evidence are recorded during fieldwork; the audit is {audit.status.in_words}.")


def may(user: User, audit: Audit, need: Need) -> bool:
    """Whether `ensure` would let the user through (for showing or hiding controls; the server still checks)."""
    try:
        ensure(user, audit, need)
    except (NotAllowed, Conflict):
        return False
    return True


def refusal(user: User, audit: Audit, need: Need) -> str | None:
    """Why `ensure` would refuse, or None (pages show it when they are read-only)."""
    try:
        ensure(user, audit, need)
    except (NotAllowed, Conflict) as exc:
        return str(exc)
    return None


def parties(user: User, audit: Audit) -> frozenset[Party]:
    """Every way the user stands towards the audit (the roles a transition table checks)."""
    held: set[Party] = set()
    if user.role is Role.ADMIN:
        held.add(Party.ADMIN)
    if user.role is not Role.AUDITEE:
        held.add(Party.STAFF)
    elif _view(user, audit):
        held.add(Party.AUDITEE)
    if _manage(user, audit) and user.role is Role.LEAD_AUDITOR:
        held.add(Party.AUDIT_LEAD)
    member = membership(user, audit)
    if member is not None:
        held.add(Party.TEAM_WORKER if member.role in WORKING_ROLES else Party.TEAM_OBSERVER)
    return frozenset(held)


# --- programmes ---------------------------------------------------------------------------------------------


def can_manage_programme(user: User, programme: AuditProgramme | None = None) -> bool:
    """Lead auditors and administrators plan every programme (the README's roles section says why)."""
    return user.role in PLANNERS


def ensure_can_manage_programme(user: User, programme: AuditProgramme | None = None) -> None:
    if not can_manage_programme(user, programme):
        raise NotAllowed("Only lead auditors and administrators manage audit programmes.")
