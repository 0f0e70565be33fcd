"""Parts every schema module shares: field helpers and short references to other records.

The schemas check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import Schema, fields, validate

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
