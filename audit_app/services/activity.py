"""Record entries in the append-only activity trail, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from audit_app.extensions import db
from audit_app.models import Activity, User


def record(actor: User | None, action: str, subject: Any, **details: Any) -> Activity:
    """Add one trail entry: who did `action` to `subject`, with optional details."""
    db.session.flush()  # the subject needs its id
    entry = Activity(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__name__,
        subject_id=getattr(subject, "id", None),
        details=details,
    )
    db.session.add(entry)
    return entry
