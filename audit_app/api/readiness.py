"""Readiness: the stage 1 and stage 2 verdicts as of a day with every rule's result and blockers, and the saved
snapshots (list and create). Admins, lead auditors and management read; admins and lead auditors save snapshots;
auditees and auditors get 403 (the verdicts describe the whole AIMS, every unit's findings included)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from audit_app.api.common import parse_body, saved
from audit_app.api.readiness_schemas import AsOfQuerySchema, ReadinessSchema, SnapshotCreateSchema, SnapshotSchema
from audit_app.authz import get_actor, require_role
from audit_app.errors import ValidationFailed
from audit_app.models import ReadinessSnapshot
from audit_app.models.base import utcnow
from audit_app.services.readiness import snapshots
from audit_app.services.readiness.asof import AsOf
from audit_app.services.readiness.rules import evaluate
from audit_app.web.readiness.routes import READERS, SNAPSHOT_TAKERS

blp = Blueprint("api_readiness", __name__, url_prefix="", description="Certification readiness: verdicts, snapshots")


@blp.route("/readiness")
@require_role(*READERS)
@blp.arguments(AsOfQuerySchema, location="query")
@blp.response(200, ReadinessSchema)
def get_readiness(query: dict[str, Any]) -> dict[str, Any]:
    """Both verdicts as of the end of `as_of` (today if absent): every rule with its result, records and blockers.

    A day in the future is refused (422): nothing is known about it yet.
    """
    day = query.get("as_of") or utcnow().date()
    if day > utcnow().date():
        raise ValidationFailed.on("as_of", snapshots.FUTURE)
    return evaluate(AsOf(day)).as_dict()


@blp.route("/readiness/snapshots")
@require_role(*READERS)
@blp.response(200, SnapshotSchema(many=True))
def list_snapshots() -> list[ReadinessSnapshot]:
    """The saved snapshots (the newest 100), oldest first: the trend across audits."""
    return snapshots.trend()


@blp.route("/readiness/snapshots", methods=["POST"])
@require_role(*SNAPSHOT_TAKERS)
@blp.response(201, SnapshotSchema)
def create_snapshot() -> ReadinessSnapshot:
    """Compute the verdicts as of `as_of` and keep them with every rule's result."""
    data = parse_body(SnapshotCreateSchema())
    return saved(snapshots.save(data["as_of"], actor=get_actor(), note=data["note"]))
