"""Helpers shared by the API resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask_smorest import abort

from audit_app.authz import get_actor
from audit_app.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit
from audit_app.services import access
from audit_app.services.access import Need


def fail(exc: DomainError) -> NoReturn:
    """Roll back and answer with the domain error as JSON."""
    db.session.rollback()
    if isinstance(exc, ValidationFailed):
        abort(422, message=str(exc), errors={"json": exc.errors})
    if isinstance(exc, NotFound):
        abort(404, message=str(exc))
    if isinstance(exc, NotAllowed):
        abort(403, message=str(exc))
    if isinstance(exc, Conflict):
        abort(409, message=str(exc))
    abort(400, message=str(exc))


def run(action: Callable[[], Any]) -> Any:
    """Run a service call, commit, and turn domain errors into JSON errors."""
    try:
        result = action()
    except DomainError as exc:
        fail(exc)
    db.session.commit()
    return result


def guard(action: Callable[[], Any]) -> Any:
    """Run a read or a check; domain errors become JSON errors."""
    try:
        return action()
    except DomainError as exc:
        fail(exc)


def load_audit(audit_id: int) -> Audit:
    """The audit if the caller may see it; 404 otherwise."""
    return guard(lambda: access.load_audit(get_actor(), audit_id))


def viewable_audit(audit_id: int) -> Audit:
    """The audit, if the caller may see its working papers (team and admins; 403 otherwise)."""
    audit = load_audit(audit_id)
    guard(lambda: access.ensure(get_actor(), audit, Need.WORKING_PAPERS))
    return audit


def workable_audit(audit_id: int) -> Audit:
    """The audit, if the caller may record fieldwork on it now (checked before any input is read)."""
    audit = load_audit(audit_id)
    guard(lambda: access.ensure(get_actor(), audit, Need.WORK))
    return audit
