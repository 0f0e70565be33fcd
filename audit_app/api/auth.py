"""Bearer-token authentication for every API request (the API's own login gate)."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, g, request

from audit_app.api.errors import unauthorised
from audit_app.authz import PUBLIC_ENDPOINTS
from audit_app.extensions import db
from audit_app.models import utcnow
from audit_app.services import accounts

#: Refresh a token's last-used time at most this often (avoid a write per request).
LAST_USED_GRANULARITY = timedelta(minutes=10)


def authenticate_bearer() -> Response | None:
    """Set g.actor from the Authorization header, or answer 401 (public endpoints need no token)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return unauthorised("Send an API token as 'Authorization: Bearer <token>'.")
    token = accounts.active_token(raw.strip())
    if token is None:
        return unauthorised("The API token is unknown, revoked, or belongs to a deactivated account.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.commit()  # recorded even when the request itself is refused
    g.actor = token.user
    return None
