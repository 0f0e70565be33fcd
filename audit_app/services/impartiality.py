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
    """Reasons `user` is not impartial for an audit with this scope (empty when impartial)."""
    home = user.org_unit_id
    if home is None:
        return []
    reasons = []
    for unit in units:
        lineage = _lineage(unit)
        if any(u.id == home for u in lineage):
            if unit.id == home:
                reasons.append(f"{user.name} belongs to {unit.name}, which is in the audit scope.")
            else:
                reasons.append(
                    f"{user.name} belongs to {user.org_unit.name if user.org_unit else 'a unit'}, "
                    f"which {unit.name} (in the audit scope) is part of."
                )
    for system in systems:
        if system.owner_unit_id == home:
            reasons.append(f"{user.name}'s unit owns the AI system {system.name}, which is in the audit scope.")
    return reasons
