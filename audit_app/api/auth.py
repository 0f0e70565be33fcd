"""Bearer-token authentication for every API request (the API's own login gate), with the failed-token throttle."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, g, request

from audit_app.api.errors import http_error, unauthorised
from audit_app.authz import PUBLIC_ENDPOINTS
from audit_app.extensions import db, throttle
from audit_app.models import ApiToken, utcnow
from audit_app.services import accounts
from audit_app.throttle import Attempt, TooManyAttempts

#: Refresh a token's last-used time at most this often (avoid a write per request).
LAST_USED_GRANULARITY = timedelta(minutes=10)


def authenticate_bearer() -> Response | None:
    """Set g.actor from the Authorization header, or answer 401 (429 once failures spend a rate limit).

    Public endpoints need no token. A missing or malformed header is not counted: nothing was tried.
    """
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return unauthorised("Send an API token as 'Authorization: Bearer <token>'.")
    try:
        token = _resolve(raw.strip(), request.remote_addr)
    except TooManyAttempts as exc:
        return too_many(exc)
    if token is None:
        return unauthorised("The API token is unknown, revoked, or belongs to a deactivated account.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.commit()  # recorded even when the request itself is refused
    g.actor = token.user
    return None


def _resolve(raw: str, client: str | None) -> ApiToken | None:
    """The token, unless this client has failed too often; a failure counts against the client and everyone."""
    throttle.check_client(Attempt.API, client)
    token = accounts.active_token(raw)
    if token is None:
        throttle.count(Attempt.API, client)
    return token


def too_many(exc: TooManyAttempts) -> Response:
    """429 as JSON, with Retry-After."""
    response = http_error(exc)
    response.headers["Retry-After"] = str(exc.wait)
    return response
