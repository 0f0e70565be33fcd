"""The management-review pages: plan, record with each input, coverage in words, actions, pack, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Activity
from audit_app.models.review import ManagementReview, ReviewAction, ReviewActionStatus, ReviewStatus
from audit_app.models.user import Role
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reviews.inputs import INPUT_CODES
from tests.reports.docx_read import all_text, reopen


def _today() -> date:
    return local_now("Europe/London").date()  # the app's ORG_TIMEZONE


TODAY = _today()


@pytest.fixture
def people(make_user):
    return {role: make_user(role) for role in Role} | {"owner": make_user(Role.AUDITOR)}


def _plan(client) -> int:
    got = client.post("/management-reviews/new", data={"title": "Annual review", "held_on": TODAY.isoformat()})
    assert got.status_code == 302
    return int(got.headers["Location"].rstrip("/").split("/")[-1])


def _held_form(revision: int, skip: tuple[str, ...] = (), **changes: str) -> dict:
    data = {
        "held_on": TODAY.isoformat(),
        "attendees": "CEO, CISO",
        "decisions": "Fund monitoring",
        "revision": revision,
    }
    for code in INPUT_CODES:
        if code not in skip:
            data[f"considered_{code}"] = "y"
            data[f"summary_{code}"] = f"Looked at {code}"
    return data | changes


def test_plan_record_and_follow_actions(client, login, people, app):
    login(people[Role.LEAD_AUDITOR])
    review_id = _plan(client)
    url = f"/management-reviews/{review_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Not held yet. 7 of 7 required inputs not considered" in page
    assert 'href="/findings/register"' in page
    assert "CAPA register" in page

    assert client.get(f"{url}/record").status_code == 200
    got = client.post(f"{url}/record", data=_held_form(1, skip=("c", "e")))
    assert got.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "2 of 7 required inputs not considered" in page
    assert "Changes in the needs and expectations of interested parties" in page
    # a stale form (the revision read before the change) is refused and changes nothing
    stale = client.post(f"{url}/record", data=_held_form(1, attendees="Someone else"))
    assert stale.status_code == 409
    assert "Someone else changed this" in stale.get_data(as_text=True)
    # a considered input without a summary is refused on its field
    blank = client.post(f"{url}/record", data=_held_form(2, summary_a=""))
    assert blank.status_code == 400
    assert "Say in a few words" in blank.get_data(as_text=True)
    assert client.post(f"{url}/record", data=_held_form(2)).status_code == 302
    assert "Every required input (9.3.2) was considered." in client.get(url).get_data(as_text=True)

    due = (TODAY + timedelta(days=20)).isoformat()
    refused = client.post(
        f"{url}/actions", data={"description": "x", "owner_id": str(people[Role.AUDITEE]), "due_on": due}
    )
    assert refused.status_code == 400
    added = client.post(
        f"{url}/actions", data={"description": "Hire an analyst", "owner_id": str(people["owner"]), "due_on": due}
    )
    assert added.status_code == 302
    with app.app_context():
        action_id = db.session.scalar(sa.select(ReviewAction.id))

    # the owner (an auditor) completes their own action; another auditor may not
    login(people[Role.AUDITOR])
    assert client.post(f"{url}/actions/{action_id}/complete", data={"note": "x"}).status_code == 403
    login(people["owner"])
    page = client.get(url).get_data(as_text=True)
    assert "What was done" in page
    assert "Reason for cancelling" not in page
    assert client.post(f"{url}/actions/{action_id}/complete", data={"note": "", "revision": 1}).status_code == 400
    assert client.post(f"{url}/actions/{action_id}/complete", data={"note": "Hired", "revision": 1}).status_code == 302
    assert client.post(f"{url}/actions/{action_id}/complete", data={"note": "Again", "revision": 2}).status_code == 409
    with app.app_context():
        action = db.session.get(ReviewAction, action_id)
        assert action.status is ReviewActionStatus.DONE
        assert action.completion_note == "Hired"
        review = db.session.get(ManagementReview, review_id)
        assert review.status is ReviewStatus.HELD
        trail = list(
            db.session.scalars(sa.select(Activity.action).where(Activity.action.like("review.%")).order_by(Activity.id))
        )
    assert trail == [
        "review.planned",
        "review.held",
        "review.corrected",
        "review.action_added",
        "review.action_completed",
    ]


def test_pages_by_role(client, login, people):
    login(people[Role.LEAD_AUDITOR])
    review_id = _plan(client)
    login(people[Role.VIEWER])
    page = client.get("/management-reviews/").get_data(as_text=True)
    assert "Annual review" in page
    assert "Plan a review" not in page
    assert client.get(f"/management-reviews/{review_id}").status_code == 200
    assert client.get(f"/management-reviews/{review_id}/record").status_code == 403
    login(people[Role.AUDITEE])
    assert client.get("/management-reviews/").status_code == 403
    assert client.get(f"/management-reviews/{review_id}").status_code == 403


def test_pack_from_the_page(client, login, people):
    login(people[Role.VIEWER])
    bad = client.post("/management-reviews/pack", data={"start": "2026-03-01", "end": "2026-01-01"})
    assert bad.status_code == 400
    assert "ends on or after its start" in bad.get_data(as_text=True)
    got = client.post(
        "/management-reviews/pack",
        data={"start": "2026-01-01", "end": "2026-03-31", "monitoring": "<script>alert(1)</script> {{ 7*7 }}"},
    )
    assert got.status_code == 200
    assert got.mimetype.endswith("wordprocessingml.document")
    text = all_text(reopen(got.data))
    assert "<script>alert(1)</script> {{ 7*7 }}" in text
