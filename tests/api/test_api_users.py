"""/api/v1/users: administrators manage accounts; everybody else gets 403."""

from __future__ import annotations

import pytest

from audit_app.extensions import db
from audit_app.models import Role, User
from tests.fixtures.roles import NON_ADMIN_ROLES

NEW_PASSWORD = "a perfectly fine passphrase"


def new_user(**overrides):
    return {
        "email": "new.user@example.test",
        "name": "New User",
        "role": "auditor",
        "password": NEW_PASSWORD,
    } | overrides


def test_admin_lists_every_account_ordered_by_email(client, admin_headers, make_user):
    make_user(Role.VIEWER, email="zoe@example.test")
    make_user(Role.AUDITOR, email="bob@example.test", active=False)

    response = client.get("/api/v1/users", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert [u["email"] for u in body] == ["admin@example.test", "bob@example.test", "zoe@example.test"]
    assert [u["active"] for u in body] == [True, False, True]
    assert all("password_hash" not in u and "password" not in u for u in body)


def test_admin_creates_a_user(app, client, admin_headers, make_unit, count):
    unit_id = make_unit("Data science")
    before = count(User)

    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json=new_user(email="  Ann.Auditee@Example.TEST ", role="auditee", org_unit_id=unit_id),
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "ann.auditee@example.test"
    assert body["role"] == "auditee"
    assert body["org_unit"] == {"id": unit_id, "name": "Data science"}
    assert "password" not in body
    assert count(User) == before + 1
    with app.app_context():
        stored = db.session.get(User, body["id"])
        assert stored.check_password(NEW_PASSWORD)
        assert stored.password_hash != NEW_PASSWORD


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pw", "at least 12 characters"),
        (" leading space pw", "spaces"),
        ("aaaabbbbaaaabbbb", "more than three different characters"),
        ("new.user@example.test", "e-mail address or name"),
        ("x" * 257, "256"),
    ],
)
def test_password_rules_are_enforced(client, admin_headers, count, password, problem):
    before = count(User)

    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(password=password))

    assert response.status_code == 422
    body = response.get_json()
    assert "password" in body["message"].lower()
    assert problem in " ".join(body["errors"]["json"]["password"])
    assert count(User) == before


def test_duplicate_email_is_refused_case_insensitively(client, admin_headers, count):
    before = count(User)

    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(email="ADMIN@example.test"))

    assert response.status_code == 422
    body = response.get_json()
    assert "already exists" in body["message"]
    assert "email" in body["errors"]["json"]
    assert count(User) == before


def test_unknown_role_is_refused(client, admin_headers, count):
    before = count(User)

    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(role="superuser"))

    assert response.status_code == 422
    body = response.get_json()
    assert "role" in body["message"]
    assert "role" in body["errors"]["json"]
    assert count(User) == before


@pytest.mark.parametrize("field", ["email", "name", "role", "password"])
def test_missing_required_field_is_named(client, admin_headers, count, field):
    data = new_user()
    del data[field]

    response = client.post("/api/v1/users", headers=admin_headers, json=data)

    assert response.status_code == 422
    assert field in response.get_json()["message"]
    assert count(User) == 1


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.test", "bell\x07@example.test"])
def test_invalid_email_is_refused(client, admin_headers, count, email):
    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(email=email))

    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]["json"]
    assert count(User) == 1


def test_auditee_needs_an_org_unit(client, admin_headers, count):
    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(role="auditee"))

    assert response.status_code == 422
    body = response.get_json()
    assert "org unit" in body["message"]
    assert "org_unit_id" in body["errors"]["json"]
    assert count(User) == 1


def test_unknown_org_unit_is_refused(client, admin_headers, count):
    response = client.post("/api/v1/users", headers=admin_headers, json=new_user(org_unit_id=9999))

    assert response.status_code == 422
    assert "org_unit_id" in response.get_json()["errors"]["json"]
    assert count(User) == 1


def test_admin_gets_one_user(client, admin_headers, make_user):
    user_id = make_user(Role.LEAD_AUDITOR, email="lead@example.test")

    response = client.get(f"/api/v1/users/{user_id}", headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["email"] == "lead@example.test"
    assert response.get_json()["role"] == "lead_auditor"


@pytest.mark.parametrize(("method", "json"), [("get", None), ("patch", {"name": "Ghost"})])
def test_unknown_user_is_404_json(client, admin_headers, method, json):
    response = getattr(client, method)("/api/v1/users/9999", headers=admin_headers, json=json)

    assert response.status_code == 404
    assert response.is_json
    assert "9999" in response.get_json()["message"]


def test_admin_changes_a_role(client, admin_headers, make_user, fetch):
    user_id = make_user(Role.AUDITOR)
    old_version = fetch(User, user_id)["session_version"]

    response = client.patch(f"/api/v1/users/{user_id}", headers=admin_headers, json={"role": "lead_auditor"})

    assert response.status_code == 200
    assert response.get_json()["role"] == "lead_auditor"
    stored = fetch(User, user_id)
    assert stored["role"] is Role.LEAD_AUDITOR
    assert stored["session_version"] == old_version + 1
    assert client.get(f"/api/v1/users/{user_id}", headers=admin_headers).get_json()["role"] == "lead_auditor"


def test_patch_keeps_fields_left_out(client, admin_headers, make_user, make_unit, fetch):
    unit_id = make_unit()
    user_id = make_user(Role.AUDITEE, email="keep@example.test", unit_id=unit_id)

    response = client.patch(f"/api/v1/users/{user_id}", headers=admin_headers, json={"name": "Renamed"})

    assert response.status_code == 200
    stored = fetch(User, user_id)
    assert (stored["name"], stored["role"], stored["org_unit_id"]) == ("Renamed", Role.AUDITEE, unit_id)


def test_admin_deactivates_a_user_and_their_token_stops_working(client, admin_headers, make_user, token_for, fetch):
    user_id = make_user(Role.AUDITOR)
    their_headers = token_for(user_id)
    assert client.get("/api/v1/me", headers=their_headers).status_code == 200

    response = client.patch(f"/api/v1/users/{user_id}", headers=admin_headers, json={"active": False})

    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert fetch(User, user_id)["active"] is False
    assert client.get("/api/v1/me", headers=their_headers).status_code == 401


def test_admin_cannot_demote_themself(client, admin_id, admin_headers, fetch):
    response = client.patch(f"/api/v1/users/{admin_id}", headers=admin_headers, json={"role": "auditor"})

    assert response.status_code == 422
    body = response.get_json()
    assert "administrator role" in body["message"]
    assert "role" in body["errors"]["json"]
    assert fetch(User, admin_id)["role"] is Role.ADMIN


def test_admin_cannot_deactivate_themself_and_nothing_else_changes(client, admin_id, admin_headers, fetch):
    response = client.patch(
        f"/api/v1/users/{admin_id}", headers=admin_headers, json={"name": "Changed", "active": False}
    )

    assert response.status_code == 400
    assert "deactivate your own account" in response.get_json()["message"]
    stored = fetch(User, admin_id)
    assert stored["active"] is True
    assert stored["name"] != "Changed"


def test_patch_rejects_a_wrong_type(client, admin_headers, make_user, fetch):
    user_id = make_user(Role.AUDITOR)

    response = client.patch(f"/api/v1/users/{user_id}", headers=admin_headers, json={"active": "sometimes"})

    assert response.status_code == 422
    assert "active" in response.get_json()["message"]
    assert fetch(User, user_id)["active"] is True


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", new_user()),
        ("get", "/api/v1/users/{target}", None),
        ("patch", "/api/v1/users/{target}", {"role": "admin"}),
        ("patch", "/api/v1/users/{target}", {"active": False}),
    ],
)
def test_non_admins_get_403_on_every_users_endpoint(
    client, make_user, headers_for, count, fetch, role, method, path, json
):
    target = make_user(Role.VIEWER)
    headers = headers_for(role)
    before = count(User)

    response = getattr(client, method)(path.format(target=target), headers=headers, json=json)

    assert response.status_code == 403
    assert response.is_json
    assert response.get_json()["message"]
    assert count(User) == before
    stored = fetch(User, target)
    assert (stored["role"], stored["active"]) == (Role.VIEWER, True)
