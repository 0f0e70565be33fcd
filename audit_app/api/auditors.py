"""Auditor profiles and evaluations (ISO 19011 5.4.2, 7), and the competence an audit team covers."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.auditor_schemas import AuditorSchema, CompetenceNeedSchema, EvaluationSchema, ProfileSchema
from audit_app.api.common import saved
from audit_app.authz import PLANNERS, STAFF, WORKERS, get_actor, require_role
from audit_app.models import AuditorEvaluation, AuditorProfile, CompetenceArea
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import competence

blp = Blueprint("api_auditors", __name__, url_prefix="", description="Auditor competence and evaluations")


@blp.route("/auditors/<int:auditor_id>")
@require_role(*WORKERS)
@blp.response(200, AuditorSchema)
def get_auditor(auditor_id: int) -> dict[str, Any]:
    """An auditor's profile, the audits they performed (from the team records) and their evaluations."""
    user = competence.get_auditor(auditor_id)
    competence.ensure_may_read(get_actor(), user)
    return {
        "user": user,
        "profile": competence.get_profile(user),
        "audits_performed": [
            {"audit": audit, "role": member.role, "status": audit.status.value}
            for member, audit in competence.audits_performed(user)
        ],
        "evaluations": competence.evaluations(user),
    }


@blp.route("/auditors/<int:auditor_id>/profile", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(ProfileSchema)
@blp.response(200, ProfileSchema)
def put_profile(data: dict[str, Any], auditor_id: int) -> AuditorProfile:
    """Record an auditor's competence and what they are responsible for (so must not audit)."""
    user = competence.get_auditor(auditor_id)
    profile = competence.ProfileData(
        qualifications=data["qualifications"],
        training=data["training"],
        areas=tuple(CompetenceArea(a) for a in data["areas"]),
        ai_knowledge=data["ai_knowledge"],
        sectors=data["sectors"],
        responsible_refs=tuple(data["responsible_refs"]),
        responsible_unit_ids=tuple(data["responsible_unit_ids"]),
    )
    return saved(competence.save_profile(user, profile, actor=get_actor()))


@blp.route("/auditors/<int:auditor_id>/evaluations", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(EvaluationSchema)
@blp.response(201, EvaluationSchema)
def create_evaluation(data: dict[str, Any], auditor_id: int) -> AuditorEvaluation:
    """Evaluate an auditor after an audit (the lead for the team; an administrator or programme manager for the
    lead; nobody for themselves)."""
    user = competence.get_auditor(auditor_id)
    return saved(competence.record_evaluation(user, actor=get_actor(), **data))


@blp.route("/audits/<int:audit_id>/competence")
@require_role(*STAFF)
@blp.response(200, CompetenceNeedSchema(many=True))
def team_competence(audit_id: int) -> list[competence.CompetenceNeed]:
    """The competence the audit's scope needs, each need met or not by the current team."""
    return competence.team_coverage(access.load_audit(get_actor(), audit_id, Need.VIEW))
