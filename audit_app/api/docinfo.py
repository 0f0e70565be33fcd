"""The documented-information register: list with filters (today or as of a day), one entry with its history,
the organisation's own entries, changes (PUT replaces the entry) and retiring."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from audit_app.api.common import saved
from audit_app.api.docinfo_schemas import (
    DocEntryDetailSchema,
    DocEntryInputSchema,
    DocEntrySchema,
    DocEntryUpdateSchema,
    DocRegisterQuerySchema,
    DocRetireSchema,
)
from audit_app.authz import get_actor, require_role
from audit_app.services.access import PLANNERS
from audit_app.services.docinfo import entries, register
from audit_app.services.docinfo.entries import OWNER_ROLES, READERS, EntryData
from audit_app.services.docinfo.register import Row
from audit_app.services.docinfo.status import current_status
from audit_app.services.notifications.reminders import local_now

blp = Blueprint(
    "api_docinfo", __name__, url_prefix="/documented-information", description="Documented-information register"
)


def _today() -> date:
    return local_now(current_app.config["ORG_TIMEZONE"]).date()


def _row(entry_id: int) -> Row:
    entry = entries.get_entry(entry_id, get_actor())
    return Row(entry, current_status(entry, _today()))


def _data(body: dict[str, Any]) -> EntryData:
    body = {k: v for k, v in body.items() if k != "revision"}
    return EntryData(**{**body, "refs": tuple(body.get("refs") or ())})


@blp.route("")
@require_role(*READERS)
@blp.arguments(DocRegisterQuerySchema, location="query")
@blp.response(200, DocEntrySchema(many=True))
def list_entries(query: dict[str, Any]) -> list[Row]:
    """The register's live entries with their status today, or as of `as_of` (from each entry's history).

    Filters: `status` and `clause` (a clause or control id; its sub-clauses match too). Not paged: the register
    holds one entry per document or record the organisation keeps.
    """
    shown = register.view(_today(), as_of=query.get("as_of"), status=query.get("status"), clause=query.get("clause"))
    return shown.rows


@blp.route("", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(DocEntryInputSchema)
@blp.response(201, DocEntrySchema)
def create_entry(body: dict[str, Any]) -> Row:
    """Add one of the organisation's own entries (administrators and lead auditors)."""
    entry = saved(entries.create_entry(_data(body), get_actor(), today=_today()))
    return Row(entry, current_status(entry, _today()))


@blp.route("/<int:entry_id>")
@require_role(*READERS)
@blp.response(200, DocEntryDetailSchema)
def get_entry(entry_id: int) -> Row:
    """One entry with its status today and its change history (newest first)."""
    return _row(entry_id)


@blp.route("/<int:entry_id>", methods=["PUT"])
@require_role(*OWNER_ROLES)
@blp.arguments(DocEntryUpdateSchema)
@blp.response(200, DocEntrySchema)
def put_entry(body: dict[str, Any], entry_id: int) -> Row:
    """Replace the entry's fields. The entry's owner may change its location, version and approval only."""
    entry = entries.get_entry(entry_id, get_actor())
    entries.update_entry(entry, _data(body), get_actor(), revision=body.get("revision"), today=_today())
    saved(entry)
    return _row(entry_id)


@blp.route("/<int:entry_id>/retire", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(DocRetireSchema)
@blp.response(200, DocEntrySchema)
def retire_entry(body: dict[str, Any], entry_id: int) -> Row:
    """Retire the entry (it is kept with its history, and leaves the register from now on)."""
    entry = entries.get_entry(entry_id, get_actor())
    entries.retire_entry(entry, get_actor(), body["reason"], revision=body.get("revision"))
    saved(entry)
    return _row(entry_id)
