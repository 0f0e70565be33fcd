"""Impartiality (ISO/IEC 42001 9.2.2): nobody audits their own unit, their unit's AI systems, or their own work.

Two levels. For the audit: a team member's unit (or a unit above or below it) is in the scope, or their unit owns
an AI system in the scope. For each agenda session: an auditor would interview their own unit, or audit a process
they own or a clause or control they are responsible for (the programme manager is always responsible for 9.2;
an auditor profile names the rest). Every threat has a stable key, so an exception can say which threats it was
accepted for and a new threat needs a new exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AISystem, Audit, AuditorProfile, ChecklistItem, OrgUnit, TeamRole, User

#: Observers take no part in judging, so the rule does not bind them.
BOUND_ROLES = frozenset(TeamRole) - {TeamRole.OBSERVER}

#: The programme manager manages internal auditing itself (ISO/IEC 42001 9.2), so never audits it.
PROGRAMME_MANAGER_REFS = ("9.2",)


@dataclass(frozen=True)
class Threat:
    """One reason a person is not impartial; `key` names the threat without depending on names."""

    key: str
    message: str


@dataclass(frozen=True)
class Responsibilities:
    """What a person produced, owns or manages, so must not audit."""

    refs: tuple[str, ...] = ()
    units: tuple[OrgUnit, ...] = ()
    manages_programme: bool = False


def lineage(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and every unit above it."""
    chain, seen = [], set()
    current: OrgUnit | None = unit
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = current.parent
    return chain


def _related(unit: OrgUnit, home: OrgUnit, home_ids: set[int]) -> bool:
    """The unit is `home`, inside it, or contains it."""
    return unit.id == home.id or any(u.id == home.id for u in lineage(unit)) or unit.id in home_ids


def threats(user: User, units: Iterable[OrgUnit], systems: Iterable[AISystem]) -> list[Threat]:
    """Threats to `user`'s impartiality for an audit with this scope (empty when impartial).

    A scope unit conflicts when it is the user's own unit, a unit inside it (a process of their
    department) or a unit that contains it (the department their process belongs to).
    """
    home = user.org_unit
    if home is None:
        return []
    home_lineage = {u.id for u in lineage(home)}
    found = []
    for unit in units:
        if unit.id == home.id:
            message = f"{user.name} belongs to {unit.name}, which is in the audit scope."
        elif any(u.id == home.id for u in lineage(unit)):
            message = f"{user.name} belongs to {home.name}, and {unit.name} (in the audit scope) is part of it."
        elif unit.id in home_lineage:
            message = f"{user.name} belongs to {home.name}, which is part of {unit.name} (in the audit scope)."
        else:
            continue
        found.append(Threat(f"unit:{unit.id}", message))
    for system in systems:
        if system.owner_unit_id in home_lineage:
            found.append(
                Threat(
                    f"system:{system.id}",
                    f"{user.name}'s unit owns the AI system {system.name}, which is in the audit scope."
                    if system.owner_unit_id == home.id
                    else f"{system.name} (in the audit scope) is owned by {system.owner_unit.name}, which "
                    f"{user.name}'s unit belongs to.",
                )
            )
    return found


def conflicts(user: User, units: Iterable[OrgUnit], systems: Iterable[AISystem]) -> list[str]:
    """Reasons `user` is not impartial for an audit with this scope (empty when impartial)."""
    return [t.message for t in threats(user, units, systems)]


def covers_ref(responsible: str, ref: str) -> bool:
    """Whether responsibility for `responsible` (e.g. "9.2") includes the item `ref` (e.g. "9.2.1")."""
    return ref == responsible or ref.startswith(responsible + ".")


def responsibilities(user: User, audit: Audit) -> Responsibilities:
    """What `user` is responsible for: their profile's clauses, controls and units, and 9.2 if they manage the
    audit's programme."""
    profile = db.session.scalar(sa.select(AuditorProfile).where(AuditorProfile.user_id == user.id))
    manages = audit.programme.manager_id == user.id
    refs = tuple(profile.responsible_refs or ()) if profile else ()
    if manages:
        refs = tuple(dict.fromkeys((*PROGRAMME_MANAGER_REFS, *refs)))
    units = tuple(profile.responsible_units) if profile else ()
    return Responsibilities(refs, units, manages)


def session_threats(
    user: User, duties: Responsibilities, units: Iterable[OrgUnit], items: Iterable[ChecklistItem]
) -> list[Threat]:
    """Threats to `user`'s impartiality in one session covering these units and items."""
    found: list[Threat] = []
    home = user.org_unit
    home_ids = {u.id for u in lineage(home)} if home is not None else set()
    for unit in units:
        if home is not None and _related(unit, home, home_ids):
            found.append(
                Threat(f"unit:{unit.id}", f"{user.name} would interview their own unit: {unit.name} ({home.name}).")
            )
        for owned in duties.units:
            if any(u.id == owned.id for u in lineage(unit)):
                found.append(
                    Threat(
                        f"owns:{unit.id}",
                        f"{user.name} owns or manages {owned.name}, and the session covers {unit.name}.",
                    )
                )
    for item in items:
        for ref in duties.refs:
            if not covers_ref(ref, item.ref):
                continue
            why = (
                "manages the audit programme"
                if duties.manages_programme and ref in PROGRAMME_MANAGER_REFS
                else f"is responsible for {ref}"
            )
            found.append(Threat(f"ref:{item.ref}", f"{user.name} {why}, so would audit their own work in {item.ref}."))
            break
    return found
