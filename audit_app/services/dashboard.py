"""Figures for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AISystem, ChecklistVersion, OrgUnit, Role, User
from audit_app.services import org


@dataclass(frozen=True)
class Summary:
    organisation: str
    units: int
    systems_in_scope: int
    systems_total: int
    high_risk_in_scope: int
    checklist_versions: int
    active_users: int | None


def summary(user: User) -> Summary:
    systems = db.session.execute(
        sa.select(
            sa.func.count(AISystem.id),
            sa.func.count(AISystem.id).filter(AISystem.in_scope.is_(True)),
            sa.func.count(AISystem.id).filter(
                AISystem.in_scope.is_(True), AISystem.risk_level.in_(["high", "critical"])
            ),
        )
    ).one()
    return Summary(
        organisation=org.get_profile().name,
        units=db.session.scalar(sa.select(sa.func.count(OrgUnit.id)).where(OrgUnit.active.is_(True))) or 0,
        systems_total=systems[0],
        systems_in_scope=systems[1],
        high_risk_in_scope=systems[2],
        checklist_versions=db.session.scalar(sa.select(sa.func.count(ChecklistVersion.id))) or 0,
        active_users=(
            db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(True)))
            if user.role is Role.ADMIN
            else None
        ),
    )
