"""Object-level rules: who may see and change which audit records."""

from __future__ import annotations

from audit_app.models import Audit, AuditProgramme, Role, User

#: Roles that plan and manage programmes and audits.
PLANNERS = (Role.ADMIN, Role.LEAD_AUDITOR)


def can_manage_programme(user: User, programme: AuditProgramme | None = None) -> bool:
    return user.role in PLANNERS


def can_manage_audit(user: User, audit: Audit) -> bool:
    """The audit's own lead auditor, or an administrator."""
    return user.role is Role.ADMIN or (user.role is Role.LEAD_AUDITOR and audit.lead_auditor_id == user.id)


def is_team_member(user: User, audit: Audit) -> bool:
    return any(m.user_id == user.id for m in audit.team)


def can_view_audit(user: User, audit: Audit) -> bool:
    """Staff see every audit; an auditee sees audits they represent or whose scope holds their unit."""
    if user.role is not Role.AUDITEE:
        return True
    if any(a.user_id == user.id for a in audit.auditees):
        return True
    return user.org_unit_id is not None and any(u.id == user.org_unit_id for u in audit.scope_units)
