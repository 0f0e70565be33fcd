"""Impartiality (ISO/IEC 42001 9.2.2): nobody audits their own unit or their unit's AI systems."""

from __future__ import annotations

from collections.abc import Iterable

from audit_app.models import AISystem, OrgUnit, TeamRole, User

#: Observers take no part in judging, so the rule does not bind them.
BOUND_ROLES = frozenset(TeamRole) - {TeamRole.OBSERVER}


def _lineage(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and every unit above it."""
    chain, seen = [], set()
    current: OrgUnit | None = unit
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = current.parent
    return chain


def conflicts(user: User, units: Iterable[OrgUnit], systems: Iterable[AISystem]) -> list[str]:
    """Reasons `user` is not impartial for an audit with this scope (empty when impartial).

    A scope unit conflicts when it is the user's own unit, a unit inside it (a process of their
    department) or a unit that contains it (the department their process belongs to).
    """
    home = user.org_unit
    if home is None:
        return []
    home_lineage = {u.id for u in _lineage(home)}
    reasons = []
    for unit in units:
        if unit.id == home.id:
            reasons.append(f"{user.name} belongs to {unit.name}, which is in the audit scope.")
        elif any(u.id == home.id for u in _lineage(unit)):
            reasons.append(f"{user.name} belongs to {home.name}, and {unit.name} (in the audit scope) is part of it.")
        elif unit.id in home_lineage:
            reasons.append(f"{user.name} belongs to {home.name}, which is part of {unit.name} (in the audit scope).")
    for system in systems:
        if system.owner_unit_id in home_lineage:
            reasons.append(
                f"{user.name}'s unit owns the AI system {system.name}, which is in the audit scope."
                if system.owner_unit_id == home.id
                else f"{system.name} (in the audit scope) is owned by {system.owner_unit.name}, which "
                f"{user.name}'s unit belongs to."
            )
    return reasons
