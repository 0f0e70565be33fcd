"""What several API resources share: reading a body after the access check, answering with what was saved,
and refusals with details.

Domain errors need nothing here: services raise them and the pipeline answers them as JSON (api/errors.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema

from audit_app.extensions import db
from audit_app.services.fieldwork import evidence as evidence_service

T = TypeVar("T")


def parse_body(schema: Schema, location: str = "json") -> dict[str, Any]:
    """The request body, read once the caller is authorized (422 naming the fields when it is malformed).

    Routes that check access before reading their input call this instead of `@blp.arguments`, which would
    read the body before the route runs.
    """
    data: dict[str, Any] = Blueprint.ARGUMENTS_PARSER.parse(schema, location=location)
    return data


def saved(result: T) -> T:
    """`result`, with every record read back as the database now holds it, for the schema to dump.

    A change answers with the state the client would get from its next GET: lists in their stored order,
    defaults and timestamps filled in, relationships following changed ids. The pipeline commits afterwards.
    """
    db.session.flush()
    db.session.expire_all()
    return result


def conflict(message: str, **details: Any) -> Response:
    """A 409 shaped like every API error, with members the client acts on (the pipeline rolls back).

    For refusals whose details are the point: the saved version of an edited item, or why someone is not
    impartial.
    """
    response = jsonify(code=409, status="Conflict", message=message, **details)
    response.status_code = 409
    return response


def uploaded_files() -> list[tuple[str, bytes]]:
    """The `file` parts as (name as sent, content), each read no further than one byte past the size limit."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    return [
        (
            evidence_service.name_as_sent(part.filename, part.headers.get("Content-Disposition")),
            part.stream.read(limit + 1),
        )
        for part in request.files.getlist("file")
    ]
