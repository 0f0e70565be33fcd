"""The sign-in throttle: per client address and over all clients, 429 with Retry-After and a page that says why.

Each test gets an app of its own with small limits (config_overrides); the shared app's counters are emptied before
every test by tests/fixtures/accounts.py, so no count leaks from one test into another.
"""

from __future__ import annotations

import logging
import re

import limits.storage.memory
import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.errors import StorageError

import audit_app.throttle
from audit_app import create_app
from audit_app.config import DefaultConfig
from audit_app.extensions import db, throttle
from audit_app.models import Role, User
from audit_app.throttle import EXTENSION, client_of
from tests.fixtures.accounts import PASSWORD

WRONG = "Wrong e-mail or password, or the account is deactivated."
FROM_CLIENT = "Too many sign-in attempts from your network address."
FROM_EVERYONE = "Too many sign-in attempts on this service right now"


@pytest.fixture
def config_overrides() -> dict:
    return {"AUTH_RATE_LIMIT_PER_CLIENT": "3 per minute", "AUTH_RATE_LIMIT_GLOBAL": "5 per minute"}


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, address: str = "10.0.0.1"):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def spray(client: FlaskClient, count: int, address: str = "10.0.0.1") -> list[int]:
    """Guess a password for `count` accounts that do not exist (password spraying); return the statuses."""
    return [sign_in(client, f"guess{n}@example.test", "Winter2026!", address).status_code for n in range(count)]


def assert_throttled(response, message: str) -> int:
    """A 429 sign-in page with the message and a Retry-After of at most a minute; return the seconds."""
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(r"Wait \d+ (second|seconds|minute)\b", page)
    assert '<form method="post"' in page  # the sign-in page itself, to try again later
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    return wait


def test_defaults_are_on_with_memory_storage():
    assert DefaultConfig.AUTH_RATE_LIMIT_ENABLED is True
    assert DefaultConfig.AUTH_RATE_LIMIT_PER_CLIENT == "10 per minute"
    assert DefaultConfig.AUTH_RATE_LIMIT_GLOBAL == "100 per minute"
    assert DefaultConfig.AUTH_RATE_LIMIT_STORAGE_URI == "memory://"


def test_password_spraying_from_one_client_is_stopped(client):
    assert spray(client, 3) == [401, 401, 401]

    response = sign_in(client, "guess99@example.test", "Winter2026!")

    assert_throttled(response, FROM_CLIENT)


def test_a_throttled_attempt_checks_no_password(client, app, make_user):
    user_id = make_user(Role.AUDITOR, email="ann@example.test")
    spray(client, 3)

    response = sign_in(client, "ann@example.test")  # the right password

    assert_throttled(response, FROM_CLIENT)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.failed_logins == 0  # not counted against the account either
        assert user.last_login_at is None


def test_other_clients_still_sign_in(client, app, make_user):
    make_user(Role.AUDITOR, email="ann@example.test")
    spray(client, 4)

    other = app.test_client()
    assert sign_in(other, "ann@example.test", address="10.0.0.2").status_code == 302


def test_a_successful_sign_in_counts_as_an_attempt(client, app, make_user):
    """Counting every attempt before its check keeps the limit exact under parallel requests (nothing to refund)."""
    make_user(Role.AUDITOR, email="ann@example.test")
    for _ in range(3):
        assert sign_in(app.test_client(), "ann@example.test").status_code == 302

    assert_throttled(sign_in(app.test_client(), "ann@example.test"), FROM_CLIENT)


def test_an_ipv6_host_cannot_dodge_the_limit_by_changing_address(client):
    """One IPv6 host holds a whole /64: its addresses share one budget; another /64 has its own."""
    statuses = [spray(client, 1, address=f"2001:db8:1:2::{n}")[0] for n in range(1, 4)]
    assert statuses == [401, 401, 401]

    assert_throttled(sign_in(client, "guess@example.test", "Winter2026!", "2001:db8:1:2:ffff::1"), FROM_CLIENT)
    assert sign_in(client, "guess@example.test", "Winter2026!", "2001:db8:1:3::1").status_code == 401


@pytest.mark.parametrize(
    ("address", "client_key"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_the_client_of_an_address(address, client_key):
    assert client_of(address) == client_key


def test_the_sign_in_page_itself_is_not_throttled(client):
    spray(client, 4)

    assert client.get("/auth/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_an_incomplete_form_is_not_an_attempt(client):
    for _ in range(5):
        response = client.post("/auth/login", data={"email": "x@example.test", "password": ""})
        assert response.status_code == 400

    assert spray(client, 3) == [401, 401, 401]


def test_spraying_from_many_addresses_meets_the_global_limit(client, app, make_user):
    """Trade-off: while the global limit is spent nobody signs in, not even a real user from a fresh address."""
    make_user(Role.AUDITOR, email="ann@example.test")
    statuses = [spray(client, 1, address=f"10.0.1.{n}")[0] for n in range(5)]
    assert statuses == [401] * 5

    assert_throttled(sign_in(client, "guess@example.test", "Winter2026!", "10.0.2.1"), FROM_EVERYONE)
    assert_throttled(sign_in(app.test_client(), "ann@example.test", address="10.0.2.2"), FROM_EVERYONE)


def test_a_signed_in_session_is_not_affected_by_the_throttle(client, app, make_user, login):
    login(make_user(Role.AUDITOR))
    spray(app.test_client(), 10)

    assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


class Clock:
    """A stand-in for the `time` module of the counters' store and the throttle: time moves when the test says."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "config_overrides", [{"AUTH_RATE_LIMIT_PER_CLIENT": "2 per minute", "AUTH_RATE_LIMIT_GLOBAL": ""}]
)
def test_the_limit_recovers_after_the_retry_after_time(client, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    monkeypatch.setattr(audit_app.throttle, "time", clock)
    assert spray(client, 2) == [401, 401]
    clock.now += 15
    wait = assert_throttled(sign_in(client, "guess@example.test", "Winter2026!"), FROM_CLIENT)
    assert wait == 46  # until the first attempt has left the one-minute window

    clock.now += wait - 1
    assert_throttled(sign_in(client, "guess@example.test", "Winter2026!"), FROM_CLIENT)
    clock.now += 1
    assert sign_in(client, "guess@example.test", "Winter2026!").status_code == 401


@pytest.mark.parametrize("config_overrides", [{"AUTH_RATE_LIMIT_ENABLED": False}])
def test_the_throttle_can_be_turned_off(client):
    assert set(spray(client, 12)) == {401}


def test_a_failing_store_lets_sign_in_go_on_and_logs_it(client, app, make_user, monkeypatch, caplog):
    make_user(Role.AUDITOR, email="ann@example.test")

    def broken(*_args, **_kwargs):
        raise StorageError(ConnectionError("the rate-limit store is down"))

    monkeypatch.setattr(app.extensions[EXTENSION].strategy, "hit", broken)
    with caplog.at_level(logging.ERROR, logger="audit_app.throttle"):
        assert spray(client, 5) == [401] * 5
        assert sign_in(client, "ann@example.test").status_code == 302
    assert "the rate-limit store failed" in caplog.text


@pytest.mark.parametrize("setting", ["AUTH_RATE_LIMIT_PER_CLIENT", "AUTH_RATE_LIMIT_GLOBAL"])
def test_a_malformed_limit_is_refused_at_start_up(database_url, tmp_path, setting):
    with pytest.raises(ValueError, match=f"{setting} = 'ten a minute' is not a rate limit"):
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                setting: "ten a minute",
            }
        )


def test_reset_forgets_every_count(client, app: Flask):
    spray(client, 4)
    with app.app_context():
        throttle.reset()

    assert sign_in(client, "guess@example.test", "Winter2026!").status_code == 401


@pytest.mark.parametrize(
    "config_overrides",
    [{"AUTH_RATE_LIMIT_PER_CLIENT": "3 per minute", "AUTH_RATE_LIMIT_GLOBAL": "50 per minute", "PROXY_FIX_X_FOR": 1}],
)
def test_behind_a_proxy_each_client_is_counted_by_its_forwarded_address(client):
    """With PROXY_FIX_X_FOR set, the proxy's own address is not what the throttle counts."""

    def through_proxy(forwarded_for: str) -> int:
        return client.post(
            "/auth/login",
            data={"email": "guess@example.test", "password": "Winter2026!"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code

    assert [through_proxy("203.0.113.7") for _ in range(4)] == [401, 401, 401, 429]
    assert through_proxy("198.51.100.23") == 401  # another client behind the same proxy is not throttled
