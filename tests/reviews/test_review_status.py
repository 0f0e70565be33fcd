"""The review inputs list and the status of reviews as of a date (what readiness reads)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audit_app.extensions import db
from audit_app.models import User
from audit_app.models.review import ManagementReview, ReviewStatus
from audit_app.models.user import Role
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reviews import records, status
from audit_app.services.reviews.inputs import INPUT_CODES, INPUTS, coverage_sentence, missing_inputs

TODAY = date(2026, 3, 10)


def _today() -> date:
    return local_now("Europe/London").date()  # the app's ORG_TIMEZONE


def _held(on: date = TODAY, **overrides: bool) -> records.HeldInput:
    inputs = {code: records.InputRecord(overrides.get(code, True), f"Looked at {code}") for code in INPUT_CODES}
    return records.HeldInput(on, "CEO, CISO", "Fund a second model monitor.", inputs=inputs)


@pytest.fixture
def admin(app, make_user, app_ctx) -> User:
    return db.session.get(User, make_user(Role.ADMIN))


def test_inputs_cover_every_9_3_2_item_with_performance_split() -> None:
    codes = [code for code, _ in INPUTS]
    assert codes == ["a", "b", "c", "d1", "d2", "d3", "e"]
    assert len({label for _, label in INPUTS}) == len(INPUTS)


def test_missing_inputs_names_each_input_not_considered(admin: User) -> None:
    review = records.plan_review(admin, "Q1 review", TODAY, today=TODAY)
    assert missing_inputs(review) == [label for _, label in INPUTS]
    records.record_held(review, admin, _held(b=False, d2=False), revision=None, today=TODAY)
    db.session.commit()
    assert missing_inputs(review) == [
        "Changes in external and internal issues relevant to the AIMS",
        "AIMS performance: monitoring and measurement results",
    ]
    assert coverage_sentence(review).startswith("2 of 7 required inputs not considered")
    assert status.complete_review_as_of(TODAY) is None


def test_held_scheduled_and_complete_as_of_dates(admin: User) -> None:
    planned = records.plan_review(admin, "Planned", date(2026, 6, 1), today=TODAY)
    held = records.plan_review(admin, "Held", date(2026, 3, 5), today=TODAY)
    db.session.flush()
    planned.created_at = held.created_at = datetime(2026, 2, 1, 9, tzinfo=UTC)
    records.record_held(held, admin, _held(date(2026, 3, 5)), revision=None, today=TODAY)
    held.held_recorded_at = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    db.session.commit()

    assert status.held_as_of(date(2026, 3, 7)) == []  # held on the 5th but only recorded on the 8th
    assert status.held_as_of(date(2026, 3, 8)) == [held]
    assert status.complete_review_as_of(date(2026, 3, 8)) == held
    assert status.complete_review_as_of(date(2026, 3, 7)) is None
    assert status.scheduled_as_of(date(2026, 1, 31)) == []  # neither existed yet
    assert status.scheduled_as_of(date(2026, 3, 1)) == [held, planned]
    assert status.scheduled_as_of(date(2026, 3, 9)) == [held, planned]
    assert status.scheduled_as_of(date(2026, 7, 1)) == [held]  # the planned one's date passed without it


def test_complete_review_needs_decisions(admin: User) -> None:
    review = records.plan_review(admin, "No decisions", TODAY, today=TODAY)
    data = _held()
    data.decisions = "   "
    records.record_held(review, admin, data, revision=None, today=TODAY)
    db.session.commit()
    assert review.status is ReviewStatus.HELD
    assert status.held_as_of(_today()) == [review]
    assert status.complete_review_as_of(_today()) is None
    assert isinstance(status.held_as_of(_today())[0], ManagementReview)
