"""Corrective action on a finding: the plan of the current cycle, its actions, their implementation evidence, the
verification of implementation and effectiveness (and the consideration of observations and OFIs), and the
finding's files.

Routes load the finding through the visibility rule (404 when invisible), then call services/findings/capa.py,
which checks who may (the auditee unit's people and the process owner plan; action owners record their
implementation) and when (the plan while acknowledged or reopened, implementation once the plan is accepted).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint

from audit_app.api.capa_schemas import (
    ActionChangeSchema,
    ActionInputSchema,
    CancelSchema,
    ImplementationFormSchema,
    ImplementationSchema,
    ImplementationUploadSchema,
    PlanInputSchema,
)
from audit_app.api.common import parse_body, saved, uploaded_files
from audit_app.api.fieldwork import DOWNLOAD_TYPES
from audit_app.api.finding_schemas import (
    ActionSchema,
    ConsiderationSchema,
    EffectivenessSchema,
    FindingRecordSchema,
    VerificationSchema,
)
from audit_app.api.findings import EVERYONE, FINDING, PART_REFUSAL, FindingRecord, answer
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.authz import WORKERS, get_actor, require_role
from audit_app.errors import NotFound
from audit_app.extensions import db
from audit_app.models import CapaFile, CorrectiveAction, Role
from audit_app.services.access import MAX_ID
from audit_app.services.findings import capa, policy
from audit_app.services.paging import page_of_list

blp = Blueprint("api_capa", __name__, url_prefix="", description="Corrective action: plan, actions, evidence")

ACTIONS = f"{FINDING}/actions"
ACTION = f"{ACTIONS}/<int:action_id>"


def _action(finding_id: int, action_id: int) -> CorrectiveAction:
    return capa.get_action(policy.load_finding(get_actor(), finding_id), action_id)


@blp.route(f"{FINDING}/plan", methods=["PUT"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": PlanInputSchema}}})
@blp.response(200, FindingRecordSchema)
def save_plan(finding_id: int) -> FindingRecord:
    """Write the current cycle's correction, root-cause analysis (method and analysis) and extent check, while the
    finding is acknowledged or reopened (the auditee unit's people or the process owner). Submit it with the move
    `submit_plan` once the actions are planned."""
    finding = policy.load_finding(get_actor(), finding_id)
    data = parse_body(PlanInputSchema())
    capa.save_plan(finding, capa.PlanInput(**data), actor=get_actor())
    return answer(finding)


@blp.route(ACTIONS)
@require_role(*EVERYONE)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ActionSchema(many=True), headers=PAGE_HEADERS)
def list_actions(query: dict[str, Any], finding_id: int) -> Paged[CorrectiveAction]:
    """Every action of the finding, of every cycle (earlier cycles' beside the current one's), cancelled ones
    included, in cycle order."""
    finding = policy.load_finding(get_actor(), finding_id)
    return paged(page_of_list(finding.actions, page_request(query)))


@blp.route(ACTIONS, methods=["POST"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ActionInputSchema}}})
@blp.response(201, ActionSchema)
def add_action(finding_id: int) -> CorrectiveAction:
    """Plan a corrective action with its owner and due date (while the plan is being written)."""
    finding = policy.load_finding(get_actor(), finding_id)
    data = parse_body(ActionInputSchema())
    return saved(capa.add_action(finding, capa.ActionInput(**data), actor=get_actor()))


@blp.route(ACTION, methods=["PATCH"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ActionChangeSchema}}})
@blp.response(200, ActionSchema)
def edit_action(finding_id: int, action_id: int) -> CorrectiveAction:
    """Change a planned action of the current cycle: fields left out keep their value."""
    action = _action(finding_id, action_id)
    data = parse_body(ActionChangeSchema())
    values = {"description": action.description, "owner_id": action.owner_id, "due_on": action.due_on, **data}
    return saved(capa.edit_action(action, capa.ActionInput(**values), actor=get_actor()))


@blp.route(f"{ACTION}/cancel", methods=["POST"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": CancelSchema}}})
@blp.response(200, ActionSchema)
def cancel_action(finding_id: int, action_id: int) -> CorrectiveAction:
    """Drop a planned action from a plan not yet accepted (kept, marked cancelled, with the reason)."""
    action = _action(finding_id, action_id)
    data = parse_body(CancelSchema())
    return saved(capa.cancel_action(action, reason=data["reason"], actor=get_actor()))


@blp.route(f"{ACTION}/implementation", methods=["POST"])
@require_role(*EVERYONE)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": ImplementationSchema},
            "multipart/form-data": {"schema": ImplementationUploadSchema},
        },
    },
    responses=PART_REFUSAL,
)
@blp.response(200, ActionSchema)
def record_implementation(finding_id: int, action_id: int) -> CorrectiveAction:
    """The action's owner (or the auditee unit) records what was done once the plan is accepted: a JSON `note`,
    or a multipart form with a `note` and one or more `file` parts (each checked: name, size, type by content;
    one refused file refuses the whole answer with 422 naming `file`). 403 for anyone else."""
    action = _action(finding_id, action_id)
    multipart = request.mimetype == "multipart/form-data"
    data = parse_body(
        ImplementationFormSchema() if multipart else ImplementationSchema(), "form" if multipart else "json"
    )
    files = uploaded_files() if multipart else None
    return saved(capa.record_implementation(action, note=data["note"], actor=get_actor(), files=files))


# --- Verification, effectiveness, consideration ------------------------------------------------------------------


@blp.route(f"{FINDING}/verification", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": VerificationSchema}}})
@blp.response(200, FindingRecordSchema)
def verify(finding_id: int) -> FindingRecord:
    """An auditor who owns no action of the cycle records what was checked and verifies the implementation."""
    finding = policy.load_finding(get_actor(), finding_id)
    data = parse_body(VerificationSchema())
    capa.verify_implementation(finding, note=data["note"], actor=get_actor())
    return answer(finding)


@blp.route(f"{FINDING}/effectiveness", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": EffectivenessSchema}}})
@blp.response(200, FindingRecordSchema)
def review_effectiveness(finding_id: int) -> FindingRecord:
    """Effective closes the finding (a major needs `evidence`); not effective reopens it for a new cycle."""
    finding = policy.load_finding(get_actor(), finding_id)
    data = parse_body(EffectivenessSchema())
    capa.review_effectiveness(
        finding,
        effective=data["effective"],
        review=data["review"],
        evidence=data["evidence"],
        actor=get_actor(),
        reason=data["reason"],
    )
    return answer(finding)


@blp.route(f"{FINDING}/consideration", methods=["POST"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ConsiderationSchema}}})
@blp.response(200, FindingRecordSchema)
def consider(finding_id: int) -> FindingRecord:
    """The auditee says what they did with an observation or OFI: action taken, or declined with a reason."""
    finding = policy.load_finding(get_actor(), finding_id)
    data = parse_body(ConsiderationSchema())
    capa.consider(finding, outcome=data["outcome"], note=data["note"], actor=get_actor())
    return answer(finding)


@blp.route(f"{FINDING}/files/<int:capa_file_id>")
@require_role(*EVERYONE)
@blp.doc(
    responses={
        "200": {
            "description": "The stored file as an attachment, with the type it was stored as; the download is "
            "recorded and the answer is not cached (Cache-Control: no-store).",
            "content": DOWNLOAD_TYPES,
        }
    }
)
def download_file(finding_id: int, capa_file_id: int) -> Response:
    """Download a correction, implementation or effectiveness file of a finding the caller may see (logged)."""
    finding = policy.load_finding(get_actor(), finding_id)
    record = db.session.get(CapaFile, capa_file_id) if 0 < capa_file_id <= MAX_ID else None
    if record is None or record.finding_id != finding.id:
        raise NotFound("That file is not part of this finding.")
    handle = capa.open_file(record, actor=get_actor())
    response = send_file(handle, mimetype=record.content_type, as_attachment=True, download_name=record.name)
    response.headers["Cache-Control"] = "no-store"
    return response
