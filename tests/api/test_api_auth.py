"""Bearer-token authentication on /api/v1 and the /me resource."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import ApiToken, Role, User
from audit_app.services import accounts


def assert_401(response, *words: str) -> None:
    assert response.status_code == 401
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 401
    assert body["message"]
    for word in words:
        assert word.lower() in body["message"].lower()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _new_token(app, user_id: int) -> tuple[int, str]:
    with app.app_context():
        token, raw = accounts.create_token(db.session.get(User, user_id), "cli", actor=None)
        db.session.commit()
        return token.id, raw


def test_request_without_authorization_header_is_refused(client):
    response = client.get("/api/v1/me")

    assert_401(response, "Authorization: Bearer")


@pytest.mark.parametrize("header", ["Basic x", "Bearer", "Bearer ", "Bearer    ", "Token abc", "bearer"])
def test_malformed_authorization_header_is_refused(client, header):
    assert_401(client.get("/api/v1/me", headers={"Authorization": header}), "Bearer")


def test_valid_token_under_another_scheme_is_refused(app, client, make_user):
    _, raw = _new_token(app, make_user(Role.AUDITOR))

    assert_401(client.get("/api/v1/me", headers={"Authorization": f"Basic {raw}"}))
    assert_401(client.get("/api/v1/me", headers={"Authorization": raw}))


def test_scheme_name_is_case_insensitive(app, client, make_user):
    _, raw = _new_token(app, make_user(Role.AUDITOR))

    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {raw}"}).status_code == 200


def test_unknown_token_is_refused(app, client, make_user):
    _, raw = _new_token(app, make_user(Role.AUDITOR))

    assert_401(client.get("/api/v1/me", headers={"Authorization": "Bearer aims_notarealtoken"}), "unknown")
    assert_401(client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}x"}))


def test_revoked_token_is_refused(app, client, make_user):
    token_id, raw = _new_token(app, make_user(Role.AUDITOR))
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    with app.app_context():
        accounts.revoke_token(db.session.get(ApiToken, token_id), actor=None)
        db.session.commit()

    assert_401(client.get("/api/v1/me", headers=headers), "revoked")


def test_token_of_deactivated_user_is_refused(app, client, make_user, token_for):
    user_id = make_user(Role.LEAD_AUDITOR)
    headers = token_for(user_id)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    with app.app_context():
        accounts.set_active(db.session.get(User, user_id), False, actor=None)
        db.session.commit()

    assert_401(client.get("/api/v1/me", headers=headers), "deactivated")


def test_token_of_reactivated_user_works_again(app, client, make_user, token_for):
    user_id = make_user(Role.VIEWER)
    headers = token_for(user_id)
    with app.app_context():
        user = db.session.get(User, user_id)
        accounts.set_active(user, False, actor=None)
        accounts.set_active(user, True, actor=None)
        db.session.commit()

    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_only_the_sha256_hash_of_a_token_is_stored(app, make_user):
    token_id, raw = _new_token(app, make_user(Role.AUDITOR))

    with app.app_context():
        rows = db.session.execute(sa.text("SELECT * FROM api_token")).mappings().all()
    assert len(rows) == 1
    (row,) = rows
    assert row["id"] == token_id
    assert row["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert all(raw not in str(value) for value in row.values())
    assert len(row["prefix"]) < len(raw) // 2


def test_session_cookie_is_not_accepted_by_the_api(client, make_user, login):
    user_id = make_user(Role.ADMIN)
    login(user_id)
    assert client.get("/").status_code == 200  # the session itself works on the web UI

    assert_401(client.get("/api/v1/me"))
    assert_401(client.get("/api/v1/users"))
    assert_401(client.post("/api/v1/org-units", json={"name": "Sneaky", "kind": "site"}))


def test_using_a_token_records_last_used_at(app, client, make_user):
    token_id, raw = _new_token(app, make_user(Role.AUDITOR))
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is None

    before = datetime.now(UTC)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    with app.app_context():
        used = db.session.get(ApiToken, token_id).last_used_at
    assert used is not None
    assert before - timedelta(seconds=1) <= used <= datetime.now(UTC)


def test_refused_token_does_not_record_last_used_at(app, client, make_user):
    token_id, raw = _new_token(app, make_user(Role.AUDITOR))
    with app.app_context():
        accounts.revoke_token(db.session.get(ApiToken, token_id), actor=None)
        db.session.commit()

    client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is None


def test_me_returns_the_token_owner(client, make_user, make_unit, token_for):
    unit_id = make_unit("Claims handling")
    make_user(Role.ADMIN, email="someone.else@example.test")
    user_id = make_user(Role.AUDITEE, email="Pat.Auditee@Example.test", unit_id=unit_id)

    response = client.get("/api/v1/me", headers=token_for(user_id))

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == user_id
    assert body["email"] == "pat.auditee@example.test"
    assert body["role"] == "auditee"
    assert body["org_unit"] == {"id": unit_id, "name": "Claims handling"}
    assert body["active"] is True
    assert "password" not in body
    assert "password_hash" not in body


def test_me_without_org_unit(client, make_user, token_for):
    user_id = make_user(Role.VIEWER, email="viewer@example.test")

    body = client.get("/api/v1/me", headers=token_for(user_id)).get_json()

    assert body["email"] == "viewer@example.test"
    assert body["role"] == "viewer"
    assert body["org_unit"] is None
