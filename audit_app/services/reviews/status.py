"""Management reviews as they stood on a given day (for readiness and its history)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models.review import ManagementReview, ReviewStatus
from audit_app.services.reviews.inputs import missing_inputs
from audit_app.services.soa.status import end_of_day


def held_as_of(day: date) -> list[ManagementReview]:
    """Reviews held on or before `day` and already recorded as held by the end of that day, newest first."""
    stmt = (
        sa.select(ManagementReview)
        .where(
            ManagementReview.status == ReviewStatus.HELD,
            ManagementReview.held_on <= day,
            ManagementReview.held_recorded_at.is_not(None),
            ManagementReview.held_recorded_at < end_of_day(day),
        )
        .options(selectinload(ManagementReview.inputs))
        .order_by(ManagementReview.held_on.desc(), ManagementReview.id.desc())
    )
    return list(db.session.scalars(stmt))


def scheduled_as_of(day: date) -> list[ManagementReview]:
    """Reviews known on `day` (created by its end) that are due on or after it, or held; soonest first."""
    stmt = (
        sa.select(ManagementReview)
        .where(
            ManagementReview.created_at < end_of_day(day),
            sa.or_(ManagementReview.held_on >= day, ManagementReview.status == ReviewStatus.HELD),
        )
        .options(selectinload(ManagementReview.inputs))
        .order_by(ManagementReview.held_on, ManagementReview.id)
    )
    return list(db.session.scalars(stmt))


def is_complete(review: ManagementReview) -> bool:
    """Held, every required input considered and decisions recorded."""
    return review.status == ReviewStatus.HELD and not missing_inputs(review) and bool(review.decisions.strip())


def complete_review_as_of(day: date) -> ManagementReview | None:
    """The latest review held by `day` with every input considered and decisions recorded, if any."""
    return next((review for review in held_as_of(day) if is_complete(review)), None)
