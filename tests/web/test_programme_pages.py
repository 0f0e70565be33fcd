"""Programme pages: staff read programmes; planners create and edit them through the form, errors beside fields."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_DUE_POLICY,
    DEFAULT_GRADES,
    DUE_STEPS,
    AuditProgramme,
    ChecklistVersion,
    ProgrammeStatus,
    Role,
)


def programme_form(version_id: int, **changes: str | None) -> dict[str, str]:
    """A complete form as the browser posts it: record fields, the default grades and their due times."""
    form: dict[str, str | None] = {
        "code": "2027",
        "title": "Internal audit programme 2027",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "status": "active",
        "checklist_version_id": str(version_id),
        "objectives": "Confirm conformity with ISO/IEC 42001 before the stage 1 audit.",
        "risks": "Too few auditors with AI expertise.\nRemote-audit technology failure.",
        "opportunities": "Combine with the ISO/IEC 27001 audits.",
        "extent": "Four audits covering every clause and control.",
        "resources": "Two lead auditors, one technical expert.",
        "methods": "Hybrid: interviews, document review, re-performance.",
    }
    for index, grade in enumerate(DEFAULT_GRADES):
        form[f"grades-{index}-code"] = grade["code"]
        form[f"grades-{index}-label"] = grade["label"]
        form[f"grades-{index}-nonconformity"] = "y" if grade["nonconformity"] else None
        for step, value in DEFAULT_DUE_POLICY[grade["code"]].items():
            form[f"grades-{index}-{step}"] = "" if value is None else str(value)
    for index in (5, 6):  # the blank rows the page offers
        form.update({f"grades-{index}-code": "", f"grades-{index}-label": ""})
        form.update({f"grades-{index}-{step}": "" for step in DUE_STEPS})
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def stored(app: Flask) -> dict[str, AuditProgramme]:
    with app.app_context():
        rows = {p.code: p for p in db.session.scalars(sa.select(AuditProgramme))}
        db.session.expunge_all()
        return rows


@pytest.fixture
def planner(make_user, login) -> int:
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


def test_new_form_offers_the_model_defaults(client, app, library, planner):
    page = client.get("/programmes/new").get_data(as_text=True)
    for grade in DEFAULT_GRADES:
        assert f'value="{grade["label"]}"' in page
    assert 'name="grades-0-acknowledge" type="text" value="2"' in page  # major: 2 business days
    assert 'name="grades-1-implementation" type="text" value="180"' in page  # minor: 180 days
    assert 'name="grades-2-acknowledge" type="text" value=""' in page  # observation: not required
    assert 'name="grades-6-code" type="text" value=""' in page  # blank rows for new grades
    assert f'<option selected value="{library}">' in page  # the ISO/IEC 42001 version is the default
    assert "remote-audit technology failure" in page  # hints drawn from the programme guidance
    assert 'for="grades-0-code">Grade 1 code<' in page
    assert 'for="grades-0-acknowledge">Grade 1 (Major' in page


def test_planner_creates_a_programme(client, app, library, planner, activity_rows):
    response = client.post("/programmes/new", data=programme_form(library))
    programme = stored(app)["2027"]
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/programmes/{programme.id}")
    assert programme.title == "Internal audit programme 2027"
    assert programme.status is ProgrammeStatus.ACTIVE
    assert programme.risks == "Too few auditors with AI expertise.\nRemote-audit technology failure."
    assert programme.grade_scheme == DEFAULT_GRADES
    assert programme.due_policy == DEFAULT_DUE_POLICY
    assert programme.created_by_id == planner
    with app.app_context():
        assert db.session.get(ChecklistVersion, library).locked
    assert [a.subject_id for a in activity_rows("programme.created")] == [programme.id]
    listing = client.get("/programmes/").get_data(as_text=True)
    assert "Internal audit programme 2027" in listing
    assert "New programme" in listing


def test_planner_changes_the_grade_scheme_and_due_policy(client, app, library, planner):
    client.post("/programmes/new", data=programme_form(library))
    programme_id = stored(app)["2027"].id
    edit = client.get(f"/programmes/{programme_id}/edit").get_data(as_text=True)
    assert 'value="Opportunity for improvement"' in edit
    assert 'name="grades-0-plan" type="text" value="30"' in edit
    changes = {
        "grades-0-acknowledge": "3",  # major: three business days
        "grades-1-implementation": "",  # minor: no implementation deadline
        "grades-3-label": "Improvement opportunity",
        "grades-4-code": "",  # clearing the code removes good practice
        "grades-5-code": "critical",
        "grades-5-label": "Critical nonconformity",
        "grades-5-nonconformity": "y",
        "grades-5-acknowledge": "1",
        "grades-5-correction": "2",
    }
    response = client.post(f"/programmes/{programme_id}/edit", data=programme_form(library, **changes))
    assert response.status_code == 302
    programme = stored(app)["2027"]
    assert [(g["code"], g["label"], g["nonconformity"]) for g in programme.grade_scheme] == [
        ("major", "Major nonconformity", True),
        ("minor", "Minor nonconformity", True),
        ("observation", "Observation", False),
        ("ofi", "Improvement opportunity", False),
        ("critical", "Critical nonconformity", True),
    ]
    assert set(programme.due_policy) == {"major", "minor", "observation", "ofi", "critical"}
    assert programme.due_policy["major"]["acknowledge"] == 3
    assert programme.due_policy["minor"] == {**DEFAULT_DUE_POLICY["minor"], "implementation": None}
    assert programme.due_policy["critical"] == {
        "acknowledge": 1,
        "correction": 2,
        "plan": None,
        "implementation": None,
        "effectiveness": None,
    }
    detail = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Critical nonconformity" in detail
    assert "Good practice" not in detail
    assert "3 business days" in detail


def test_a_post_without_grade_rows_keeps_the_scheme(client, app, library, planner):
    client.post("/programmes/new", data=programme_form(library, **{"grades-2-label": "Remark"}))
    programme_id = stored(app)["2027"].id
    record_only = {k: v for k, v in programme_form(library, title="Renamed").items() if not k.startswith("grades-")}
    assert client.post(f"/programmes/{programme_id}/edit", data=record_only).status_code == 302
    programme = stored(app)["2027"]
    assert programme.title == "Renamed"
    assert programme.grade_scheme[2]["label"] == "Remark"
    assert programme.due_policy == DEFAULT_DUE_POLICY


BAD_INPUT = [
    ({"period_end": "2026-12-31"}, "period_end", "The end date must be on or after the start date."),
    ({"period_end": "2031-01-01"}, "period_end", "A programme covers at most three years."),
    ({"code": "20 27!"}, "code", "Use up to 20 letters, digits or hyphens, e.g. 2026."),
    ({"title": "Programme\x07 2027"}, "title", "Remove the control characters"),
    ({"risks": "Poor planning\x1b[31m"}, "risks", "Remove the control characters"),
    ({"checklist_version_id": "999999"}, "checklist_version_id", "Not a valid choice."),
    ({"grades-0-acknowledge": "abc"}, "due_policy", "major / acknowledge: use a whole number of days"),
    ({"grades-1-plan": "0"}, "due_policy", "minor / plan: use between 1 and 730 days."),
    ({"grades-0-correction": "731"}, "due_policy", "major / correction: use between 1 and 730 days."),
    ({"grades-0-correction": "\u00b2"}, "due_policy", "major / correction: use a whole number of days"),
    (
        {"grades-0-nonconformity": None, "grades-1-nonconformity": None},
        "grade_scheme",
        "At least one grade must be a nonconformity.",
    ),
    ({"grades-1-code": "major"}, "grade_scheme", "Grade 2: the code 'major' is used twice."),
    ({"grades-0-code": "Major NC"}, "grade_scheme", "Grade 1: the code must be lower-case"),
    ({"grades-2-label": "Obs\x00ervation"}, "grade_scheme", "Grade 3: Remove the control characters"),
    ({"grades-2-label": ""}, "grade_scheme", "Grade 3: give it a label."),
    ({f"grades-{i}-code": "" for i in range(5)}, "grade_scheme", "The grade scheme needs at least one grade."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_beside_the_field(client, app, library, planner, field_errors, changes, field, message):
    response = client.post("/programmes/new", data=programme_form(library, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    assert "There is a problem" in page
    assert stored(app) == {}


def test_bad_edit_changes_nothing(client, app, library, planner, field_errors):
    later = {"period_start": "2028-01-01", "period_end": "2028-12-31", "title": "Programme 2028"}
    client.post("/programmes/new", data=programme_form(library))
    client.post("/programmes/new", data=programme_form(library, code="2028", **later))
    before = stored(app)["2028"]
    clash = programme_form(library, code="2027", **{**later, "title": "Changed"})
    response = client.post(f"/programmes/{before.id}/edit", data=clash)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code") == ["This code is already used."]
    bad_days = programme_form(library, code="2028", **{**later, "title": "Changed", "grades-0-plan": "x"})
    response = client.post(f"/programmes/{before.id}/edit", data=bad_days)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="grades-0-plan" type="text" value="x"' in page  # the planner's input is kept for correction
    after = stored(app)["2028"]
    assert (after.title, after.grade_scheme, after.due_policy, after.updated_at) == (
        before.title,
        before.grade_scheme,
        before.due_policy,
        before.updated_at,
    )
    assert after.title == "Programme 2028"


def test_duplicate_code_is_refused_on_create(client, app, library, planner, field_errors):
    client.post("/programmes/new", data=programme_form(library))
    response = client.post("/programmes/new", data=programme_form(library, title="Another"))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code") == ["This code is already used."]
    assert [p.title for p in stored(app).values()] == ["Internal audit programme 2027"]


def test_unknown_programme_is_404(client, planner):
    for path in ("/programmes/999999", "/programmes/999999/edit", "/programmes/999999/coverage/scope"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.AUDITEE])
def test_other_roles_cannot_create_or_edit(client, app, library, make_user, login, role):
    login(make_user(Role.ADMIN))
    client.post("/programmes/new", data=programme_form(library))
    programme_id = stored(app)["2027"].id
    login(make_user(role))
    reads = ("/programmes/", f"/programmes/{programme_id}", f"/programmes/{programme_id}/coverage/scope")
    for path in reads:
        expected = 403 if role is Role.AUDITEE else 200
        assert client.get(path).status_code == expected, path
    if role is not Role.AUDITEE:
        listing = client.get("/programmes/").get_data(as_text=True)
        detail = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
        assert "Internal audit programme 2027" in listing
        assert "New programme" not in listing
        assert f"/programmes/{programme_id}/edit" not in detail
        assert "Plan an audit" not in detail
    for path in ("/programmes/new", f"/programmes/{programme_id}/edit"):
        assert client.get(path).status_code == 403, path
        changed = programme_form(library, code="2099", title="Hijacked")
        assert client.post(path, data=changed).status_code == 403, path
    assert [p.title for p in stored(app).values()] == ["Internal audit programme 2027"]


def test_closing_a_programme_short_of_its_extent_needs_a_reason(client, app, library, planner, field_errors):
    client.post("/programmes/new", data=programme_form(library))
    programme_id = stored(app)["2027"].id
    assert "Reason for closing although the stated extent is not met" in client.get(
        f"/programmes/{programme_id}/edit"
    ).get_data(as_text=True)
    refused = client.post(f"/programmes/{programme_id}/edit", data=programme_form(library, status="closed"))
    assert refused.status_code == 400
    (message,) = field_errors(refused.get_data(as_text=True), "closing_reason")
    assert message.startswith("The programme's stated extent is not met: No audit was planned in the programme.")
    assert "70 of 70 clauses and controls were not audited in the programme" in message
    assert stored(app)["2027"].status is ProgrammeStatus.ACTIVE
    reason = "The AIMS scope changed; the audits move to the 2028 programme."
    closed = client.post(
        f"/programmes/{programme_id}/edit", data=programme_form(library, status="closed", closing_reason=reason)
    )
    assert closed.status_code == 302
    assert stored(app)["2027"].status is ProgrammeStatus.CLOSED
    detail = client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Closed short of the stated extent" in detail
    assert reason in detail
    assert "0 of 70 clauses and controls have been audited and concluded" in detail
