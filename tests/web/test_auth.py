"""Sign-in through the real form, lockout, safe redirects, sign-out, deactivation and password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from audit_app.config import DefaultConfig
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Role, User, utcnow
from audit_app.services import accounts
from tests.fixtures.accounts import PASSWORD

WRONG = "Wrong e-mail or password, or the account is deactivated."
NEW_PASSWORD = "a much longer new passphrase"


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None):
    query = {"next": next_url} if next_url is not None else None
    return client.post("/auth/login", query_string=query, data={"email": email, "password": password})


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    return False


@pytest.fixture
def auditor(make_user) -> tuple[int, str]:
    email = "ann.auditor@example.test"
    return make_user(Role.AUDITOR, email=email), email


def test_login_form_signs_in_and_redirects_to_dashboard(client, auditor):
    _, email = auditor
    assert client.get("/auth/login").status_code == 200
    response = sign_in(client, email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as Test auditor." in page


def test_login_records_last_sign_in(client, app, auditor):
    user_id, email = auditor
    sign_in(client, email)
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_message(client, auditor):
    _, email = auditor
    wrong = sign_in(client, email, "not the password at all")
    unknown = sign_in(client, "nobody@example.test")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert WRONG in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_an_unknown_account_costs_a_password_check_like_a_wrong_password(client, auditor, monkeypatch):
    """So the time an answer takes does not tell which e-mail addresses have accounts."""
    _, email = auditor
    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: checks.append("decoy") or real(*a))
    monkeypatch.setattr(User, "check_password", lambda self, pw: checks.append("account") or False)
    sign_in(client, email, "not the password at all")
    sign_in(client, "nobody@example.test")
    assert checks == ["account", "decoy"]


def test_empty_login_form_is_a_bad_request(client):
    response = client.post("/auth/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_account_locks_after_max_failures_and_unlocks_later(client, app, auditor):
    user_id, email = auditor
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    for _ in range(5):
        assert sign_in(client, email, "guessing wrong again").status_code == 401

    refused = sign_in(client, email)  # even the right password
    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert "The account is locked; try again in 15 minutes" in page
    assert not is_signed_in(client)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()

    response = sign_in(client, email)
    assert response.status_code == 302
    assert is_signed_in(client)
    with app.app_context():
        assert db.session.get(User, user_id).locked_until is None


def test_fewer_failures_than_the_limit_do_not_lock(client, auditor):
    _, email = auditor
    for _ in range(4):
        sign_in(client, email, "guessing wrong again")
    assert sign_in(client, email).status_code == 302


def test_email_is_case_insensitive(client, auditor):
    _, email = auditor
    response = sign_in(client, "  " + email.upper() + " ")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_next_with_local_path_is_followed(client, auditor):
    _, email = auditor
    response = sign_in(client, email, next_url="/library/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/library/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "https:evil.example", "javascript:alert(1)"],
)
def test_next_to_another_site_goes_to_dashboard(client, auditor, target):
    _, email = auditor
    response = sign_in(client, email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in(client, make_user):
    make_user(Role.AUDITOR, email="gone@example.test", active=False)
    response = sign_in(client, "gone@example.test")
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_deactivation_ends_an_existing_session(client, app, auditor):
    user_id, email = auditor
    sign_in(client, email)
    assert is_signed_in(client)
    with app.app_context():
        accounts.set_active(db.session.get(User, user_id), False, actor=None)
        db.session.commit()
    assert not is_signed_in(client)


def test_logout_needs_post_and_ends_the_session(client, auditor):
    _, email = auditor
    sign_in(client, email)
    assert client.get("/auth/logout").status_code == 405
    assert is_signed_in(client)

    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not is_signed_in(client)


def test_a_copied_session_cookie_is_refused_after_sign_out(client, app, auditor):
    """Sign-out ends the session on the server: a copy of the cookie (stolen, or kept by a shared computer) is dead."""
    _, email = auditor
    sign_in(client, email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert is_signed_in(copy)

    assert client.post("/auth/logout").status_code == 302

    assert not is_signed_in(client)
    assert not is_signed_in(copy)


def test_sign_out_ends_the_other_sessions_too(client, app, auditor):
    """Sign-out is 'sign out everywhere': sessions are cookies, and only a new session version refuses one."""
    _, email = auditor
    other = app.test_client()
    assert sign_in(other, email).status_code == 302
    assert sign_in(client, email).status_code == 302

    response = client.post("/auth/logout", follow_redirects=True)

    assert "You have signed out, in this browser and everywhere else you were signed in." in response.get_data(
        as_text=True
    )
    assert not is_signed_in(other)
    assert sign_in(other, email).status_code == 302  # signing in again works as before
    assert is_signed_in(other)


def test_sign_out_leaves_api_tokens_working(client, app, auditor, token_for):
    user_id, email = auditor
    headers = token_for(user_id)
    sign_in(client, email)

    client.post("/auth/logout")

    assert client.get("/api/v1/me", headers=headers).status_code == 200


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/auth/password",
        data={"current_password": current, "password": new, "confirm": new if confirm is None else confirm},
    )


def _hash(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).password_hash


def test_password_change_with_wrong_current_password(client, app, auditor):
    user_id, email = auditor
    sign_in(client, email)
    before = _hash(app, user_id)
    response = change_password(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)
    assert _hash(app, user_id) == before


def test_password_change_refuses_short_password(client, app, auditor):
    user_id, email = auditor
    sign_in(client, email)
    before = _hash(app, user_id)
    response = change_password(client, PASSWORD, "short pw 1")
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    assert _hash(app, user_id) == before


def test_password_change_refuses_mismatched_confirmation(client, app, auditor):
    user_id, email = auditor
    sign_in(client, email)
    before = _hash(app, user_id)
    response = change_password(client, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert response.status_code == 400
    assert "The two passwords differ." in response.get_data(as_text=True)
    assert _hash(app, user_id) == before


def test_password_change_signs_out_other_sessions(client, app, auditor):
    _, email = auditor
    other = app.test_client()
    assert sign_in(other, email).status_code == 302
    assert sign_in(client, email).status_code == 302

    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)  # the session that changed it stays signed in
    assert not is_signed_in(other)

    fresh = app.test_client()
    assert sign_in(fresh, email, PASSWORD).status_code == 401
    assert sign_in(fresh, email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pw 1", "Use at least 12 characters."),
        (" padded passphrase ", "Do not start or end the password with spaces."),
        ("ann.auditor.long", "Do not use your e-mail address or name as the password."),
        ("abababababababab", "Use more than three different characters."),
    ],
)
def test_password_rules(app_ctx, password, message):
    with pytest.raises(ValidationFailed) as caught:
        accounts.check_password_rules(password, email="ann.auditor.long@example.test", name="Ann")
    assert message in caught.value.errors["password"]


def test_password_rules_accept_a_passphrase(app_ctx):
    accounts.check_password_rules(NEW_PASSWORD, email="ann@example.test", name="Ann")


@pytest.mark.parametrize("config_overrides", [{"PASSWORD_HASH_METHOD": DefaultConfig.PASSWORD_HASH_METHOD}])
def test_no_plaintext_password_is_stored(app, auditor):
    """With the production setting (the suite itself uses a cheap hash): scrypt, never the password."""
    user_id, _ = auditor
    stored = _hash(app, user_id)
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored
