"""Fixtures shared by the API tests: tokens per role and direct database look-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Role
from tests.fixtures.api_planning import make_audit, make_programme


@pytest.fixture
def admin_id(make_user: Callable[..., int]) -> int:
    return make_user(Role.ADMIN, email="admin@example.test")


@pytest.fixture
def admin_headers(admin_id: int, token_for: Callable[[int], dict[str, str]]) -> dict[str, str]:
    return token_for(admin_id)


@pytest.fixture
def headers_for(
    make_user: Callable[..., int], token_for: Callable[[int], dict[str, str]]
) -> Callable[[Role], dict[str, str]]:
    """Create a user with `role` and return a bearer header for them."""
    return lambda role: token_for(make_user(role))


@pytest.fixture
def count(app: Flask) -> Callable[[type[Any]], int]:
    """Rows of a model in the database, read in a fresh context (not through the API)."""

    def _count(model: type[Any]) -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return _count


@pytest.fixture
def fetch(app: Flask) -> Callable[[type[Any], int], dict[str, Any]]:
    """One row of a model as a dict of its column values, read straight from the database."""

    def _fetch(model: type[Any], row_id: int) -> dict[str, Any]:
        with app.app_context():
            row = db.session.get(model, row_id)
            assert row is not None
            return {c.key: getattr(row, c.key) for c in sa.inspect(model).column_attrs}

    return _fetch


# --- Planning fixtures shared by the programme, audit and planning API tests ------------------------------------


@pytest.fixture
def lead_id(make_user) -> int:
    return make_user(Role.LEAD_AUDITOR)


@pytest.fixture
def lead_headers(lead_id, token_for) -> dict[str, str]:
    return token_for(lead_id)


@pytest.fixture
def programme_id(app, lead_id, library) -> int:
    return make_programme(app, lead_id, library)


@pytest.fixture
def audit_id(app, programme_id, lead_id) -> int:
    return make_audit(app, programme_id, lead_id, "Leadership")
