"""The register's change history: one append-only row per changed field (who, when, old and new value)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from audit_app.extensions import db
from audit_app.models import DocumentedInfo, DocumentedInfoHistory, User, utcnow


def json_value(value: Any) -> Any:
    """A value the JSON column keeps as is: dates as ISO text, enums by value, lists as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def add_change(
    entry: DocumentedInfo, actor: User | None, field: str, old: Any, new: Any, *, at: datetime | None = None
) -> DocumentedInfoHistory:
    change = DocumentedInfoHistory(
        entry_id=entry.id,
        changed_at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        field=field,
        old_value=json_value(old),
        new_value=json_value(new),
    )
    db.session.add(change)
    return change
