"""A committed "everything ready" world for the page and API tests, with the people who look at it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Role
from tests.fixtures.planning import Planning
from tests.readiness.world import ReadyWorld, build_ready


@dataclass(frozen=True)
class People:
    admin: int
    lead: int
    viewer: int
    auditor: int
    auditee: int


@pytest.fixture
def ready(app: Flask, library: int) -> tuple[ReadyWorld, People]:
    with app.app_context():
        plan = Planning(library)
        world = build_ready(plan)
        people = People(
            admin=plan.user(Role.ADMIN).id,
            lead=world.lead_id,
            viewer=plan.user(Role.VIEWER).id,
            auditor=plan.user(Role.AUDITOR).id,
            auditee=plan.user(Role.AUDITEE).id,
        )
        db.session.commit()
        return world, people
