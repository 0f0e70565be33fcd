"""With CSRF protection on (as in production), forms without the token are refused and change nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from audit_app.extensions import db
from audit_app.models import OrgUnit, Role
from tests.fixtures.accounts import PASSWORD

UNIT_FORM = {"name": "Claims processing", "kind": "process", "parent_id": "", "description": "", "active": "y"}


@pytest.fixture
def config_overrides() -> dict:
    return {"WTF_CSRF_ENABLED": True}


def token_from(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def unit_names(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OrgUnit.name)))


def test_csrf_is_enabled_for_this_module(app):
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_login_without_token_is_refused(client, make_user):
    make_user(Role.AUDITOR, email="ann@example.test")
    response = client.post("/auth/login", data={"email": "ann@example.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert not is_signed_in(client)


def test_login_with_wrong_token_is_refused(client, make_user):
    make_user(Role.AUDITOR, email="ann@example.test")
    token_from(client, "/auth/login")  # a session with a real token exists
    response = client.post(
        "/auth/login", data={"email": "ann@example.test", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert not is_signed_in(client)


def test_login_with_token_from_the_form_works(client, make_user):
    make_user(Role.AUDITOR, email="ann@example.test")
    token = token_from(client, "/auth/login")
    response = client.post("/auth/login", data={"email": "ann@example.test", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert is_signed_in(client)


def test_admin_form_without_token_creates_nothing(client, app, admin):
    response = client.post("/organisation/units/new", data=UNIT_FORM)
    assert response.status_code == 400
    assert unit_names(app) == []


def test_admin_form_with_token_creates_the_unit(client, app, admin):
    token = token_from(client, "/organisation/units/new")
    response = client.post("/organisation/units/new", data={**UNIT_FORM, "csrf_token": token})
    assert response.status_code == 302
    assert unit_names(app) == ["Claims processing"]


def test_logout_without_token_keeps_the_session(client, admin):
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert is_signed_in(client)


def test_logout_with_token_from_the_layout_works(client, admin):
    token = token_from(client, "/")  # the sign-out button in the page header
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_api_is_exempt_and_uses_bearer_tokens(client, app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    response = client.post("/api/v1/org-units", json={"name": "Risk office", "kind": "department"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert unit_names(app) == ["Risk office"]
