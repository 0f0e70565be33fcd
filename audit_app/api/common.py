"""Helpers shared by the API resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask_smorest import abort

from audit_app.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db


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
