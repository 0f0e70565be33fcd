"""Marshmallow schemas for the corrective-action side of a finding: the plan of the cycle, its actions, and the
implementation evidence. Shapes only; services/findings/capa.py holds the rules."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import ChangeSchema, Id, enum_field
from audit_app.models import RcaMethod

PART = validate.Length(max=16000)


class PlanInputSchema(Schema):
    """The whole plan of the current cycle (PUT replaces it: send every part, empty text for those not written)."""

    correction = Text(required=True, validate=PART, metadata={"description": "What was done about this instance."})
    rca_method = enum_field(RcaMethod, required=True, allow_none=True)
    rca_analysis = Text(required=True, validate=PART, metadata={"description": "The analysis in its method's shape."})
    root_cause = Text(required=True, validate=PART)
    extent_check = Text(
        required=True, validate=PART, metadata={"description": "Can the same cause exist elsewhere? What was found."}
    )


class ActionInputSchema(Schema):
    description = Text(required=True, validate=validate.Length(max=4000))
    owner_id = Id(required=True, metadata={"description": "The action's owner (an active account)."})
    due_on = fields.Date(required=True, metadata={"description": "Not in the past, at most three years ahead."})


class ActionChangeSchema(ChangeSchema):
    """A change to a planned action: fields left out keep their value."""

    description = Text(validate=validate.Length(max=4000))
    owner_id = Id()
    due_on = fields.Date()


class CancelSchema(Schema):
    reason = Text(required=True, validate=validate.Length(max=2000), metadata={"description": "Why it is dropped."})


class ImplementationSchema(Schema):
    note = Text(
        required=True,
        validate=validate.Length(max=8000),
        metadata={"description": "What was done, and where the evidence is."},
    )


class ImplementationFormSchema(Schema):
    """The multipart form: the note (optional when a file is attached) and one or more `file` parts."""

    note = Text(load_default="", validate=validate.Length(max=8000))


class ImplementationUploadSchema(ImplementationFormSchema):
    file = Upload(metadata={"description": "Implementation evidence (one or more `file` parts)."})
