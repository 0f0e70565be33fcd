"""Audits: details, scope, criteria, the life cycle, preparation (risks, document review) and conclusions."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

import sqlalchemy as sa
from flask import Response
from flask_smorest import Blueprint

from audit_app.api.audit_schemas import (
    AuditCreateSchema,
    AuditQuerySchema,
    AuditSchema,
    AuditSummarySchema,
    AuditUpdateSchema,
    CriteriaSchema,
    ScopeSchema,
    TransitionCreateSchema,
    TransitionListSchema,
    TransitionSchema,
)
from audit_app.api.common import saved
from audit_app.api.conclusion_schemas import (
    ConclusionsSchema,
    ConferenceSchema,
    DocumentReviewSchema,
    PreparationSchema,
    RiskSchema,
)
from audit_app.api.paging import PAGE_HEADERS, Paged, page_request, paged
from audit_app.authz import PLANNERS, STAFF, get_actor, require_role
from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditConference,
    AuditRisk,
    AuditStatus,
    AuditTransition,
    ChecklistItem,
    DocumentReview,
)
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import audits, conclusions, lifecycle, preparation, programmes
from audit_app.services.planning.lifecycle import LOCKED

blp = Blueprint("api_audits", __name__, url_prefix="", description="Audits: details, scope, criteria, life cycle")


@blp.route("/audits")
@require_role()
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditSummarySchema(many=True), headers=PAGE_HEADERS)
def list_audits(query: dict[str, Any]) -> Paged[Audit]:
    """List the audits the caller may see (auditees: only their own), newest first, narrowed by the filters.

    Paged: `page` and `per_page` (at most 100); the total is in `X-Total-Count`, the other pages in `Link`.
    """
    page = page_request(query)
    return paged(audits.audits_page(get_actor(), audits.AuditFilters(**query), page))


@blp.route("/audits", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(AuditCreateSchema)
@blp.response(201, AuditSchema)
def create_audit(data: dict[str, Any]) -> Audit:
    """Plan an audit in a programme; it is numbered IA-<programme code>-<nn> and starts as planned."""
    actor = get_actor()
    try:  # the programme is part of the input here: an unknown one is a field error (422), not a missing page
        programme = programmes.get_programme(data.pop("programme_id"))
    except NotFound:
        refusal = {"programme_id": ["Choose an existing audit programme."]}
        raise ValidationFailed("Unknown programme.", refusal) from None
    if data["lead_auditor_id"] is None:
        data["lead_auditor_id"] = actor.id
    return saved(audits.create_audit(programme, audits.AuditDetails(**data), actor=actor))


@blp.route("/audits/<int:audit_id>")
@require_role()
@blp.response(200, AuditSchema)
def get_audit(audit_id: int) -> Audit:
    """Return one audit with its scope, criteria, team and auditees."""
    return access.load_audit(get_actor(), audit_id, Need.VIEW)


@blp.route("/audits/<int:audit_id>", methods=["PATCH"])
@require_role(*PLANNERS)
@blp.arguments(AuditUpdateSchema(partial=True))
@blp.response(200, AuditSchema)
def update_audit(data: dict[str, Any], audit_id: int) -> Audit | Response:
    """Change the audit's details and dates; fields left out keep their value.

    A new lead auditor who is not impartial with the scope is refused with 409 and the reasons, unless
    `lead_exception` justifies the assignment (nobody records an exception for themselves).
    """
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    merged = audits.AuditDetails(
        **{f.name: data.get(f.name, getattr(audit, f.name)) for f in dataclass_fields(audits.AuditDetails)}
    )
    try:  # NotImpartial answers 409 with its reasons
        audits.update_details(audit, merged, actor=get_actor(), lead_exception=data.get("lead_exception", ""))
    except ValidationFailed as exc:  # the service names the exception "exception"; this body lead_exception
        errors = {("lead_exception" if key == "exception" else key): v for key, v in exc.errors.items()}
        raise ValidationFailed(str(exc), errors) from exc
    return saved(audit)


@blp.route("/audits/<int:audit_id>/scope", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(ScopeSchema)
@blp.response(200, AuditSchema)
def set_scope(data: dict[str, Any], audit_id: int) -> Audit:
    """Replace the org units and AI systems in scope (refused if a team member would lose impartiality)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(
        audits.set_scope(
            audit,
            unit_ids=data["unit_ids"],
            system_ids=data["system_ids"],
            actor=get_actor(),
            exception=data["exception"],
        )
    )


def _items_by_ref(version_ids: list[int], refs: list[str]) -> list[int]:
    """Ids of the items with these refs in the given checklist versions; unknown refs are a 422."""
    if not refs or not version_ids:
        return []
    rows = db.session.execute(
        sa.select(ChecklistItem.id, ChecklistItem.ref).where(
            ChecklistItem.version_id.in_(version_ids), ChecklistItem.ref.in_(refs)
        )
    ).all()
    missing = sorted(set(refs) - {ref for _, ref in rows})
    if missing:
        raise ValidationFailed(
            "Unknown clause or control.", {"item_refs": ["Not in the pinned checklist versions: " + ", ".join(missing)]}
        )
    return [item_id for item_id, _ in rows]


@blp.route("/audits/<int:audit_id>/criteria", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(CriteriaSchema)
@blp.response(200, AuditSchema)
def set_criteria(data: dict[str, Any], audit_id: int) -> Audit:
    """Pin checklist versions (locking them) and choose the clauses and controls in scope.

    Give the items by id (`item_ids`) or by clause or control id (`item_refs`), or both.
    """
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    item_ids = list(dict.fromkeys(data["item_ids"] + _items_by_ref(data["version_ids"], data["item_refs"])))
    other = audit.other_criteria if data["other_criteria"] is None else data["other_criteria"]
    return saved(
        audits.set_criteria(
            audit, version_ids=data["version_ids"], item_ids=item_ids, other_criteria=other, actor=get_actor()
        )
    )


@blp.route("/audits/<int:audit_id>/transitions")
@require_role()
@blp.response(200, TransitionListSchema)
def list_transitions(audit_id: int) -> dict[str, Any]:
    """The audit's status history (who, when, why), what its state locks, and the allowed next states."""
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)
    return {
        "status": audit.status,
        "locked": sorted(LOCKED[audit.status]),
        "can_transition": access.may(get_actor(), audit, Need.MANAGE),
        "options": lifecycle.options(audit),
        "transitions": audit.transitions,
    }


@blp.route("/audits/<int:audit_id>/transitions", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(TransitionCreateSchema)
@blp.response(201, TransitionSchema)
def create_transition(data: dict[str, Any], audit_id: int) -> AuditTransition:
    """Move the audit to another state.

    Refused with 409 when the move is not allowed, needs a reason, or a gate (criteria, scope items,
    declarations, agenda, meeting records; before reporting every item concluded and the team conference
    with its conclusions) is not met: the message says which and `missing` lists each. Fieldwork with open
    warnings (see the fieldwork option's `warnings`) starts only with `confirm_warnings`; otherwise 409 with
    `warnings`.
    """
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)  # the life-cycle table says who moves it
    return saved(
        lifecycle.transition(
            audit, data["to"], actor=get_actor(), reason=data["reason"], confirm_warnings=data["confirm_warnings"]
        )
    )


# --- preparation: risks to the audit and the review of documented information (ISO 19011 6.3.1, 6.3.2.1) ---------

RISKS = "/audits/<int:audit_id>/risks"
DOCUMENTS = "/audits/<int:audit_id>/documents"


@blp.route("/audits/<int:audit_id>/preparation")
@require_role(*STAFF)
@blp.response(200, PreparationSchema)
def get_preparation(audit_id: int) -> dict[str, Any]:
    """The risks to achieving the audit objectives and the documents reviewed before fieldwork (the team's)."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS)
    return {"risks": preparation.risks(audit), "documents": preparation.documents(audit)}


@blp.route(RISKS, methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(RiskSchema)
@blp.response(201, RiskSchema)
def add_risk(data: dict[str, Any], audit_id: int) -> AuditRisk:
    """Record a risk to achieving the audit objectives, with its likelihood, impact and treatment."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(preparation.save_risk(audit, preparation.RiskData(**data), actor=get_actor()))


@blp.route(RISKS + "/<int:risk_id>", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(RiskSchema)
@blp.response(200, RiskSchema)
def change_risk(data: dict[str, Any], audit_id: int, risk_id: int) -> AuditRisk:
    """Change a risk (every field is given again)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    risk = preparation.get_risk(audit, risk_id)
    return saved(preparation.save_risk(audit, preparation.RiskData(**data), actor=get_actor(), risk=risk))


@blp.route(RISKS + "/<int:risk_id>", methods=["DELETE"])
@require_role(*PLANNERS)
@blp.response(204)
def remove_risk(audit_id: int, risk_id: int) -> None:
    """Take a risk off the assessment (kept, stamped as removed, in the trail)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    preparation.remove_risk(audit, preparation.get_risk(audit, risk_id), actor=get_actor())


@blp.route(DOCUMENTS, methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(DocumentReviewSchema)
@blp.response(201, DocumentReviewSchema)
def add_document(data: dict[str, Any], audit_id: int) -> DocumentReview:
    """Record the review of a document: version, adequacy and notes (required unless adequate)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    return saved(preparation.save_document(audit, preparation.DocumentData(**data), actor=get_actor()))


@blp.route(DOCUMENTS + "/<int:review_id>", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(DocumentReviewSchema)
@blp.response(200, DocumentReviewSchema)
def change_document(data: dict[str, Any], audit_id: int, review_id: int) -> DocumentReview:
    """Change a document review (every field is given again)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    review = preparation.get_document(audit, review_id)
    return saved(preparation.save_document(audit, preparation.DocumentData(**data), actor=get_actor(), review=review))


@blp.route(DOCUMENTS + "/<int:review_id>", methods=["DELETE"])
@require_role(*PLANNERS)
@blp.response(204)
def remove_document(audit_id: int, review_id: int) -> None:
    """Take a document review off the list (kept, stamped as removed, in the trail)."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    preparation.remove_document(audit, preparation.get_document(audit, review_id), actor=get_actor())


# --- conclusions (ISO 19011 6.4.9) -------------------------------------------------------------------------------


@blp.route("/audits/<int:audit_id>/conclusions")
@require_role(*STAFF)
@blp.response(200, ConclusionsSchema)
def get_conclusions(audit_id: int) -> dict[str, Any]:
    """Planned against achieved (items concluded, not audited with reasons, still open) per area, the team
    conference, and what still blocks the move to reporting."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS)
    done = conclusions.achievement(audit)
    return {
        "planned": done.planned,
        "achieved": done.achieved,
        "not_audited": done.not_audited,
        "open": done.open,
        "areas": done.areas,
        "conference": conclusions.get_conference(audit),
        "reporting_blockers": conclusions.reporting_blockers(audit) if audit.status is AuditStatus.FIELDWORK else [],
    }


@blp.route("/audits/<int:audit_id>/conference", methods=["PUT"])
@require_role(*PLANNERS)
@blp.arguments(ConferenceSchema)
@blp.response(200, ConferenceSchema)
def put_conference(data: dict[str, Any], audit_id: int) -> AuditConference:
    """Record the team conference and the audit conclusion, overall and per clause and control area; areas
    given again replace their earlier conclusion, areas left out keep theirs."""
    audit = access.load_audit(get_actor(), audit_id, Need.MANAGE)
    areas = tuple(conclusions.AreaData(**a) for a in data.pop("areas"))
    return saved(conclusions.save_conference(audit, conclusions.ConferenceData(**data, areas=areas), actor=get_actor()))
