"""Parts every schema module shares: field helpers and short references to other records.

The schemas check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from audit_app.services.access import MAX_ID

#: The longest free text a field takes unless it says otherwise.
TEXT = validate.Length(max=10000)
#: Every id the API reads is a positive integer a database column can hold (SQLite stores up to 2**63-1,
#: PostgreSQL `integer` up to 2**31-1): anything else is refused with 422 before it reaches a query.
ID_RANGE = validate.Range(min=1, max=MAX_ID, error="Not a valid id (ids are whole numbers from {min} to {max}).")


def enum_field(enum_cls: type[enum.Enum], **kwargs: Any) -> fields.Enum:
    """An enum given and shown by its value ("fieldwork", not "FIELDWORK")."""
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class Id(fields.Integer):
    """A record id given in a body or a query: a whole number in the range every database holds (ID_RANGE)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["validate"] = [ID_RANGE, *_validators(kwargs.get("validate"))]
        super().__init__(**kwargs)


def _validators(given: Any) -> list[Any]:
    if given is None:
        return []
    return list(given) if isinstance(given, list | tuple) else [given]


def id_list(description: str, *, required: bool = False) -> fields.List:
    """A list of record ids (each checked like `Id`); empty when left out, unless it is required."""
    if required:
        return fields.List(Id(), required=True, metadata={"description": description})
    return fields.List(Id(), load_default=list, metadata={"description": description})


class ChangeSchema(Schema):
    """The body of a change (PATCH): fields left out keep their value, but an empty change is refused with 422.

    Documented with `minProperties: 1` (api/openapi.py).
    """

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")


class WallClockDateTime(fields.DateTime):
    """A date and time on the organisation's wall clock (ORG_TIMEZONE), stored without an offset.

    Read: an RFC 3339 date-time with an offset is converted to the wall clock (2026-06-01T07:00:00Z is 08:00 in
    London in June); one without an offset is taken as wall-clock time. Written with the wall clock's offset at that
    moment (2026-06-01T08:00:00+01:00), so every value is a full RFC 3339 date-time.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(_wall_clock()).replace(tzinfo=None)
        except OverflowError:  # an offset that carries the moment past year 1 or 9999
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=_wall_clock())
        written = super()._serialize(value, attr, obj, **kwargs)
        return None if written is None else str(written)


def _wall_clock() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


class OrgUnitRefSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class NamedRefSchema(Schema):
    """A person, AI system or auditee representative by id and name."""

    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class ChecklistVersionRefSchema(Schema):
    id = fields.Int(dump_only=True)
    title = fields.Str(dump_only=True)
    version = fields.Str(dump_only=True)


class ChecklistItemRefSchema(Schema):
    id = fields.Int(dump_only=True)
    ref = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    version_id = fields.Int(dump_only=True)


class ProgrammeRefSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
