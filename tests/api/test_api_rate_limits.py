"""The failed-token throttle on /api/v1: 429 as JSON with Retry-After, per client address and over all clients.

Only failed authentications count (an unknown, revoked or deactivated account's token); a client over its limit is
refused before its token is looked up; the global limit turns further failures into 429s but never refuses a
working token (a token cannot be guessed, and bad tokens from many addresses must not switch the API off).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from audit_app.models import Role

FROM_CLIENT = "Too many failed API token authentications from your address."
FROM_EVERYONE = "Too many failed API token authentications on this service right now."


@pytest.fixture
def config_overrides() -> dict:
    return {"AUTH_RATE_LIMIT_PER_CLIENT": "3 per minute", "AUTH_RATE_LIMIT_GLOBAL": "5 per minute"}


def me(client: FlaskClient, token: str, address: str = "10.0.0.1"):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": address})


def bad_tokens(client: FlaskClient, count: int, address: str = "10.0.0.1") -> list[int]:
    return [me(client, f"aims_guess{n}", address).status_code for n in range(count)]


def assert_429(response, message: str) -> None:
    assert response.status_code == 429
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 429
    assert body["status"] == "Too Many Requests"
    assert body["message"].startswith(message)
    assert "Retry after" in body["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@pytest.fixture
def valid(make_user, token_for) -> str:
    return token_for(make_user(Role.AUDITOR))["Authorization"].removeprefix("Bearer ")


def test_failed_tokens_from_one_client_are_throttled(client):
    assert bad_tokens(client, 3) == [401, 401, 401]

    assert_429(me(client, "aims_guess99"), FROM_CLIENT)


def test_a_throttled_client_is_refused_even_with_a_working_token(client, valid):
    bad_tokens(client, 3)

    assert_429(me(client, valid), FROM_CLIENT)
    assert me(client, valid, address="10.0.0.2").status_code == 200  # other clients are not affected


def test_working_tokens_are_never_counted(client, valid):
    assert {me(client, valid).status_code for _ in range(12)} == {200}
    assert bad_tokens(client, 3) == [401, 401, 401]


def test_missing_or_malformed_headers_are_not_counted(client):
    for header in ("", "Basic abc", "Bearer ", "Token x"):
        for _ in range(3):
            response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
            assert response.status_code == 401
    assert bad_tokens(client, 3) == [401, 401, 401]


def test_failures_from_many_addresses_meet_the_global_limit_but_working_tokens_go_on(client, valid):
    assert [bad_tokens(client, 1, address=f"10.0.1.{n}")[0] for n in range(5)] == [401] * 5

    assert_429(me(client, "aims_guess", address="10.0.2.1"), FROM_EVERYONE)
    assert me(client, valid, address="10.0.2.2").status_code == 200


def test_429_carries_the_security_headers(client):
    bad_tokens(client, 3)

    response = me(client, "aims_guess")
    assert response.status_code == 429
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("config_overrides", [{"AUTH_RATE_LIMIT_ENABLED": False}])
def test_the_throttle_can_be_turned_off(client):
    assert set(bad_tokens(client, 12)) == {401}
