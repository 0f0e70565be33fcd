"""Organisation profile, org units and the AI-system inventory."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.common import saved
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.api.schemas import (
    AISystemSchema,
    AISystemUpdateSchema,
    OrganisationSchema,
    OrgUnitSchema,
    OrgUnitUpdateSchema,
)
from audit_app.authz import ADMIN_ONLY, get_actor, require_role
from audit_app.models import AISystem, Organisation, OrgUnit
from audit_app.services import org

blp = Blueprint("api_org", __name__, url_prefix="", description="Organisation, org units and AI systems")


@blp.route("/organisation")
@require_role()
@blp.response(200, OrganisationSchema)
def get_organisation() -> Organisation:
    """Return the organisation profile and AIMS scope statement."""
    return org.get_profile()


@blp.route("/organisation", methods=["PUT"])
@require_role(*ADMIN_ONLY)
@blp.arguments(OrganisationSchema)
@blp.response(200, OrganisationSchema)
def put_organisation(data: dict[str, Any]) -> Organisation:
    """Replace the organisation name, scope statement and (when sent) sectors."""
    return saved(org.update_profile(data["name"], data["scope_statement"], actor=get_actor(), sectors=data["sectors"]))


@blp.route("/org-units")
@require_role()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, OrgUnitSchema(many=True), headers=PAGE_HEADERS)
def list_units(query: dict[str, Any]) -> Paged[OrgUnit]:
    """List org units (departments, processes, sites) by kind and name.

    Paged: `page` and `per_page` (at most 100); the total is in `X-Total-Count`, the other pages in `Link`.
    """
    return paged(org.units_page(page_request(query)))


@blp.route("/org-units", methods=["POST"])
@require_role(*ADMIN_ONLY)
@blp.arguments(OrgUnitSchema)
@blp.response(201, OrgUnitSchema)
def create_unit(data: dict[str, Any]) -> OrgUnit:
    """Create an org unit."""
    return saved(org.save_unit(org.UnitData(**data), actor=get_actor()))


@blp.route("/org-units/<int:unit_id>")
@require_role()
@blp.response(200, OrgUnitSchema)
def get_unit(unit_id: int) -> OrgUnit:
    """Return one org unit."""
    return org.get_unit(unit_id)


@blp.route("/org-units/<int:unit_id>", methods=["PATCH"])
@require_role(*ADMIN_ONLY)
@blp.arguments(OrgUnitUpdateSchema(partial=True))
@blp.response(200, OrgUnitSchema)
def update_unit(data: dict[str, Any], unit_id: int) -> OrgUnit:
    """Change an org unit; fields left out keep their value."""
    unit = org.get_unit(unit_id)
    merged = org.UnitData(
        name=data.get("name", unit.name),
        kind=data.get("kind", unit.kind),
        description=data.get("description", unit.description),
        parent_id=data.get("parent_id", unit.parent_id),
        active=data.get("active", unit.active),
        manager_id=data.get("manager_id", unit.manager_id),
    )
    return saved(org.save_unit(merged, actor=get_actor(), unit=unit))


@blp.route("/ai-systems")
@require_role()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, AISystemSchema(many=True), headers=PAGE_HEADERS)
def list_systems(query: dict[str, Any]) -> Paged[AISystem]:
    """List the AI-system inventory by name.

    Paged: `page` and `per_page` (at most 100); the total is in `X-Total-Count`, the other pages in `Link`.
    """
    return paged(org.systems_page(page_request(query)))


@blp.route("/ai-systems", methods=["POST"])
@require_role(*ADMIN_ONLY)
@blp.arguments(AISystemSchema)
@blp.response(201, AISystemSchema)
def create_system(data: dict[str, Any]) -> AISystem:
    """Add an AI system to the inventory."""
    return saved(org.save_system(org.SystemData(**data), actor=get_actor()))


@blp.route("/ai-systems/<int:system_id>")
@require_role()
@blp.response(200, AISystemSchema)
def get_system(system_id: int) -> AISystem:
    """Return one AI system."""
    return org.get_system(system_id)


@blp.route("/ai-systems/<int:system_id>", methods=["PATCH"])
@require_role(*ADMIN_ONLY)
@blp.arguments(AISystemUpdateSchema(partial=True))
@blp.response(200, AISystemSchema)
def update_system(data: dict[str, Any], system_id: int) -> AISystem:
    """Change an AI system; fields left out keep their value."""
    system = org.get_system(system_id)
    fields = (
        "name",
        "purpose",
        "roles",
        "risk_level",
        "owner_unit_id",
        "lifecycle_stage",
        "in_scope",
        "scope_note",
        "supplier",
        "version",
        "in_production_on",
        "impact_assessment_ref",
    )
    merged = org.SystemData(**{f: data.get(f, getattr(system, f)) for f in fields})
    return saved(org.save_system(merged, actor=get_actor(), system=system))
