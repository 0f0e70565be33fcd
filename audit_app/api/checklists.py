"""The clause library, read-only."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.schemas import ChecklistItemSchema, ChecklistVersionSchema, ItemQuerySchema
from audit_app.authz import require_role
from audit_app.models import ChecklistItem, ChecklistVersion
from audit_app.services.library import checklists

blp = Blueprint("api_checklists", __name__, url_prefix="/checklists", description="Clause library")


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
    return checklists.get_version(version_id)


@blp.route("/<int:version_id>/items")
@require_role()
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ChecklistItemSchema(many=True))
def list_items(query: dict[str, Any], version_id: int) -> list[ChecklistItem]:
    """List the items of a version in order, or those matching `q`."""
    version = checklists.get_version(version_id)
    if query.get("q"):
        return checklists.search(query["q"], version_id=version.id)
    return checklists.version_items(version)


@blp.route("/<int:version_id>/items/<string:ref>")
@require_role()
@blp.response(200, ChecklistItemSchema)
def get_item(version_id: int, ref: str) -> ChecklistItem:
    """Return one item by its clause or control id."""
    return checklists.get_item(checklists.get_version(version_id), ref)
