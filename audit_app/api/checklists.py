"""The clause library, read-only."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.common import fail
from audit_app.api.schemas import ChecklistItemSchema, ChecklistVersionSchema, ItemQuerySchema
from audit_app.authz import require_role
from audit_app.errors import DomainError
from audit_app.models import ChecklistItem, ChecklistVersion
from audit_app.services.library import checklists

blp = Blueprint("api_checklists", __name__, url_prefix="/checklists", description="Clause library")


def _version(version_id: int) -> ChecklistVersion:
    try:
        return checklists.get_version(version_id)
    except DomainError as exc:
        fail(exc)


@blp.route("")
@require_role()
@blp.response(200, ChecklistVersionSchema(many=True))
def list_versions() -> list[ChecklistVersion]:
    """List every checklist version in the library."""
    return checklists.list_versions()


@blp.route("/<int:version_id>")
@require_role()
@blp.response(200, ChecklistVersionSchema)
def get_version(version_id: int) -> ChecklistVersion:
    """Return one checklist version with its content hash."""
    return _version(version_id)


@blp.route("/<int:version_id>/items")
@require_role()
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ChecklistItemSchema(many=True))
def list_items(query: dict[str, Any], version_id: int) -> list[ChecklistItem]:
    """List the items of a version in order, or those matching `q`."""
    version = _version(version_id)
    if query.get("q"):
        return checklists.search(query["q"], version_id=version.id)
    return checklists.version_items(version)


@blp.route("/<int:version_id>/items/<string:ref>")
@require_role()
@blp.response(200, ChecklistItemSchema)
def get_item(version_id: int, ref: str) -> ChecklistItem:
    """Return one item by its clause or control id."""
    version = _version(version_id)
    try:
        return checklists.get_item(version, ref)
    except DomainError as exc:
        fail(exc)
