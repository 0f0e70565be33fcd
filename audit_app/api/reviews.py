"""Management reviews (ISO/IEC 42001 9.3): plan, record as held with each 9.3.2 input, actions and their
completion or cancellation, and the management-review input pack for a period (Word)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Response, current_app, send_file
from flask_smorest import Blueprint

from audit_app.api.common import saved
from audit_app.api.review_schemas import (
    ReviewActionInputSchema,
    ReviewActionSchema,
    ReviewCancelSchema,
    ReviewCompleteSchema,
    ReviewDetailSchema,
    ReviewHeldSchema,
    ReviewInputSchema,
    ReviewPackQuerySchema,
    ReviewPlanSchema,
    ReviewSchema,
    ReviewUpdateSchema,
    inputs_of,
)
from audit_app.authz import get_actor, require_role
from audit_app.models.review import ManagementReview, ReviewAction
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reports import generate
from audit_app.services.reviews import records
from audit_app.services.reviews.pack import generate_pack

blp = Blueprint(
    "api_reviews", __name__, url_prefix="/management-reviews", description="Management reviews and input pack"
)
DOCX_CONTENT = {generate.DOCX: {"schema": {"type": "string", "format": "binary"}}}


def _today() -> date:
    return local_now(current_app.config["ORG_TIMEZONE"]).date()


def _review(review_id: int) -> ManagementReview:
    return records.get_review(review_id, get_actor())


@blp.route("")
@require_role(*records.READERS)
@blp.response(200, ReviewSchema(many=True))
def list_reviews() -> list[ManagementReview]:
    """Management reviews, newest first (at most 200), each with whether every required input was covered."""
    return records.list_reviews(get_actor())


@blp.route("", methods=["POST"])
@require_role(*records.RECORDERS)
@blp.arguments(ReviewPlanSchema)
@blp.response(201, ReviewDetailSchema)
def plan_review(body: dict[str, Any]) -> ManagementReview:
    """Plan a review (administrators and lead auditors)."""
    review = saved(records.plan_review(get_actor(), body["title"], body["held_on"], today=_today()))
    return _review(review.id)


@blp.route("/pack")
@require_role(*records.READERS)
@blp.arguments(ReviewPackQuerySchema, location="query")
@blp.doc(
    responses={"200": {"description": "The input pack for the period, as a Word document.", "content": DOCX_CONTENT}}
)
def get_pack(query: dict[str, Any]) -> Response:
    """The management-review input pack (9.3.2) for the period `start` to `end`: earlier review actions, audits
    closed, nonconformity trends, overdue corrective actions, the monitoring results given, SoA and register
    status, and opportunities for improvement."""
    document = generate_pack(get_actor(), query["start"], query["end"], query.get("monitoring", ""))
    response = send_file(
        io.BytesIO(document.data), mimetype=generate.DOCX, as_attachment=True, download_name=document.file_name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/<int:review_id>")
@require_role(*records.READERS)
@blp.response(200, ReviewDetailSchema)
def get_review(review_id: int) -> ManagementReview:
    """One review with its inputs (and where the app holds each one's data) and its actions."""
    return _review(review_id)


@blp.route("/<int:review_id>", methods=["PUT"])
@require_role(*records.RECORDERS)
@blp.arguments(ReviewUpdateSchema)
@blp.response(200, ReviewDetailSchema)
def put_review(body: dict[str, Any], review_id: int) -> ManagementReview:
    """Change the review's title and date."""
    review = _review(review_id)
    records.update_plan(
        review, get_actor(), body["title"], body["held_on"], revision=body.get("revision"), today=_today()
    )
    saved(review)
    return _review(review_id)


@blp.route("/<int:review_id>/inputs")
@require_role(*records.READERS)
@blp.response(200, ReviewInputSchema(many=True))
def get_inputs(review_id: int) -> list[dict[str, Any]]:
    """Each 9.3.2 input: considered or not, the summary, and links to the data the app holds for it."""
    return inputs_of(_review(review_id))


@blp.route("/<int:review_id>/inputs", methods=["PUT"])
@require_role(*records.RECORDERS)
@blp.arguments(ReviewHeldSchema)
@blp.response(200, ReviewDetailSchema)
def put_inputs(body: dict[str, Any], review_id: int) -> ManagementReview:
    """Record the review as held: date, attendees, decisions and each input considered (an input left out counts
    as not considered). Recording again corrects the record; it stays held from the first time."""
    review = _review(review_id)
    inputs = {item["code"]: records.InputRecord(item["considered"], item.get("summary", "")) for item in body["inputs"]}
    data = records.HeldInput(
        body["held_on"], body["attendees"], body.get("decisions", ""), body.get("notes", ""), inputs
    )
    records.record_held(review, get_actor(), data, revision=body.get("revision"), today=_today())
    saved(review)
    return _review(review_id)


@blp.route("/<int:review_id>/actions", methods=["POST"])
@require_role(*records.RECORDERS)
@blp.arguments(ReviewActionInputSchema)
@blp.response(201, ReviewActionSchema)
def add_action(body: dict[str, Any], review_id: int) -> ReviewAction:
    """Add an action with its owner (staff, not auditees) and due date."""
    review = _review(review_id)
    action = records.add_action(
        review, get_actor(), body["description"], body["owner_id"], body["due_on"], today=_today()
    )
    return saved(action)


@blp.route("/<int:review_id>/actions/<int:action_id>/complete", methods=["POST"])
@require_role(*records.READERS)
@blp.arguments(ReviewCompleteSchema)
@blp.response(200, ReviewActionSchema)
def complete_action(body: dict[str, Any], review_id: int, action_id: int) -> ReviewAction:
    """Complete the action with a note (its owner, or an administrator or lead auditor)."""
    action = records.get_action(_review(review_id), action_id)
    records.complete_action(action, get_actor(), body["note"], revision=body.get("revision"), today=_today())
    return saved(action)


@blp.route("/<int:review_id>/actions/<int:action_id>/cancel", methods=["POST"])
@require_role(*records.RECORDERS)
@blp.arguments(ReviewCancelSchema)
@blp.response(200, ReviewActionSchema)
def cancel_action(body: dict[str, Any], review_id: int, action_id: int) -> ReviewAction:
    """Cancel the action with a reason (it is kept, never deleted)."""
    action = records.get_action(_review(review_id), action_id)
    records.cancel_action(action, get_actor(), body["reason"], revision=body.get("revision"))
    return saved(action)
