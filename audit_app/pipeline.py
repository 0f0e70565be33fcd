"""The request pipeline: one transaction per request, and every error turned into a response in one place.

Every view runs inside `transactional`: when it returns a success (status below 400) the request's single
commit happens here; anything else is rolled back. Errors are mapped once: a DomainError raised by a service,
an HTTP error, an ORM concurrency error or an unexpected failure rolls back and is answered by the *face* the
request belongs to — the API's JSON or the web's pages — so routes read load, authorize, act, render.

Route ids are bounded (`BoundedInt`): an id no database column can hold is simply not found, never a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from audit_app.errors import ChangedMeanwhile, Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.services.access import MAX_ID

logger = logging.getLogger(__name__)

#: How each domain error answers, unless a face says otherwise (the API answers ValidationFailed with 422).
STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotAllowed, 403),
    (NotFound, 404),
    (ValidationFailed, 400),
    (Conflict, 409),
)


def status_for(exc: DomainError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


@dataclass(frozen=True)
class Face:
    """One way of answering: which requests it owns and how it renders an error."""

    name: str
    owns: Callable[[], bool]
    #: (the error, the HTTP status) -> the response
    render: Callable[[Exception, int], ResponseReturnValue]


class BoundedInt(IntegerConverter):
    """`<int:...>` route parts from 1 up to the largest id every supported database can store.

    The bound is in the pattern itself: a number past it matches no route, so it is not found (404) whatever the
    method. (Refused only when converted, it would make werkzeug answer 405 for every method but the first route's.)
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
        self.regex = up_to(self.max if self.max is not None else MAX_ID)


def up_to(limit: int) -> str:
    """A regular expression for the whole numbers from 0 to `limit` (leading zeros allowed, as int() reads them)."""
    digits = str(limit)
    shorter = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    lower_at = [
        digits[:i] + f"[0-{int(d) - 1}]" + (f"[0-9]{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i, d in enumerate(digits)
        if d != "0"
    ]
    return "0*(?:" + "|".join([*shorter, *lower_at, digits]) + ")"


def add_face(app: Flask, face: Face, *, default: bool = False) -> None:
    """Register a face; the default answers requests no other face owns."""
    faces: list[Face] = app.extensions.setdefault("pipeline.faces", [])
    if default:
        faces.append(face)
    else:
        faces.insert(0, face)


def _face() -> Face:
    faces: list[Face] = current_app.extensions["pipeline.faces"]
    return next((f for f in faces if f.owns()), faces[-1])


def _status_of(response: Response) -> int:
    return response.status_code


def transactional(view: Callable[..., Any]) -> Callable[..., Response]:
    """Run a view; commit if it answered with success, roll back otherwise (the request's one commit)."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Response:
        response = current_app.make_response(view(*args, **kwargs))
        if _status_of(response) < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    return run


def _domain_error(exc: DomainError) -> ResponseReturnValue:
    db.session.rollback()
    return _face().render(exc, status_for(exc))


def _concurrent_change(exc: Exception) -> ResponseReturnValue:
    """Two requests wrote the same rows at once and the database kept the first: say so, keep nothing."""
    db.session.rollback()
    logger.warning("concurrent change refused on %s: %s", request.path, exc)
    return _face().render(ChangedMeanwhile(), 409)


def _operational_error(exc: OperationalError) -> ResponseReturnValue:
    db.session.rollback()
    if "locked" in str(exc.orig).lower() or "deadlock" in str(exc.orig).lower():
        return _concurrent_change(exc)
    return _unexpected(exc)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    db.session.rollback()
    return _face().render(exc, exc.code or 500)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    logger.exception("unhandled error on %s", request.path)
    db.session.rollback()
    return _face().render(exc, 500)


def init_app(app: Flask) -> None:
    """Bound the route ids (before any blueprint adds its routes); `complete` does the rest at the end."""
    app.url_map.converters["int"] = BoundedInt


def complete(app: Flask) -> None:
    """Map every error (replacing flask-smorest's handlers) and give every view the request transaction."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(IntegrityError, _concurrent_change)
    app.register_error_handler(StaleDataError, _concurrent_change)
    app.register_error_handler(OperationalError, _operational_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "_transactional", False):
            wrapped = transactional(view)
            wrapped._transactional = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
