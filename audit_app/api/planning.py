"""Audit planning: the team and auditees, the agenda and its conflicts, opening and closing meetings."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from audit_app.api.agenda_schemas import PlanConflictSchema, SessionSchema, SessionUpdateSchema
from audit_app.api.common import saved
from audit_app.api.meeting_schemas import MeetingSchema
from audit_app.api.team_schemas import (
    AuditeeCreateSchema,
    AuditeeSchema,
    ExceptionSchema,
    TeamMemberCreateSchema,
    TeamMemberSchema,
    TeamSchema,
)
from audit_app.authz import PLANNERS, STAFF, get_actor, require_role
from audit_app.errors import NotFound
from audit_app.models import (
    INDEPENDENCE_DECLARATION,
    AuditAuditee,
    AuditMeeting,
    AuditSession,
    AuditTeamMember,
    MeetingKind,
)
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import agenda, meetings, team

blp = Blueprint("api_planning", __name__, url_prefix="", description="Audit team, agenda and meetings")

TEAM = "/audits/<int:audit_id>/team"
SESSIONS = "/audits/<int:audit_id>/sessions"
MEETING = "/audits/<int:audit_id>/meetings/<string:kind>"


# --- Team and auditees ------------------------------------------------------------------------------------------


@blp.route(TEAM)
@require_role()
@blp.response(200, TeamSchema)
def list_team(audit_id: int) -> dict[str, Any]:
    """The audit team with roles, impartiality exceptions and declarations, and the auditee representatives."""
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)
    return {"declaration": INDEPENDENCE_DECLARATION, "members": audit.team, "auditees": audit.auditees}


@blp.route(TEAM, methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(TeamMemberCreateSchema)
@blp.response(201, TeamMemberSchema)
def add_member(data: dict[str, Any], audit_id: int) -> AuditTeamMember | Response:
    """Put a user on the team.

    Someone who would audit their own unit or their unit's AI system is refused with 409 and the `reasons`,
    unless a justified `exception` is given (it is kept and shown in the report).
    """
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    member = team.add_member(audit, data["user_id"], data["role"], actor=get_actor(), exception=data["exception"])
    return saved(member)  # a NotImpartial refusal answers 409 with its reasons


@blp.route(f"{TEAM}/<int:member_id>/exception", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(ExceptionSchema)
@blp.response(200, TeamMemberSchema)
def record_exception(data: dict[str, Any], audit_id: int, member_id: int) -> AuditTeamMember:
    """Record a justified impartiality exception for a member who is not impartial with the current scope.

    Works for the lead auditor too; nobody records one for themselves (an administrator records the lead's).
    """
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(team.record_exception(audit, team.get_member(audit, member_id), data["exception"], actor=get_actor()))


@blp.route(f"{TEAM}/<int:member_id>", methods=["DELETE"])
@require_role(*PLANNERS)
@blp.response(204)
def remove_member(audit_id: int, member_id: int) -> None:
    """Take someone off the team (the lead auditor changes through the audit details)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    team.remove_member(audit, team.get_member(audit, member_id), actor=get_actor())


@blp.route("/audits/<int:audit_id>/declaration", methods=["POST"])
@require_role(*STAFF)
@blp.response(200, TeamMemberSchema)
def confirm_declaration(audit_id: int) -> AuditTeamMember:
    """Confirm the caller's own declaration of independence for this audit (team members only)."""
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)  # the service checks the caller is on the team
    return saved(team.confirm_declaration(audit, actor=get_actor()))


@blp.route("/audits/<int:audit_id>/auditees", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(AuditeeCreateSchema)
@blp.response(201, AuditeeSchema)
def add_auditee(data: dict[str, Any], audit_id: int) -> AuditAuditee:
    """Add an auditee representative: an account (`user_id`) or a named person (`name`, `position`)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(team.add_auditee(audit, actor=get_actor(), **data))


@blp.route("/audits/<int:audit_id>/auditees/<int:auditee_id>", methods=["DELETE"])
@require_role(*PLANNERS)
@blp.response(204)
def remove_auditee(audit_id: int, auditee_id: int) -> None:
    """Remove an auditee representative (they also leave the sessions they attended)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    team.remove_auditee(audit, auditee_id, actor=get_actor())


# --- Agenda -----------------------------------------------------------------------------------------------------


@blp.route(SESSIONS)
@require_role()
@blp.response(200, SessionSchema(many=True))
def list_sessions(audit_id: int) -> list[AuditSession]:
    """The agenda, in time order."""
    return access.load_audit(get_actor(), audit_id, Need.VIEW).sessions


@blp.route(SESSIONS, methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(SessionSchema)
@blp.response(201, SessionSchema)
def create_session(data: dict[str, Any], audit_id: int) -> AuditSession:
    """Add a session; auditors must be on the team, auditees listed, items in the audit's scope."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(agenda.save_session(audit, _session_data(data), actor=get_actor()))


def _session_data(data: dict[str, Any]) -> agenda.SessionData:
    ids = ("item_ids", "auditor_ids", "auditee_ids", "unit_ids")
    values: dict[str, Any] = {k: tuple(v) if k in ids else v for k, v in data.items()}
    return agenda.SessionData(**values)


@blp.route(f"{SESSIONS}/<int:session_id>", methods=["PATCH"])
@require_role(*PLANNERS)
@blp.arguments(SessionUpdateSchema(partial=True))
@blp.response(200, SessionSchema)
def update_session(data: dict[str, Any], audit_id: int, session_id: int) -> AuditSession:
    """Change a session; fields left out keep their value."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    session = agenda.get_session(audit, session_id)
    current = {
        "day": session.day,
        "start_time": session.start_time,
        "duration_minutes": session.duration_minutes,
        "activity": session.activity,
        "title": session.title,
        "location": session.location,
        "remote_link": session.remote_link,
        "notes": session.notes,
        "item_ids": [i.id for i in session.items],
        "auditor_ids": [u.id for u in session.auditors],
        "auditee_ids": [a.id for a in session.auditees],
        "unit_ids": [u.id for u in session.units],
        "exception": "",  # an exception already recorded keeps covering the threats it was accepted for
    }
    merged = _session_data({**current, **data})
    return saved(agenda.save_session(audit, merged, actor=get_actor(), session=session))


@blp.route(f"{SESSIONS}/<int:session_id>", methods=["DELETE"])
@require_role(*PLANNERS)
@blp.response(204)
def delete_session(audit_id: int, session_id: int) -> None:
    """Take a session off the agenda."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    agenda.delete_session(audit, agenda.get_session(audit, session_id), actor=get_actor())


@blp.route("/audits/<int:audit_id>/conflicts")
@require_role(*STAFF)
@blp.response(200, PlanConflictSchema(many=True))
def list_conflicts(audit_id: int) -> list[agenda.PlanConflict]:
    """Conflicts in the audit plan.

    Double bookings (also against other open audits), sessions outside the audit dates, in-scope clauses
    and controls that no session covers, and sessions where an auditor is not impartial without an exception.
    """
    return agenda.conflicts_for(access.load_audit(get_actor(), audit_id, Need.VIEW))


# --- Meetings ---------------------------------------------------------------------------------------------------


def _kind(kind: str) -> MeetingKind:
    if kind not in {k.value for k in MeetingKind}:
        raise NotFound("Meetings are 'opening' or 'closing'.")
    return MeetingKind(kind)


@blp.route(MEETING)
@require_role()
@blp.response(200, MeetingSchema)
def get_meeting(audit_id: int, kind: str) -> AuditMeeting:
    """The record of the opening or closing meeting."""
    audit, meeting_kind = access.load_audit(get_actor(), audit_id, Need.VIEW), _kind(kind)
    meeting = meetings.get_meeting(audit, meeting_kind)
    if meeting is None:
        raise NotFound(f"The {meeting_kind.label.lower()} has not been recorded yet.")
    return meeting


@blp.route(MEETING, methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(MeetingSchema)
@blp.response(200, MeetingSchema)
def put_meeting(data: dict[str, Any], audit_id: int, kind: str) -> AuditMeeting:
    """Record or replace the opening or closing meeting; possible once fieldwork has started."""
    audit, meeting_kind = access.load_audit(get_actor(), audit_id, Need.MANAGE), _kind(kind)
    record = meetings.MeetingData(**{**data, "points_covered": tuple(data["points_covered"])})
    return saved(meetings.record_meeting(audit, meeting_kind, record, actor=get_actor()))
