"""The append-only history of a finding and its corrective actions: field, old value, new value, who, when, why.

Every service that changes a finding, a plan, an action, a due date or a dispute writes here, in the same
transaction as the change; nothing ever updates or deletes a history row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from audit_app.extensions import db
from audit_app.models import FindingHistory, User


def as_text(value: Any) -> str:
    """How a value is written in the history (stable and readable: lists joined, enums by value, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {as_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def add(
    finding_id: int,
    event: str,
    *,
    actor: User | None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
    action_id: int | None = None,
) -> FindingHistory:
    """Append one entry."""
    entry = FindingHistory(
        finding_id=finding_id,
        action_id=action_id,
        event=event,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        reason=reason,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(entry)
    return entry


def changes(
    finding_id: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    actor: User | None,
    event: str = "edited",
    reason: str = "",
    action_id: int | None = None,
) -> list[FindingHistory]:
    """Append one entry per field whose written value differs between `before` and `after`."""
    entries = []
    for field, new in after.items():
        old = before.get(field)
        if as_text(old) != as_text(new):
            entries.append(
                add(finding_id, event, actor=actor, field=field, old=old, new=new, reason=reason, action_id=action_id)
            )
    return entries


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The current values of `fields` on a record (take one before a change, one after, then call `changes`)."""
    return {field: getattr(record, field) for field in fields}
