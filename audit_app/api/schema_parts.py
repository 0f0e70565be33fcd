"""Parts every schema module shares: field helpers and short references to other records.

The schemas check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import Schema, fields, validate

#: The longest free text a field takes unless it says otherwise.
TEXT = validate.Length(max=10000)


def enum_field(enum_cls: type[enum.Enum], **kwargs: Any) -> fields.Enum:
    """An enum given and shown by its value ("fieldwork", not "FIELDWORK")."""
    return fields.Enum(enum_cls, by_value=True, **kwargs)


def id_list(description: str) -> fields.List:
    """A list of record ids, empty when left out."""
    return fields.List(fields.Int(), load_default=list, metadata={"description": description})


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
