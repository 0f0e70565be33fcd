"""Fixtures shared by the web tests: a signed-in admin, AI systems, and reading field errors from a page."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Activity, AIRole, LifecycleStage, RiskLevel, Role, User
from audit_app.services import org

_seq = itertools.count(1)


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[[int], None]) -> int:
    """An administrator signed in on `client`; returns the id."""
    user_id = make_user(Role.ADMIN)
    login(user_id)
    return user_id


@pytest.fixture
def make_system(app: Flask, make_unit: Callable[..., int]) -> Callable[..., int]:
    """Create an AI system through the service (as the command line would); return its id."""

    def _make(name: str | None = None, *, owner_unit_id: int | None = None, risk: RiskLevel = RiskLevel.MEDIUM) -> int:
        unit_id = owner_unit_id or make_unit()
        with app.app_context():
            admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
            system = org.save_system(
                org.SystemData(
                    name=name or f"System {next(_seq)}",
                    purpose="Ranks incoming support tickets.",
                    roles=[AIRole.DEPLOYER],
                    risk_level=risk,
                    owner_unit_id=unit_id,
                    lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
                ),
                actor=admin,
            )
            db.session.commit()
            return system.id

    return _make


@pytest.fixture
def activity_rows(app: Flask) -> Callable[..., list[Activity]]:
    """The activity entries, oldest first, optionally only those with one action."""

    def _rows(action: str | None = None) -> list[Activity]:
        with app.app_context():
            stmt = sa.select(Activity).order_by(Activity.id)
            if action is not None:
                stmt = stmt.where(Activity.action == action)
            rows = list(db.session.scalars(stmt))
            db.session.expunge_all()
            return rows

    return _rows


def errors_for(page: str, field_id: str) -> list[str]:
    """The error messages rendered next to one form field (the list tied to it by aria-describedby)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).replace("Error: ", "", 1).strip() for item in items]


@pytest.fixture
def field_errors() -> Callable[[str, str], list[str]]:
    return errors_for
