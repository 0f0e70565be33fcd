"""User accounts (administrators only)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.common import saved
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.api.schemas import UserCreateSchema, UserSchema, UserUpdateSchema
from audit_app.authz import ADMIN_ONLY, get_actor, require_role
from audit_app.models import User
from audit_app.services import accounts

blp = Blueprint("api_users", __name__, url_prefix="/users", description="User accounts (admin)")


@blp.route("")
@require_role(*ADMIN_ONLY)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, UserSchema(many=True), headers=PAGE_HEADERS)
def list_users(query: dict[str, Any]) -> Paged[User]:
    """List every account, active or not, by e-mail address.

    Paged: `page` and `per_page` (at most 100); the total is in `X-Total-Count`, the other pages in `Link`.
    """
    return paged(accounts.users_page(page_request(query)))


@blp.route("", methods=["POST"])
@require_role(*ADMIN_ONLY)
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data: dict[str, Any]) -> User:
    """Create an account."""
    password = data.pop("password")
    return saved(accounts.create_user(accounts.UserData(**data), password, actor=get_actor()))


@blp.route("/<int:user_id>")
@require_role(*ADMIN_ONLY)
@blp.response(200, UserSchema)
def get_user(user_id: int) -> User:
    """Return one account."""
    return accounts.get_user(user_id)


@blp.route("/<int:user_id>", methods=["PATCH"])
@require_role(*ADMIN_ONLY)
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(data: dict[str, Any], user_id: int) -> User:
    """Change name, role, org unit or active flag."""
    user, actor = accounts.get_user(user_id), get_actor()
    accounts.update_user(
        user,
        name=data.get("name", user.name),
        role=data.get("role", user.role),
        org_unit_id=data.get("org_unit_id", user.org_unit_id),
        actor=actor,
    )
    if "active" in data:
        accounts.set_active(user, data["active"], actor=actor)
    return saved(user)
