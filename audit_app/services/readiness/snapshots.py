"""Saved readiness snapshots: a verdict as of a day kept with every rule's result, for the trend across audits."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import ReadinessSnapshot, User
from audit_app.models.base import utcnow
from audit_app.services import activity
from audit_app.services.readiness.asof import AsOf
from audit_app.services.readiness.rules import evaluate

FUTURE = "The day cannot be in the future: nothing is known about it yet."
#: The trend table shows at most this many snapshots (the newest).
TREND_LIMIT = 100


def save(day: date, *, actor: User, note: str = "") -> ReadinessSnapshot:
    """Compute both verdicts as of `day` and keep them with their payload (the caller's transaction commits)."""
    if day > utcnow().date():
        raise ValidationFailed.on("as_of", FUTURE)
    verdict = evaluate(AsOf(day))
    snapshot = ReadinessSnapshot(
        as_of=day,
        stage1_ready=verdict.stage1_ready,
        stage2_ready=verdict.stage2_ready,
        payload=verdict.as_dict(),
        note=note.strip(),
        taken_by_id=actor.id,
    )
    db.session.add(snapshot)
    activity.record(
        actor,
        "readiness.snapshot_saved",
        snapshot,
        as_of=day.isoformat(),
        stage1=verdict.stage1_ready,
        stage2=verdict.stage2_ready,
    )
    return snapshot


def trend(limit: int = TREND_LIMIT) -> list[ReadinessSnapshot]:
    """Saved snapshots by their as-of day (oldest first), the newest `limit` of them (one query)."""
    newest = list(
        db.session.scalars(
            sa.select(ReadinessSnapshot)
            .order_by(ReadinessSnapshot.as_of.desc(), ReadinessSnapshot.id.desc())
            .limit(limit)
        )
    )
    return newest[::-1]


def blocker_count(snapshot: ReadinessSnapshot) -> int:
    return len(snapshot.payload.get("blockers", []))
