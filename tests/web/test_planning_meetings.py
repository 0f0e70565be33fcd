"""Planning pages, part 3: opening and closing meeting records."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, MeetingKind
from audit_app.services.planning import lifecycle
from tests.fixtures.planning_pages import Plan, run, to_fieldwork, to_reporting

HELD = datetime.combine(date(2026, 6, 1), time(9, 5))


def meeting_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "held_at": "2026-06-01",
        "held_time": "09:05",
        "attendees": "Lena Lead (lead auditor)\nAda Auditee (Head of Credit Risk)",
        "points_covered": ["introductions", "plan"],
        "notes": "Started five minutes late.",
    }
    form.update(changes)
    return form


def recorded(app: Flask, audit_id: int) -> dict[MeetingKind, tuple[datetime, str, list[str], str]]:
    with app.app_context():
        return {
            m.kind: (m.held_at, m.attendees, list(m.points_covered), m.diverging_opinions)
            for m in db.session.get(Audit, audit_id).meetings
        }


def url(web_plan: Plan, kind: str) -> str:
    return f"/audits/{web_plan.audit_id}/meetings/{kind}"


def test_opening_meeting_before_fieldwork_is_refused(client, app, login, web_plan):
    login(web_plan.lead_id)
    page = client.get(url(web_plan, "opening")).get_data(as_text=True)
    assert "Not recorded yet. Meetings are recorded once fieldwork has started." in page
    response = client.post(url(web_plan, "opening"), data=meeting_form())
    assert response.status_code == 409
    assert "The opening meeting is recorded once fieldwork has started." in response.get_data(as_text=True)
    assert recorded(app, web_plan.audit_id) == {}


def test_opening_meeting_is_recorded_with_its_points_once_fieldwork_starts(client, app, login, web_plan):
    to_fieldwork(app, web_plan)
    login(web_plan.lead_id)
    page = client.get(url(web_plan, "opening")).get_data(as_text=True)
    assert "<legend>Points covered</legend>" in page
    assert "Introductions and the roles of everyone present</label>" in page
    assert "Diverging opinions" not in page  # recorded at the closing meeting only

    response = client.post(url(web_plan, "opening"), data=meeting_form())
    assert response.status_code == 302
    assert recorded(app, web_plan.audit_id) == {
        MeetingKind.OPENING: (
            HELD,
            "Lena Lead (lead auditor)\nAda Auditee (Head of Credit Risk)",
            ["introductions", "plan"],
            "",
        )
    }
    page = client.get(url(web_plan, "opening")).get_data(as_text=True)
    assert "Opening meeting recorded." in page
    assert "✓ Covered</span> Introductions and the roles of everyone present" in page
    assert "✗ Not covered</span> Working and reporting language" in page
    assert 'value="2026-06-01"' in page
    assert 'value="09:05"' in page
    assert 'checked id="points_covered-1" name="points_covered" type="checkbox" value="plan"' in page

    changed = meeting_form(points_covered=["introductions", "plan", "language"])
    assert client.post(url(web_plan, "opening"), data=changed).status_code == 302
    assert recorded(app, web_plan.audit_id)[MeetingKind.OPENING][2] == ["introductions", "plan", "language"]


def test_closing_meeting_lists_diverging_opinions_instead_of_free_text(client, app, login, web_plan):
    to_fieldwork(app, web_plan)
    login(web_plan.lead_id)
    page = client.get(url(web_plan, "closing")).get_data(as_text=True)
    assert "Diverging opinions left unresolved</label>" not in page  # no free-text field any more
    typed = "Credit Risk disputes that the model card is out of date."
    data = meeting_form(points_covered=["recap", "findings", "disagreements"], diverging_opinions=typed)
    assert client.post(url(web_plan, "closing"), data=data).status_code == 302
    held, _, points, diverging = recorded(app, web_plan.audit_id)[MeetingKind.CLOSING]
    assert (held, points, diverging) == (HELD, ["recap", "findings", "disagreements"], "")
    page = client.get(url(web_plan, "closing")).get_data(as_text=True)
    assert "None: no dispute was open at the closing meeting." in page
    with app.app_context():  # a record from before findings were tracked keeps its text, shown read-only
        meeting = next(m for m in db.session.get(Audit, web_plan.audit_id).meetings if m.kind is MeetingKind.CLOSING)
        meeting.diverging_opinions = "Old free-text opinion."
        db.session.commit()
    page = client.get(url(web_plan, "closing")).get_data(as_text=True)
    assert "Recorded before findings were tracked:" in page
    assert "Old free-text opinion." in page


def test_unknown_meeting_kind_is_404(client, login, web_plan):
    login(web_plan.lead_id)
    assert client.get(url(web_plan, "kickoff")).status_code == 404
    assert client.post(url(web_plan, "kickoff"), data=meeting_form()).status_code == 404
    assert client.get("/audits/999999/meetings/opening").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"held_at": "2026-02-30"}, "held_at", "Not a valid date value."),
        ({"held_time": "9 o'clock"}, "held_time", "Not a valid time value."),
        (
            {"held_at": "2026-06-09"},
            "held_at",
            "The meeting must fall within the audit dates (01 Jun 2026 to 03 Jun 2026).",
        ),
        ({"attendees": "  "}, "attendees", "List who attended (names and roles)."),
        ({"points_covered": ["introductions", "gossip"]}, "points_covered", "Unknown agenda points: gossip"),
    ],
)
def test_bad_meeting_input_is_refused(client, app, login, web_plan, field_errors, changes, field, message):
    to_fieldwork(app, web_plan)
    login(web_plan.lead_id)
    response = client.post(url(web_plan, "opening"), data=meeting_form(**changes))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), field) == [message]
    assert recorded(app, web_plan.audit_id) == {}


def test_meetings_are_frozen_in_follow_up(client, app, login, web_plan):
    to_reporting(app, web_plan)
    run(
        app,
        lambda audit, user: lifecycle.transition(audit, AuditStatus.FOLLOW_UP, actor=user(web_plan.lead_id)),
        web_plan.audit_id,
    )
    before = recorded(app, web_plan.audit_id)
    login(web_plan.lead_id)
    response = client.post(url(web_plan, "closing"), data=meeting_form(notes="Late note."))
    assert response.status_code == 409
    assert "can no longer change: the audit is in follow-up" in response.get_data(as_text=True)
    assert recorded(app, web_plan.audit_id) == before
