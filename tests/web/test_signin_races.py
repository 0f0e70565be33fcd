"""Parallel wrong passwords cannot outrun the lock-out: each attempt is counted before its password is checked.

Real threads against the real database (SQLite file or PostgreSQL), each with its own test client, started together
by a barrier. The number of password checks is counted at `User.check_password` and in the answers: a checked
wrong password says "Wrong e-mail or password", an attempt refused by the lock says "The account is locked".
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Role, User
from tests.fixtures.accounts import PASSWORD

WRONG = "Wrong e-mail or password, or the account is deactivated."
LOCKED = "The account is locked"
EMAIL = "target@example.test"


@pytest.fixture
def config_overrides() -> dict:
    # Every test client comes from 127.0.0.1: with the per-client throttle on, it would stop the burst before the
    # lock-out is put to the test (tests/web/test_rate_limits.py covers the throttle).
    return {"AUTH_RATE_LIMIT_ENABLED": False}


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password checked against an account, in any thread."""
    checked: list[str] = []
    lock = threading.Lock()
    original = User.check_password

    def counting(self: User, password: str) -> bool:
        with lock:
            checked.append(password)
        return original(self, password)

    monkeypatch.setattr(User, "check_password", counting)
    return checked


def sign_in_in_parallel(app: Flask, passwords: list[str]) -> list[tuple[int, str]]:
    """Post the sign-in form once per password, all at once; return (status, page) in the same order."""
    barrier = threading.Barrier(len(passwords))

    def attempt(password: str) -> tuple[int, str]:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post("/auth/login", data={"email": EMAIL, "password": password})
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(attempt, passwords))


def stored(app: Flask) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == EMAIL))
        db.session.expunge(user)
        return user


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(app, make_user, password_checks):
    make_user(Role.AUDITOR, email=EMAIL)
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5

    answers = sign_in_in_parallel(app, [f"wrong guess number {n}" for n in range(40)])

    assert [status for status, _ in answers] == [401] * 40  # no 500, no 409
    checked = [page for _, page in answers if WRONG in page]
    refused_by_lock = [page for _, page in answers if LOCKED in page]
    assert len(checked) + len(refused_by_lock) == 40
    assert len(checked) == limit  # exactly the limit: the lock took effect at the limit-th wrong password
    assert len(password_checks) == limit
    user = stored(app)
    assert user.locked_until is not None
    assert user.failed_logins == 0  # the count starts again when the lock ends

    # While locked, even the right password is not checked.
    response = app.test_client().post("/auth/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 401
    assert LOCKED in response.get_data(as_text=True)
    assert len(password_checks) == limit


def test_parallel_wrong_passwords_below_the_limit_are_all_counted(app, make_user, password_checks):
    """No lost update: four wrong passwords at once leave a count of four, and one more locks the account."""
    make_user(Role.AUDITOR, email=EMAIL)

    answers = sign_in_in_parallel(app, [f"wrong guess number {n}" for n in range(4)])

    assert [status for status, _ in answers] == [401] * 4
    assert all(WRONG in page for _, page in answers)
    user = stored(app)
    assert user.failed_logins == 4
    assert user.locked_until is None

    fifth = app.test_client().post("/auth/login", data={"email": EMAIL, "password": "one more wrong guess"})
    assert fifth.status_code == 401
    assert stored(app).locked_until is not None
    assert len(password_checks) == 5


def test_the_right_password_among_parallel_wrong_ones_never_errs(app, make_user, password_checks):
    """A correct sign-in racing wrong guesses either wins (and resets the count) or meets the lock: never a 500."""
    make_user(Role.AUDITOR, email=EMAIL)

    answers = sign_in_in_parallel(app, [PASSWORD] + [f"wrong guess number {n}" for n in range(9)])

    statuses = [status for status, _ in answers]
    assert set(statuses) <= {302, 401}
    assert statuses.count(302) <= 1
    refusals = [page for status, page in answers if status == 401]
    assert all(WRONG in page or LOCKED in page for page in refusals)
    # However the requests interleaved, no more than the limit of wrong passwords was checked in a row.
    assert len(password_checks) <= 2 * app.config["LOGIN_MAX_FAILURES"]
