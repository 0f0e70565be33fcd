"""Record entries in the append-only activity trail, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

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


def trail_page(number: int, per_page: int) -> Pagination:
    """One page of the whole trail, newest first, with each entry's actor."""
    stmt = sa.select(Activity).options(selectinload(Activity.actor)).order_by(Activity.id.desc())
    return db.paginate(stmt, page=number, per_page=per_page, error_out=False)
