"""Fieldwork: the working checklist, results per item, evidence entries and their files."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from audit_app.api.common import conflict, parse_body, saved, uploaded_files
from audit_app.api.fieldwork_schemas import (
    ChecklistQuerySchema,
    ChecklistResponseSchema,
    ChecklistResponseStateSchema,
    ChecklistResponseUpdateSchema,
    EditConflictSchema,
    EvidenceCreateSchema,
    EvidenceFileSchema,
    EvidenceQuerySchema,
    EvidenceSchema,
    EvidenceUploadSchema,
    FileUploadSchema,
    WorkingChecklistSchema,
)
from audit_app.api.paging import PAGE_HEADERS, Paged, page_request, paged
from audit_app.authz import STAFF, WORKERS, get_actor, require_role
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import ChecklistResponse, Evidence, EvidenceFile, Role
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.fieldwork import evidence as evidence_service
from audit_app.services.fieldwork import responses, working

blp = Blueprint(
    "api_fieldwork", __name__, url_prefix="", description="Fieldwork: the working checklist, results and evidence"
)

CHECKLIST = "/audits/<int:audit_id>/checklist"
RESPONSE = f"{CHECKLIST}/<int:response_id>"
EVIDENCE = "/audits/<int:audit_id>/evidence"


#: What a download answers: the type each accepted extension is stored as (a .json file is JSON, any value).
DOWNLOAD_TYPES: dict[str, Any] = {
    mime: {"schema": {} if mime == "application/json" else {"type": "string", "format": "binary"}}
    for mime, _ in evidence_service.KNOWN_TYPES.values()
}


def _edit_conflict(exc: responses.EditConflict) -> Response:
    """409 with the message and what is saved now, so the client can merge and retry with its version."""
    return conflict(str(exc), current=ChecklistResponseStateSchema().dump(exc.current))


# --- Working checklist ------------------------------------------------------------------------------------------


@blp.route(CHECKLIST)
@require_role(*STAFF)
@blp.arguments(ChecklistQuerySchema, location="query")
@blp.response(200, WorkingChecklistSchema)
def list_responses(query: dict[str, Any], audit_id: int) -> dict[str, Any]:
    """The working checklist in checklist order, with progress per clause and Annex A objective.

    `view` narrows the items (not_assessed, nonconformities, mine); progress always counts every item.
    """
    audit = access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS)
    checklist = working.working_checklist(audit, get_actor(), query["view"])
    return {"progress": checklist, "items": checklist.rows}


@blp.route(RESPONSE)
@require_role(*STAFF)
@blp.response(200, ChecklistResponseSchema)
def get_response(audit_id: int, response_id: int) -> ChecklistResponse:
    """One checklist item: the saved result, the library's questions and evidence hints, and its evidence."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS)
    return responses.get_response(audit, response_id)


@blp.route(RESPONSE, methods=["PUT"])
@require_role(*WORKERS)
@blp.arguments(ChecklistResponseUpdateSchema)
@blp.response(200, ChecklistResponseSchema)
@blp.alt_response(
    409,
    schema=EditConflictSchema,
    description="Someone saved the item since `version` was read (`current` holds what is saved now), or the "
    "audit's state refuses the change (the message says why; no `current`).",
)
def update_response(data: dict[str, Any], audit_id: int, response_id: int) -> ChecklistResponse | Response:
    """Record the result, notes and reason; send the `version` you read.

    If someone else saved the item in the meantime, nothing is changed and the answer is 409 with their
    saved state in `current`: merge, then retry with `current.version`.
    """
    audit = access.load_audit(get_actor(), audit_id, Need.WORK)
    response = responses.get_response(audit, response_id)
    parts = data["parts"]
    record = responses.ResponseData(
        result=data["result"],
        notes=data["notes"],
        reason=data["reason"],
        expected_version=data["version"],
        parts=None if parts is None else tuple(responses.PartData(**part) for part in parts),
    )
    try:  # an edit conflict answers with the saved version, so the client can merge and retry
        responses.save_response(response, record, actor=get_actor())
        db.session.flush()
    except responses.EditConflict as exc:
        return _edit_conflict(exc)
    except StaleDataError:  # another save landed between our read and our write: show theirs
        db.session.rollback()
        db.session.refresh(response)
        return _edit_conflict(responses.EditConflict(response))
    return saved(response)


# --- Evidence ---------------------------------------------------------------------------------------------------


@blp.route(EVIDENCE)
@require_role(*STAFF)
@blp.arguments(EvidenceQuerySchema, location="query")
@blp.response(200, EvidenceSchema(many=True), headers=PAGE_HEADERS)
def list_evidence(query: dict[str, Any], audit_id: int) -> Paged[Evidence]:
    """The audit's evidence entries, oldest first, with their checklist item, subject and files (paged)."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS)
    return paged(evidence_service.evidence_page(audit, page_request(query)))


@blp.route(f"{RESPONSE}/evidence", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": EvidenceCreateSchema},
            "multipart/form-data": {"schema": EvidenceUploadSchema},
        },
    }
)
@blp.response(201, EvidenceSchema)
def create_evidence(audit_id: int, response_id: int) -> Evidence:
    """Record an evidence entry, as JSON, or as a multipart form with one or more `file` parts.

    Every file is checked (name, size, type by content) before anything is stored; one refused file
    refuses the whole entry with 422 naming `file`.
    """
    audit = access.load_audit(get_actor(), audit_id, Need.WORK)
    response = responses.get_response(audit, response_id)
    location = "form" if request.mimetype == "multipart/form-data" else "json"
    data = parse_body(EvidenceCreateSchema(), location)
    kind, subject_id = data.pop("subject_kind"), data.pop("subject_id")
    record = evidence_service.EvidenceData(**data, subject=None if kind is None else (kind, subject_id))
    return saved(evidence_service.add_evidence(response, record, actor=get_actor(), files=uploaded_files()))


@blp.route(f"{EVIDENCE}/<int:evidence_id>/files", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": FileUploadSchema}}})
@blp.response(201, EvidenceFileSchema)
def upload_file(audit_id: int, evidence_id: int) -> EvidenceFile:
    """Attach a file to an evidence entry; a name already attached is stored as its next version."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORK)
    entry = evidence_service.get_entry(audit, evidence_id)
    uploads = uploaded_files()
    if len(uploads) != 1:
        raise ValidationFailed("Send one file.", {"file": ["Attach exactly one file in a part named `file`."]})
    ((name, content),) = uploads
    return saved(evidence_service.add_file(entry, name, content, actor=get_actor()))


@blp.route(f"{EVIDENCE}/files/<int:file_id>")
@require_role(*STAFF, Role.AUDITEE)
@blp.doc(
    responses={
        "200": {
            "description": "The stored file as an attachment, with the type it was stored as; the download is "
            "recorded.",
            "content": DOWNLOAD_TYPES,
        }
    }
)
def download_file(audit_id: int, file_id: int) -> Response:
    """Download an evidence file (audit team and administrators; an auditee, the files cited by an issued finding
    they see); every download is recorded."""
    record = evidence_service.file_for_download(get_actor(), audit_id, file_id)  # the service decides who may
    handle = evidence_service.open_download(record, actor=get_actor())
    return send_file(handle, mimetype=record.content_type, as_attachment=True, download_name=record.name)
