"""The OpenAPI document's error answers, written once for every operation (an apispec plugin).

Routes document their successful answer (and any special refusal, such as the 409 of an edit conflict that
carries the saved version); this plugin adds the error answers the request pipeline gives, by what the
operation is, with the one error body every refusal shares (`ErrorSchema`):

- 400: the body cannot be read (not JSON, a broken multipart form) (operations that take a body);
- 401 (with WWW-Authenticate): no token, or an unknown, revoked or deactivated one (every operation but the
  public calculators);
- 403: the caller's role, or their relation to the audit, does not allow it (operations open to some roles only,
  and everything under an audit);
- 404: a record named in the path does not exist or is not visible (operations with path parameters);
- 409: a state or life-cycle rule refuses the change, or someone changed the record meanwhile (operations that
  change something);
- 413: the body is larger than the server accepts (operations that take a body);
- 422: input refused, either by the schema (field errors under `errors.json`, `errors.query` or `errors.form`)
  or by a business rule in the service (under `errors.json`) (operations that take input or change something);
- 429 (with Retry-After): this client, or everyone, sent too many failed tokens (every operation that checks a
  token).

No catch-all `default` answer is documented: an answer outside these codes is a defect (the API fuzz test,
tests/api/test_api_fuzz.py, checks every answer against this document).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields

from audit_app.api.fieldwork_schemas import ChecklistResponseStateSchema
from audit_app.api.schema_parts import ChangeSchema
from audit_app.authz import ALL_ROLES

#: Methods that change something.
CHANGES = frozenset({"post", "put", "patch", "delete"})
METHODS = CHANGES | {"get"}


class ErrorSchema(Schema):
    """Every error answer of the API (api/errors.py); some refusals add members a client acts on."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: refusals may carry more details

    code = fields.Int(required=True, metadata={"description": "The HTTP status code."})
    status = fields.Str(required=True, metadata={"description": "Its name, e.g. Unprocessable Entity."})
    message = fields.Str(required=True, metadata={"description": "What went wrong, for a person to act on."})
    errors = fields.Dict(
        keys=fields.Str(),
        metadata={
            "description": "Field errors by location (`json`, `query`, `form`, `files`), then by field: a list "
            "of messages (`_schema` for the body as a whole); for nested fields, an object of the same shape."
        },
    )
    reasons = fields.List(
        fields.Str(),
        metadata={"description": "409 on the team or scope: why the person would not be impartial."},
    )
    current = fields.Nested(
        ChecklistResponseStateSchema,
        metadata={"description": "409 on a checklist item saved meanwhile: what is saved now."},
    )
    missing = fields.List(
        fields.Str(),
        metadata={"description": "409 on issuing a report: everything still to do first, one sentence each."},
    )


_WWW_AUTHENTICATE = {
    "description": 'Bearer realm="aims-audit"',
    "schema": {"type": "string"},
}
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}

#: status code -> (component name, description, headers)
ERROR_RESPONSES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "The body cannot be read: not valid JSON, or a broken multipart form.", {}),
    401: (
        "Unauthorised",
        "No API token, or one that is unknown, revoked or belongs to a deactivated account "
        "(send `Authorization: Bearer <token>`).",
        {"WWW-Authenticate": _WWW_AUTHENTICATE},
    ),
    403: ("Forbidden", "The caller's role, or their part in the audit, does not allow this.", {}),
    404: ("NotFound", "A record named in the address does not exist, or is not visible to the caller.", {}),
    409: (
        "Conflict",
        "The record's state or life cycle refuses the change (the message says why), or someone changed it "
        "meanwhile: read it again and retry.",
        {},
    ),
    413: ("ContentTooLarge", "The body is larger than the server accepts.", {}),
    422: (
        "InputRefused",
        "The input is refused, by its shape or by a rule; `errors` names each field (under `json`, `query` or "
        "`form`) and `message` sums it up. Nothing was changed.",
        {},
    ),
    429: (
        "TooManyRequests",
        "Too many failed token authentications from this client (or from everyone): wait as Retry-After says.",
        {"Retry-After": _RETRY_AFTER},
    ),
}

#: The component names flask-smorest gives its own documentation of these codes (replaced by ours).
_FLASK_SMOREST_NAMES = {"BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "UNPROCESSABLE_ENTITY"}


class AuditApi(Api):
    """flask-smorest's Api with our error body and without a catch-all `default` answer (see ErrorResponses)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


class ErrorResponses(BasePlugin):
    """Adds the error answers to every operation, and `minProperties: 1` to change (PATCH) bodies."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for name, description, headers in ERROR_RESPONSES.values():
            response: dict[str, Any] = {
                "description": description,
                "content": {"application/json": {"schema": ErrorSchema}},
            }
            if headers:
                response["headers"] = headers
            spec.components.response(name, response, lazy=True)

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        if isinstance(schema_class, type) and issubclass(schema_class, ChangeSchema):
            return {"minProperties": 1}
        return None

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            if method not in METHODS:
                continue
            view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
            codes = _error_codes(path or "", method, operation, getattr(view, "required_roles", ALL_ROLES))
            responses = operation.setdefault("responses", {})
            for code in codes:
                current = responses.get(str(code), responses.get(code))
                if current is None or (isinstance(current, str) and current in _FLASK_SMOREST_NAMES):
                    responses.pop(code, None)
                    responses[str(code)] = ERROR_RESPONSES[code][0]


def _error_codes(path: str, method: str, operation: dict[str, Any], roles: tuple[Any, ...]) -> list[int]:
    public = operation.get("security") == []
    body = operation.get("requestBody")
    query = any(isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", []))
    changes = method in CHANGES
    codes = []
    if body is not None:
        codes.append(400)
    if not public:
        codes.append(401)
        if set(roles) != set(ALL_ROLES) or "{audit_id}" in path:
            codes.append(403)
    if "{" in path:
        codes.append(404)
    if changes:
        codes.append(409)
    if body is not None:
        codes.append(413)
    if not public and (body is not None or query or changes):
        codes.append(422)
    if not public:
        codes.append(429)
    return codes
