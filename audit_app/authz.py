"""Who may reach what: the login gate and the roles each endpoint declares.

Object-level rules (which audit, which record) live in services/access.py; this module only knows accounts.
Faces that authenticate their own way (the API's bearer tokens) register their blueprints here, set the
actor on `g`, and the session login gate leaves them alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, g, request
from flask_login import current_user

from audit_app.extensions import login_manager
from audit_app.models import Role, User
from audit_app.services import access

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints reachable without signing in. Everything else is denied by default.
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "static",
        "api-docs.openapi_json",
        # Pure calculators integrators rely on; they touch no data.
        "api_sampling.attribute_size",
        "api_sampling.upper_limit",
    }
)

ALL_ROLES: tuple[Role, ...] = tuple(Role)
STAFF = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)
ADMIN_ONLY = (Role.ADMIN,)
#: Roles that plan and manage programmes and audits (object rules narrow this further).
PLANNERS = access.PLANNERS
#: Roles that record fieldwork (object rules: on the audit team with an auditing role, during fieldwork).
WORKERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR)

#: Blueprints whose requests authenticate themselves (they set g.actor before any view runs).
_SELF_AUTHENTICATING: set[str] = set()


def authenticates_itself(blueprint_name: str) -> None:
    """Exempt a blueprint from the session login gate: it authenticates its own requests."""
    _SELF_AUTHENTICATING.add(blueprint_name)


def get_actor() -> User:
    """The signed-in user: the one a face authenticated (API token), else the session's."""
    actor: User | None = g.get("actor")
    if actor is not None:
        return actor
    return current_user._get_current_object()


def require_role(*roles: Role) -> Callable[[F], F]:
    """Allow signed-in users holding one of `roles`; no roles means every signed-in user."""
    allowed = tuple(roles) or ALL_ROLES

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if get_actor().role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = allowed  # type: ignore[attr-defined]  # read by the matrix test
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Mark a view as reachable without signing in (it must also be in PUBLIC_ENDPOINTS)."""
    view.required_roles = ()  # type: ignore[attr-defined]
    return view


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    from audit_app.services import accounts

    return accounts.user_for_session(session_id)


def init_app(app: Flask) -> None:
    @app.before_request
    def _require_login() -> Any:
        if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.blueprint in _SELF_AUTHENTICATING:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None
