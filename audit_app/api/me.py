"""The signed-in user."""

from __future__ import annotations

from flask_smorest import Blueprint

from audit_app.api.schemas import UserSchema
from audit_app.authz import get_actor, require_role
from audit_app.models import User

blp = Blueprint("api_me", __name__, url_prefix="/me", description="The user the token belongs to")


@blp.route("")
@require_role()
@blp.response(200, UserSchema)
def me() -> User:
    """Return the user the bearer token belongs to."""
    return get_actor()
