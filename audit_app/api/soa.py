"""The Statement of Applicability: versions (drafts included) with their entries and completeness, entry changes,
own controls, approval, a new draft, comparing two versions, and the Word and XLSX exports.

Staff and management read (auditees get 403); admins and lead auditors change. Approved versions are frozen
(409 on any change).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from audit_app.api.common import parse_body, saved
from audit_app.api.soa_schemas import (
    SoaApprovalSchema,
    SoaCompareQuerySchema,
    SoaComparisonSchema,
    SoaControlInputSchema,
    SoaEntryInputSchema,
    SoaEntrySchema,
    SoaVersionDetailSchema,
    SoaVersionSchema,
)
from audit_app.authz import PLANNERS, STAFF, get_actor, require_role
from audit_app.models.soa import SoaEntry, SoaVersion
from audit_app.services.reports.generate import DOCX
from audit_app.services.soa import compare, export, status, versions
from audit_app.services.soa.export import XLSX, SoaFile
from audit_app.services.soa.versions import EntryInput

blp = Blueprint("api_soa", __name__, url_prefix="/soa", description="Statement of Applicability")

VERSION = "/versions/<int:soa_id>"
ENTRY = f"{VERSION}/entries/<int:soa_entry_id>"


def _file(media_type: str, description: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
    }


def _attachment(document: SoaFile) -> Response:
    response = send_file(
        io.BytesIO(document.data), mimetype=document.media_type, as_attachment=True, download_name=document.file_name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _detail(version: SoaVersion) -> dict[str, Any]:
    result = status.completeness(version)
    return {
        **{name: getattr(version, name) for name in SoaVersionSchema().fields},
        "entries": versions.entries_of(version),
        "completeness": {
            "total": result.total,
            "complete": result.complete,
            "is_complete": result.is_complete,
            "missing_controls": result.missing_controls,
            "incomplete": [{"control_ref": ref, "reason": reason} for ref, reason in result.incomplete],
            "flagged": [{"control_ref": ref, "reason": reason} for ref, reason in result.flagged],
        },
    }


@blp.route("/versions")
@require_role(*STAFF)
@blp.response(200, SoaVersionSchema(many=True))
def list_versions() -> list[SoaVersion]:
    """Every version, newest first: the draft (if any), the approved one and the superseded ones."""
    return versions.list_versions(get_actor())


@blp.route("/versions", methods=["POST"])
@require_role(*PLANNERS)
@blp.response(201, SoaVersionDetailSchema)
def start_draft() -> dict[str, Any]:
    """Start a new draft: the first lists all Annex A controls of the library, later ones copy the approved version.
    409 while a draft exists."""
    version = versions.start_draft(get_actor())
    saved(version)
    return _detail(version)


@blp.route(VERSION)
@require_role(*STAFF)
@blp.response(200, SoaVersionDetailSchema)
def get_version(soa_id: int) -> dict[str, Any]:
    """One version with its entries in order and its completeness (missing controls, gaps, flagged justifications)."""
    return _detail(versions.get_version(get_actor(), soa_id))


@blp.route(f"{VERSION}/entries", methods=["POST"])
@require_role(*PLANNERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SoaControlInputSchema}}})
@blp.response(201, SoaEntrySchema)
def add_control(soa_id: int) -> SoaEntry:
    """Add one of the organisation's own controls to the draft (its id must not start with "A.")."""
    actor = get_actor()
    version = versions.get_version(actor, soa_id)
    versions.ensure_edit(actor)
    data = parse_body(SoaControlInputSchema())
    return saved(versions.add_custom(actor, version, data["control_ref"], data["title"], revision=data["revision"]))


@blp.route(ENTRY)
@require_role(*STAFF)
@blp.response(200, SoaEntrySchema)
def get_entry(soa_id: int, soa_entry_id: int) -> SoaEntry:
    """One entry of a version."""
    actor = get_actor()
    return versions.get_entry(actor, versions.get_version(actor, soa_id), soa_entry_id)


@blp.route(ENTRY, methods=["PUT"])
@require_role(*PLANNERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SoaEntryInputSchema}}})
@blp.response(200, SoaEntrySchema)
def put_entry(soa_id: int, soa_entry_id: int) -> SoaEntry:
    """Replace what an entry of the draft says (409 on an approved or superseded version, or a stale `revision`)."""
    actor = get_actor()
    version = versions.get_version(actor, soa_id)
    entry = versions.get_entry(actor, version, soa_entry_id)
    versions.ensure_edit(actor)
    data = parse_body(SoaEntryInputSchema())
    revision = data.pop("revision")
    return saved(versions.update_entry(actor, version, entry, EntryInput(**data), revision=revision))


@blp.route(f"{VERSION}/approval", methods=["POST"])
@require_role(*PLANNERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SoaApprovalSchema}}})
@blp.response(200, SoaVersionSchema)
def approve(soa_id: int) -> SoaVersion:
    """Approve the draft, which freezes it and supersedes the approved version. 409 while controls are missing or
    lack a decision or justification; 422 listing incomplete or flagged entries unless `confirm` is true."""
    actor = get_actor()
    version = versions.get_version(actor, soa_id)
    versions.ensure_edit(actor)
    data = parse_body(SoaApprovalSchema())
    return saved(
        versions.approve(
            actor, version, change_note=data["change_note"], confirmed=data["confirm"], revision=data["revision"]
        )
    )


@blp.route("/compare")
@require_role(*STAFF)
@blp.arguments(SoaCompareQuerySchema, location="query")
@blp.response(200, SoaComparisonSchema)
@blp.alt_response(404, response="NotFound")
def compare_versions(query: dict[str, int]) -> dict[str, Any]:
    """What changed between two versions, control by control (old → new)."""
    actor = get_actor()
    old = versions.get_version(actor, query["old"])
    new = versions.get_version(actor, query["new"])
    return {"old": old, "new": new, "changes": compare.compare(old, new)}


@blp.route(f"{VERSION}/export.docx")
@require_role(*STAFF)
@blp.doc(responses=_file(DOCX, "The version as a Word document (drafts carry a DRAFT marking)."))
def export_word(soa_id: int) -> Response:
    """The version as a Word document built from the report template in use."""
    actor = get_actor()
    return _attachment(export.word(actor, versions.get_version(actor, soa_id)))


@blp.route(f"{VERSION}/export.xlsx")
@require_role(*STAFF)
@blp.doc(responses=_file(XLSX, "The version as an XLSX workbook, one row per control."))
def export_xlsx(soa_id: int) -> Response:
    """The version as a spreadsheet, one row per control."""
    actor = get_actor()
    return _attachment(export.workbook(actor, versions.get_version(actor, soa_id)))
