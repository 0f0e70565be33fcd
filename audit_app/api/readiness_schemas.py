"""Marshmallow schemas for readiness: the verdicts with every rule's result and blockers, and snapshots."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import Id, WallClockDateTime


class AsOfQuerySchema(Schema):
    as_of = fields.Date(
        load_default=None,
        metadata={"description": "The day (YYYY-MM-DD) the verdicts are read as of (its end, UTC); today if absent."},
    )


class RecordSchema(Schema):
    label = fields.Str(required=True)
    url = fields.Str(required=True, metadata={"description": "The record's page; empty when it has none."})


class RuleResultSchema(Schema):
    code = fields.Str(required=True, metadata={"description": "e.g. `S1-DOCS`, `S2-MAJORS`."})
    title = fields.Str(required=True)
    passed = fields.Bool(required=True)
    detail = fields.Str(required=True, metadata={"description": "Why it passed or failed, in words."})
    records = fields.List(fields.Nested(RecordSchema), required=True)
    blockers = fields.List(fields.Str(), required=True, metadata={"description": "What to fix; empty when passed."})


class StageSchema(Schema):
    ready = fields.Bool(required=True)
    rules = fields.List(fields.Nested(RuleResultSchema), required=True)


class ReadinessSchema(Schema):
    as_of = fields.Str(required=True, metadata={"format": "date", "description": "YYYY-MM-DD."})
    stage1 = fields.Nested(StageSchema, required=True)
    stage2 = fields.Nested(StageSchema, required=True)
    blockers = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "Every blocker of both stages, after its rule code."},
    )


class SnapshotCreateSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "The day the verdicts are taken as of (not future)."})
    note = Text(load_default="", validate=validate.Length(max=500))


class SnapshotSchema(Schema):
    id = Id(dump_only=True)
    as_of = fields.Date(required=True)
    stage1_ready = fields.Bool(required=True)
    stage2_ready = fields.Bool(required=True)
    blocker_count = fields.Method("_blockers", metadata={"type": "integer"})
    note = fields.Str(required=True)
    taken_at = WallClockDateTime(required=True)
    payload = fields.Nested(ReadinessSchema, required=True)

    def _blockers(self, snapshot: object) -> int:
        return len(getattr(snapshot, "payload", {}).get("blockers", []))
