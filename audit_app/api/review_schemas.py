"""Marshmallow schemas for management reviews. Shapes only; services/reviews holds the rules."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import Id, NamedRefSchema, enum_field
from audit_app.models.review import ManagementReview, ReviewActionStatus, ReviewStatus
from audit_app.services.reviews.inputs import INPUT_CODES, INPUT_LABELS, INPUT_LINKS, coverage_sentence, missing_inputs

REVISION = fields.Int(
    load_default=None,
    allow_none=True,
    validate=validate.Range(min=1, max=2**31 - 1),
    metadata={"description": "The revision read; a stale one is refused with 409."},
)


class ReviewLinkSchema(Schema):
    label = fields.Str(dump_only=True)
    path = fields.Str(dump_only=True)


class ReviewInputSchema(Schema):
    code = fields.Str(dump_only=True)
    label = fields.Str(dump_only=True)
    considered = fields.Bool(dump_only=True)
    summary = fields.Str(dump_only=True)
    links = fields.List(
        fields.Nested(ReviewLinkSchema), dump_only=True, metadata={"description": "Where the app holds it."}
    )


class ReviewActionSchema(Schema):
    id = fields.Int(dump_only=True)
    review_id = fields.Int(dump_only=True)
    description = fields.Str(dump_only=True)
    owner = fields.Nested(NamedRefSchema, dump_only=True)
    due_on = fields.Date(dump_only=True)
    status = enum_field(ReviewActionStatus, dump_only=True)
    completed_on = fields.Date(dump_only=True, allow_none=True)
    completion_note = fields.Str(dump_only=True, metadata={"description": "The completion note or cancel reason."})
    revision = fields.Int(dump_only=True)


class ReviewSchema(Schema):
    """A review with whether every required input (9.3.2) was covered."""

    id = fields.Int(dump_only=True)
    title = fields.Str(dump_only=True)
    held_on = fields.Date(dump_only=True, metadata={"description": "Planned date, or the day it was held."})
    status = enum_field(ReviewStatus, dump_only=True)
    attendees = fields.Str(dump_only=True)
    decisions = fields.Str(dump_only=True)
    notes = fields.Str(dump_only=True)
    held_recorded_at = fields.DateTime(dump_only=True, allow_none=True)
    all_inputs_covered = fields.Bool(dump_only=True)
    missing_inputs = fields.List(fields.Str(), dump_only=True)
    coverage = fields.Str(dump_only=True, metadata={"description": "The coverage in words."})
    revision = fields.Int(dump_only=True)

    @pre_dump
    def _flatten(self, review: ManagementReview, **kwargs: Any) -> dict[str, Any]:
        plain = {n: getattr(review, n) for n in self.fields if hasattr(ManagementReview, n)}
        missing = missing_inputs(review)
        return {
            **plain,
            "all_inputs_covered": not missing,
            "missing_inputs": missing,
            "coverage": coverage_sentence(review),
        }


def inputs_of(review: ManagementReview) -> list[dict[str, Any]]:
    by_code = {item.code: item for item in review.inputs}
    return [
        {
            "code": code,
            "label": INPUT_LABELS[code],
            "considered": bool(by_code[code].considered) if code in by_code else False,
            "summary": by_code[code].summary if code in by_code else "",
            "links": [{"label": label, "path": path} for label, path in INPUT_LINKS[code]],
        }
        for code in INPUT_CODES
    ]


class ReviewDetailSchema(ReviewSchema):
    inputs = fields.List(fields.Nested(ReviewInputSchema), dump_only=True)
    actions = fields.List(fields.Nested(ReviewActionSchema), dump_only=True)

    @pre_dump
    def _flatten(self, review: ManagementReview, **kwargs: Any) -> dict[str, Any]:
        flat = ReviewSchema._flatten(self, review)
        return {**flat, "inputs": inputs_of(review), "actions": list(review.actions)}


class ReviewPlanSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    held_on = fields.Date(required=True, metadata={"description": "The date it is planned for."})


class ReviewUpdateSchema(ReviewPlanSchema):
    revision = REVISION


class ReviewInputRecordSchema(Schema):
    code = fields.Str(required=True, validate=validate.OneOf(INPUT_CODES))
    considered = fields.Bool(required=True)
    summary = Text(load_default="", validate=validate.Length(max=4000))


class ReviewHeldSchema(Schema):
    """Record the review as held (or correct the record): every input considered or not, with a summary."""

    held_on = fields.Date(required=True)
    attendees = Text(required=True, validate=validate.Length(min=1, max=2000))
    decisions = Text(load_default="", validate=validate.Length(max=8000))
    notes = Text(load_default="", validate=validate.Length(max=8000))
    inputs = fields.List(
        fields.Nested(ReviewInputRecordSchema), required=True, validate=validate.Length(max=len(INPUT_CODES))
    )
    revision = REVISION


class ReviewActionInputSchema(Schema):
    description = Text(required=True, validate=validate.Length(min=1, max=4000))
    owner_id = Id(required=True)
    due_on = fields.Date(required=True)


class ReviewCompleteSchema(Schema):
    note = Text(required=True, validate=validate.Length(min=1, max=4000))
    revision = REVISION


class ReviewCancelSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))
    revision = REVISION


class ReviewPackQuerySchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    monitoring = Text(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Monitoring and measurement results to include, as written."},
    )
