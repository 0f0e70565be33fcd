"""The API face of the request pipeline: every error answered as JSON.

`{"code": 422, "status": "Unprocessable Entity", "message": "…", "errors": {…}}` — the same mapping of domain
errors as the web (403, 404, 409), except that input a rule refuses is 422 with the field errors under "json".
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from audit_app import pipeline
from audit_app.errors import DomainError, ValidationFailed

#: Every API address starts here (requests that match no route are answered as JSON too).
PREFIX = "/api/"


def _body(code: int, message: str, errors: Any = None, details: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    body.update(details or {})
    response = jsonify(body)
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="aims-audit"'
    return response


def http_error(exc: HTTPException) -> Response:
    """An HTTP error (flask-smorest's input validation included) with a message a person can act on."""
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message") or exc.description or ""
    if exc.code in (400, 422) and errors and not data.get("message"):
        flat = [
            f"{name}: {'; '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for location in errors.values()
            if isinstance(location, dict)
            for name, msgs in location.items()
        ]
        flat += [str(msg) for location in errors.values() if isinstance(location, list) for msg in location]
        message = "Invalid input. " + " ".join(flat)
    response = _body(exc.code or 500, message, errors)
    allow = exc.get_response().headers.get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def render(exc: Exception, status: int) -> Response:
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if isinstance(exc, ValidationFailed):
        return _body(422, str(exc), {"json": exc.errors} if exc.errors else None)
    if isinstance(exc, DomainError):
        return _body(status, str(exc), details=exc.details)
    return _body(500, "Something went wrong on our side; the error has been logged.")


def unauthorised(message: str) -> Response:
    return _body(401, message)


def owns(blueprints: frozenset[str]) -> bool:
    """API requests: routed to an API blueprint, or (matching no route) under the API's address."""
    if request.blueprint is not None:
        return request.blueprint in blueprints
    return request.path.startswith(PREFIX)


def init_app(app: Flask, blueprints: frozenset[str]) -> None:
    pipeline.add_face(app, pipeline.Face("api", lambda: owns(blueprints), render))
