"""The SoA world: the library loaded, one person per role, two units and an AI system; helpers that fill a draft
through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import AISystem, LifecycleStage, RiskLevel, Role, User
from audit_app.models.soa import Implementation, SoaEntry, SoaVersion
from audit_app.services.soa import versions
from audit_app.services.soa.versions import EntryInput


@dataclass(frozen=True)
class SoaWorld:
    admin_id: int
    lead_id: int
    auditor_id: int
    viewer_id: int
    auditee_id: int
    unit_id: int
    other_unit_id: int
    system_id: int


@pytest.fixture
def soa_world(app: Flask, library: int, make_user: Callable[..., int], make_unit: Callable[..., int]) -> SoaWorld:
    unit_id = make_unit("AI governance office")
    other_unit_id = make_unit("Data platform")
    with app.app_context():
        system = AISystem(
            name="Credit scoring model",
            purpose="Scores loan applications",
            risk_level=RiskLevel.HIGH,
            owner_unit_id=unit_id,
            lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
        )
        db.session.add(system)
        db.session.commit()
        system_id = system.id
    return SoaWorld(
        admin_id=make_user(Role.ADMIN),
        lead_id=make_user(Role.LEAD_AUDITOR),
        auditor_id=make_user(Role.AUDITOR),
        viewer_id=make_user(Role.VIEWER),
        auditee_id=make_user(Role.AUDITEE, unit_id=unit_id),
        unit_id=unit_id,
        other_unit_id=other_unit_id,
        system_id=system_id,
    )


def good_input(entry: SoaEntry, unit_id: int, *, applicable: bool = True) -> EntryInput:
    if applicable:
        return EntryInput(
            applicable=True,
            justification=f"Our credit models need {entry.title.lower()} to treat risks R-{entry.position + 1} "
            "and R-40 from the 2026 risk assessment.",
            implementation=Implementation.IN_PROGRESS,
            owner_unit_id=unit_id,
            addresses=f"R-{entry.position + 1}",
            evidence="https://intranet.example.test/aims/evidence",
            last_reviewed_on=date(2026, 1, 15),
        )
    return EntryInput(
        applicable=False,
        justification=f"We buy every model ready-made and never develop one, so {entry.control_ref} has nothing "
        "to act on (scope statement 2026, section 2).",
        owner_unit_id=unit_id,
    )


def fill(version: SoaVersion, actor: User, unit_id: int, *, skip: frozenset[str] = frozenset()) -> None:
    """Fill every entry of a draft with a complete, specific answer (inside an app context; not committed)."""
    for entry in versions.entries_of(version):
        if entry.control_ref in skip:
            continue
        versions.update_entry(
            actor,
            version,
            entry,
            good_input(entry, unit_id, applicable=not entry.control_ref.startswith("A.6.1")),
            revision=None,
        )
