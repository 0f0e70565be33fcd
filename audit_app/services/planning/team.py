"""The audit team (with impartiality checks and independence declarations) and auditee representatives."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    INDEPENDENCE_DECLARATION,
    Audit,
    AuditAuditee,
    AuditTeamMember,
    OrgUnit,
    Role,
    TeamRole,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.planning import impartiality
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.text import clean

#: Account roles that may sit on an audit team.
TEAM_ACCOUNT_ROLES = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)


class NotImpartial(Conflict):
    """The assignment breaks the impartiality rule and no justified exception was given."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons) + " Record a justified exception to assign them anyway.")
        self.reasons = reasons

    @property
    def details(self) -> dict[str, object]:
        return {"reasons": self.reasons}


def get_member(audit: Audit, member_id: int) -> AuditTeamMember:
    member = next((m for m in audit.team if m.id == member_id), None)
    if member is None:
        raise NotFound("That person is not on this audit team.")
    return member


def exception_text(reason: str) -> str:
    text = clean(reason, field="exception", max_length=2000, multiline=True)
    if text and len(text) < 20:
        raise ValidationFailed(
            "Explain the exception.",
            {
                "exception": [
                    "Say why the assignment is justified and how objectivity is protected (at least 20 characters)."
                ]
            },
        )
    return text


def add_member(audit: Audit, user_id: int, role: TeamRole, *, actor: User, exception: str = "") -> AuditTeamMember:
    """Put a user on the team; refused with the reason when they would audit their own work."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "team")
    if role is TeamRole.LEAD_AUDITOR:
        raise ValidationFailed("Change the lead auditor in the audit details.", {"role": ["Choose another role."]})
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in TEAM_ACCOUNT_ROLES:
        raise ValidationFailed("Choose an active auditor.", {"user_id": ["Auditees cannot join the audit team."]})
    if user.role is Role.VIEWER and role is not TeamRole.OBSERVER:
        # ISO 19011 5.5.4: management accounts are not auditors; they may watch but take no part in judging.
        raise ValidationFailed(
            "Management users join an audit team only as observers.",
            {"role": [f"{user.name} has a management (read-only) account: choose Observer."]},
        )
    if access.membership(user, audit) is not None:
        raise ValidationFailed("Already on the team.", {"user_id": [f"{user.name} is already on this audit team."]})
    exception = exception_text(exception)
    reasons = (
        impartiality.conflicts(user, audit.scope_units, audit.scope_systems) if role in impartiality.BOUND_ROLES else []
    )
    if reasons and not exception:
        raise NotImpartial(reasons)
    if reasons:
        ensure_may_excuse(actor, [user])
    member = _rejoin(audit, user, role)
    if reasons:
        _excuse(member, exception, actor)
    activity.record(
        actor,
        "audit.team_added",
        audit,
        user_id=user.id,
        role=role.value,
        exception=member.impartiality_exception,
        conflicts=reasons,
    )
    return member


def remove_member(audit: Audit, member: AuditTeamMember, *, actor: User) -> None:
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "team")
    if member.role is TeamRole.LEAD_AUDITOR:
        raise ValidationFailed(
            "The lead auditor stays on the team.",
            {"user_id": ["Change the lead auditor in the audit details instead."]},
        )
    activity.record(actor, "audit.team_removed", audit, user_id=member.user_id, role=member.role.value)
    for session in audit.sessions:  # they no longer audit any session
        if member.user in session.auditors:
            session.auditors.remove(member.user)
    _retire(audit, member, "team", actor)


def change_lead(audit: Audit, user_id: int, *, actor: User, exception: str = "") -> None:
    """Make another user the lead; they must be impartial, hold an exception already, or be given one now."""
    user = db.session.get(User, user_id)
    if user is None:
        raise ValidationFailed("Unknown user.", {"lead_auditor_id": ["Choose an existing user."]})
    reasons = impartiality.conflicts(user, audit.scope_units, audit.scope_systems)
    existing = access.membership(user, audit)
    exception = exception_text(exception)
    held = existing is not None and existing.role in impartiality.BOUND_ROLES and existing.impartiality_exception
    if reasons and not held:
        if not exception:
            raise NotImpartial(reasons)
        ensure_may_excuse(actor, [user])
    for member in list(audit.team):
        if member.role is TeamRole.LEAD_AUDITOR:
            member.role = TeamRole.AUDITOR
    if existing is not None:
        existing.role = TeamRole.LEAD_AUDITOR
    else:
        existing = _rejoin(audit, user, TeamRole.LEAD_AUDITOR)
    if reasons and not held:
        _excuse(existing, exception, actor)
    audit.lead_auditor_id = user.id
    activity.record(actor, "audit.lead_changed", audit, user_id=user.id, conflicts=reasons)


def ensure_may_excuse(actor: User, users: list[User]) -> None:
    """Nobody records an exception for their own conflict: someone else must weigh it (an administrator for
    the lead auditor)."""
    if any(u.id == actor.id for u in users):
        raise ValidationFailed.on(
            "exception",
            "Nobody can record an impartiality exception for themselves: an administrator must record it for you.",
        )


def _excuse(member: AuditTeamMember, exception: str, actor: User) -> None:
    member.impartiality_exception = exception
    member.exception_recorded_by_id, member.exception_recorded_at = actor.id, utcnow()


def record_exception(audit: Audit, member: AuditTeamMember, exception: str, *, actor: User) -> AuditTeamMember:
    """Record (or replace) a justified exception for a member who is not impartial with the current scope,
    the lead auditor included."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "team")
    reasons = impartiality.conflicts(member.user, audit.scope_units, audit.scope_systems)
    if not reasons:
        raise ValidationFailed(
            "No exception needed.",
            {"exception": [f"{member.user.name} has no impartiality conflict with this audit's scope."]},
        )
    text = exception_text(exception)
    if not text:
        raise ValidationFailed("Explain the exception.", {"exception": ["Write the justified exception."]})
    ensure_may_excuse(actor, [member.user])
    _excuse(member, text, actor)
    activity.record(actor, "audit.exception_recorded", audit, user_id=member.user_id, exception=text, conflicts=reasons)
    return member


def excusable(audit: Audit) -> list[tuple[AuditTeamMember, list[str]]]:
    """Team members bound by the rule who are not impartial with the current scope, with the reasons."""
    found = []
    for member in audit.team:
        if member.role in impartiality.BOUND_ROLES:
            reasons = impartiality.conflicts(member.user, audit.scope_units, audit.scope_systems)
            if reasons:
                found.append((member, reasons))
    return found


def confirm_declaration(audit: Audit, *, actor: User) -> AuditTeamMember:
    """The actor confirms their own declaration of independence for this audit."""
    member = access.membership(actor, audit)
    if member is None:
        raise NotAllowed("Only members of the audit team confirm a declaration for it.")
    if not audit.is_open:
        raise Conflict("The audit is closed.")
    if member.has_declared:
        return member
    member.declaration_confirmed_at, member.declaration_text = utcnow(), INDEPENDENCE_DECLARATION
    activity.record(actor, "audit.declaration_confirmed", audit, member_id=member.id)
    return member


def add_auditee(
    audit: Audit,
    *,
    actor: User,
    user_id: int | None = None,
    name: str = "",
    position: str = "",
    org_unit_id: int | None = None,
) -> AuditAuditee:
    """Add an auditee representative: an auditee account, or a named person without one."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "team")
    user = None
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise ValidationFailed("Unknown user.", {"user_id": ["Choose an active account."]})
        if any(a.user_id == user.id for a in audit.auditees):
            raise ValidationFailed("Already listed.", {"user_id": [f"{user.name} is already an auditee here."]})
        name = name or user.name
        org_unit_id = org_unit_id or user.org_unit_id
    name = clean(name, field="name", max_length=120, required=True)
    position = clean(position, field="position", max_length=120)
    if org_unit_id is not None and db.session.get(OrgUnit, org_unit_id) is None:
        raise ValidationFailed("Unknown org unit.", {"org_unit_id": ["Choose an existing unit."]})
    auditee = AuditAuditee(user=user, name=name, position=position, org_unit_id=org_unit_id)
    audit.auditees.append(auditee)
    activity.record(actor, "audit.auditee_added", audit, name=name, user_id=user_id)
    return auditee


def remove_auditee(audit: Audit, auditee_id: int, *, actor: User) -> None:
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "team")
    auditee = next((a for a in audit.auditees if a.id == auditee_id), None)
    if auditee is None:
        raise NotFound("That person is not an auditee representative of this audit.")
    activity.record(actor, "audit.auditee_removed", audit, name=auditee.name)
    for session in audit.sessions:
        if auditee in session.auditees:
            session.auditees.remove(auditee)
    _retire(audit, auditee, "auditees", actor)


def _retire(audit: Audit, row: AuditTeamMember | AuditAuditee, collection: str, actor: User) -> None:
    """Take a row out of the audit's current collection without deleting it (audit records stay)."""
    row.removed_at, row.removed_by_id = utcnow(), actor.id
    db.session.flush()
    db.session.expire(audit, [collection])


def _former_member(audit: Audit, user_id: int) -> AuditTeamMember | None:
    """A removed team row of this user on this audit, to bring back instead of adding a second one."""
    return db.session.scalar(
        sa.select(AuditTeamMember).where(
            AuditTeamMember.audit_id == audit.id,
            AuditTeamMember.user_id == user_id,
            AuditTeamMember.removed_at.is_not(None),
        )
    )


def _rejoin(audit: Audit, user: User, role: TeamRole) -> AuditTeamMember:
    """The user's team row: a former one brought back with a fresh start, or a new one."""
    member = _former_member(audit, user.id)
    if member is None:
        member = AuditTeamMember(user=user, role=role)
        audit.team.append(member)
        return member
    member.role, member.removed_at, member.removed_by_id = role, None, None
    member.declaration_confirmed_at, member.declaration_text = None, ""  # a new declaration is needed
    member.impartiality_exception, member.exception_recorded_by_id, member.exception_recorded_at = "", None, None
    db.session.flush()
    db.session.expire(audit, ["team"])
    return member


def own_work(audit: Audit) -> list[tuple[AuditTeamMember, list[str]]]:
    """Members bound by the rule who produced or manage something in the scope, with what: sessions covering it
    with them as auditor are flagged (ISO/IEC 42001 9.2.2)."""
    scope_ids = {u.id for u in audit.scope_units}
    found = []
    for member in audit.team:
        if member.role not in impartiality.BOUND_ROLES:
            continue
        duties = impartiality.responsibilities(member.user, audit)
        refs = [i.ref for i in audit.scope_items if any(impartiality.covers_ref(r, i.ref) for r in duties.refs)]
        units = [
            u.name for u in duties.units if u.id in scope_ids or any(p.id in scope_ids for p in impartiality.lineage(u))
        ]
        if refs or units:
            found.append((member, refs + units))
    return found


def candidates(audit: Audit) -> list[tuple[User, list[str]]]:
    """Active staff who could join the team, each with the impartiality problems they would raise."""
    on_team = {m.user_id for m in audit.team}
    users = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.role.in_(TEAM_ACCOUNT_ROLES)).order_by(User.name)
    )
    return [
        (u, impartiality.conflicts(u, audit.scope_units, audit.scope_systems)) for u in users if u.id not in on_team
    ]
