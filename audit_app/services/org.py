"""The organisation profile, org units and the AI-system inventory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import AIRole, AISystem, LifecycleStage, Organisation, OrgUnit, RiskLevel, UnitKind, User
from audit_app.models.base import utcnow
from audit_app.services import activity
from audit_app.services.access import MAX_ID
from audit_app.services.paging import Page, PageRequest, paginate, shown_with
from audit_app.services.text import clean


def get_profile() -> Organisation:
    """The organisation row, created empty on first use."""
    org = db.session.scalar(sa.select(Organisation).order_by(Organisation.id).limit(1))
    if org is None:
        org = Organisation(name="Our organisation", scope_statement="")
        db.session.add(org)
        db.session.flush()
    return org


def update_profile(name: str, scope_statement: str, *, actor: User, sectors: str | None = None) -> Organisation:
    """Change the profile; `sectors` (one per line, as in an auditor profile) is kept when None."""
    org = get_profile()
    org.name = clean(name, field="name", max_length=200, required=True)
    org.scope_statement = clean(scope_statement, field="scope_statement", max_length=20000, multiline=True)
    if sectors is not None:
        org.sectors = clean(sectors, field="sectors", max_length=2000, multiline=True) or None
    activity.record(actor, "organisation.updated", org, sectors=org.sector_list)
    return org


@dataclass(frozen=True)
class UnitData:
    name: str
    kind: UnitKind
    description: str = ""
    parent_id: int | None = None
    active: bool = True
    #: Who is told when the unit's findings fall overdue (DOMAIN 4.3): an active account, or nobody.
    manager_id: int | None = None


def manager_candidates() -> list[User]:
    """Active accounts that may manage a unit, by name (one narrow list for the unit form)."""
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.id)))


def _unit_manager(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    manager = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if manager is None or not manager.active:
        raise ValidationFailed("Unknown manager.", {"manager_id": ["Choose an active account as the unit's manager."]})
    return manager.id


def list_units(*, include_inactive: bool = True) -> list[OrgUnit]:
    """Every org unit (for choices); lists of units are paged with `units_page`."""
    stmt = sa.select(OrgUnit).options(selectinload(OrgUnit.parent)).order_by(OrgUnit.kind, OrgUnit.name)
    if not include_inactive:
        stmt = stmt.where(OrgUnit.active.is_(True))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class UnitOption:
    """What a choice of org unit shows: id, name and kind (no relationships)."""

    id: int
    name: str
    kind: UnitKind

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind.label.lower()})"


def unit_options(*, include_inactive: bool = True) -> list[UnitOption]:
    """Every org unit as a choice, by kind and name, in one narrow query (forms and filters offer them all)."""
    stmt = sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.kind).order_by(OrgUnit.kind, OrgUnit.name, OrgUnit.id)
    if not include_inactive:
        stmt = stmt.where(OrgUnit.active.is_(True))
    return [UnitOption(*row) for row in db.session.execute(stmt)]


def units_page(request: PageRequest, *, clamp: bool = False) -> Page[OrgUnit]:
    """One page of the org units by kind and name, each with its parent (one statement besides the count)."""
    stmt = (
        sa.select(OrgUnit)
        .options(*shown_with(OrgUnit.parent, OrgUnit.manager))
        .order_by(OrgUnit.kind, OrgUnit.name, OrgUnit.id)
    )
    return paginate(stmt, request, clamp=clamp)


def unit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OrgUnit.id))) or 0


def get_unit(unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id) if 0 < unit_id <= MAX_ID else None
    if unit is None:
        raise NotFound(f"Org unit {unit_id} does not exist.")
    return unit


def save_unit(data: UnitData, *, actor: User | None, unit: OrgUnit | None = None) -> OrgUnit:
    """Create an org unit, or update `unit`; names are unique and parents may not loop."""
    name = clean(data.name, field="name", max_length=120, required=True)
    description = clean(data.description, field="description", max_length=4000, multiline=True)
    clash = db.session.scalar(sa.select(OrgUnit).where(sa.func.lower(OrgUnit.name) == name.lower()))
    if clash is not None and clash is not unit:
        raise ValidationFailed(
            "An org unit with this name already exists.", {"name": ["An org unit with this name already exists."]}
        )
    if data.parent_id is not None:
        parent = db.session.get(OrgUnit, data.parent_id)
        if parent is None:
            raise ValidationFailed("Unknown parent unit.", {"parent_id": ["Choose an existing unit."]})
        ancestor: OrgUnit | None = parent
        while ancestor is not None:
            if unit is not None and ancestor.id == unit.id:
                raise ValidationFailed(
                    "A unit cannot sit below itself.", {"parent_id": ["Choose a unit that is not below this one."]}
                )
            ancestor = ancestor.parent
    manager_id = (
        _unit_manager(data.manager_id) if unit is None or data.manager_id != unit.manager_id else unit.manager_id
    )
    created = unit is None
    unit = unit or OrgUnit()
    unit.name, unit.kind, unit.description = name, data.kind, description
    unit.manager_id = manager_id
    unit.parent_id, unit.active = data.parent_id, data.active
    if created:
        db.session.add(unit)
    activity.record(actor, "org_unit.created" if created else "org_unit.updated", unit, name=name, manager=manager_id)
    return unit


@dataclass(frozen=True)
class SystemData:
    name: str
    purpose: str
    #: Every role the organisation holds towards the system (clause 4.1): one or more.
    roles: Iterable[AIRole]
    risk_level: RiskLevel
    owner_unit_id: int
    lifecycle_stage: LifecycleStage
    in_scope: bool = True
    scope_note: str = ""
    supplier: str | None = None
    version: str | None = None
    in_production_on: date | None = None
    impact_assessment_ref: str | None = None


AIROLE_VALUES = [role.value for role in AIRole]

#: The earliest in-production date accepted (an earlier one is a typing slip, such as 0202 for 2022).
EARLIEST_IN_PRODUCTION = date(1950, 1, 1)


def org_today() -> date:
    """Today's date where the organisation is (its time zone), which a date of record may not pass."""
    return datetime.now(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()


def list_systems() -> list[AISystem]:
    """The whole inventory (for choices); lists of systems are paged with `systems_page`."""
    return list(
        db.session.scalars(sa.select(AISystem).options(selectinload(AISystem.owner_unit)).order_by(AISystem.name))
    )


def systems_page(request: PageRequest, *, clamp: bool = False) -> Page[AISystem]:
    """One page of the inventory by name, each system with its owner unit and roles (one statement for the roles)."""
    stmt = (
        sa.select(AISystem)
        .options(*shown_with(AISystem.owner_unit), selectinload(AISystem.role_links))
        .order_by(AISystem.name, AISystem.id)
    )
    return paginate(stmt, request, clamp=clamp)


def get_system(system_id: int) -> AISystem:
    system = db.session.get(AISystem, system_id) if 0 < system_id <= MAX_ID else None
    if system is None:
        raise NotFound(f"AI system {system_id} does not exist.")
    return system


def save_system(data: SystemData, *, actor: User | None, system: AISystem | None = None) -> AISystem:
    """Create or update an inventory entry; out-of-scope systems need a reason."""
    name = clean(data.name, field="name", max_length=120, required=True)
    purpose = clean(data.purpose, field="purpose", max_length=4000, required=True, multiline=True)
    note = clean(data.scope_note, field="scope_note", max_length=4000, multiline=True)
    clash = db.session.scalar(sa.select(AISystem).where(sa.func.lower(AISystem.name) == name.lower()))
    if clash is not None and clash is not system:
        raise ValidationFailed(
            "An AI system with this name already exists.", {"name": ["An AI system with this name already exists."]}
        )
    if db.session.get(OrgUnit, data.owner_unit_id) is None:
        raise ValidationFailed("Unknown owner unit.", {"owner_unit_id": ["Choose an existing org unit."]})
    if not data.in_scope and not note:
        raise ValidationFailed(
            "Say why the system is outside the AIMS scope.",
            {"scope_note": ["A system outside the scope needs a reason."]},
        )
    roles = system_roles(data.roles)
    supplier = clean(data.supplier, field="supplier", max_length=200) or None
    version = clean(data.version, field="version", max_length=60) or None
    reference = clean(data.impact_assessment_ref, field="impact_assessment_ref", max_length=200) or None
    in_production_on = _in_production_date(data.in_production_on)
    created = system is None
    system = system or AISystem()
    before = {} if created else _system_snapshot(system)
    system.name, system.purpose, system.roles = name, purpose, roles
    system.risk_level, system.owner_unit_id = data.risk_level, data.owner_unit_id
    system.lifecycle_stage, system.in_scope, system.scope_note = data.lifecycle_stage, data.in_scope, note
    system.supplier, system.version, system.impact_assessment_ref = supplier, version, reference
    system.in_production_on = in_production_on
    if created:
        db.session.add(system)
        activity.record(actor, "ai_system.created", system, name=name, roles=[str(r) for r in system.roles])
    else:
        after = _system_snapshot(system)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changes:
            system.updated_at = utcnow()  # a change of roles alone does not touch the system's own row
            activity.record(actor, "ai_system.updated", system, changes=changes)
    return system


def system_roles(roles: Iterable[AIRole]) -> list[AIRole]:
    """The roles given, without repeats; at least one is needed (clause 4.1: the organisation's role towards it)."""
    if isinstance(roles, AIRole):  # a single role given where several may be
        roles = [roles]
    chosen: list[AIRole] = []
    for role in roles:
        if role not in AIROLE_VALUES:
            raise ValidationFailed.on("roles", f"Unknown role: choose from {', '.join(AIROLE_VALUES)}.")
        if AIRole(role) not in chosen:
            chosen.append(AIRole(role))
    if not chosen:
        raise ValidationFailed.on("roles", "Choose at least one role the organisation holds towards the system.")
    return chosen


def _in_production_date(value: date | None) -> date | None:
    if value is None:
        return None
    if value > org_today():
        raise ValidationFailed.on(
            "in_production_on",
            "The in-production date cannot be in the future: record it once the system is in production.",
        )
    if value < EARLIEST_IN_PRODUCTION:
        raise ValidationFailed.on("in_production_on", f"Give a date from {EARLIEST_IN_PRODUCTION:%Y} onwards.")
    return value


def _system_snapshot(system: AISystem) -> dict[str, str | int | bool | list[str] | None]:
    return {
        "name": system.name,
        "purpose": system.purpose,
        "roles": [str(role) for role in system.roles],
        "risk_level": str(system.risk_level),
        "owner_unit_id": system.owner_unit_id,
        "lifecycle_stage": str(system.lifecycle_stage),
        "in_scope": system.in_scope,
        "scope_note": system.scope_note,
        "supplier": system.supplier,
        "version": system.version,
        "in_production_on": system.in_production_on.isoformat() if system.in_production_on else None,
        "impact_assessment_ref": system.impact_assessment_ref,
    }
