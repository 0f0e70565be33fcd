"""/api/v1/programmes: create, read, change, validation errors, and the coverage matrix."""

from __future__ import annotations

import pytest

from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    AISystem,
    AuditProgramme,
    AuditStatus,
    LifecycleStage,
    RiskLevel,
    Role,
    User,
)
from audit_app.models.programme import DEFAULT_DUE_POLICY, DEFAULT_GRADES
from audit_app.services.planning import audits, lifecycle
from tests.fixtures.api_planning import make_audit, make_programme, set_criteria

# --- Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def body(library):
    return {
        "code": "2026",
        "title": "Internal audit programme 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "checklist_version_id": library,
        "objectives": "Cover the whole AIMS.\nFocus on risk.",
        "risks": "Too few auditors.",
        "status": "active",
    }


# --- Create, read, change ---------------------------------------------------------------------------------------


def test_lead_auditor_creates_a_programme_with_default_grades(client, lead_headers, body, count):
    response = client.post("/api/v1/programmes", headers=lead_headers, json=body)

    assert response.status_code == 201
    created = response.get_json()
    assert created["code"] == "2026"
    assert created["period_end"] == "2026-12-31"
    assert created["status"] == "active"
    assert created["objectives"] == "Cover the whole AIMS.\nFocus on risk."
    assert created["checklist_version"]["id"] == body["checklist_version_id"]
    assert created["grade_scheme"] == DEFAULT_GRADES
    assert created["due_policy"] == DEFAULT_DUE_POLICY
    assert count(AuditProgramme) == 1
    listed = client.get("/api/v1/programmes", headers=lead_headers).get_json()
    assert [p["id"] for p in listed] == [created["id"]]
    assert client.get(f"/api/v1/programmes/{created['id']}", headers=lead_headers).get_json() == created


def test_custom_grade_scheme_and_due_policy_are_stored(client, lead_headers, body):
    grades = [
        {"code": "nc", "label": "Nonconformity", "nonconformity": True},
        {"code": "note", "label": "Note", "nonconformity": False},
    ]
    policy = {"nc": {"acknowledge": 3, "correction": 14, "plan": 30, "implementation": 60, "effectiveness": None}}

    response = client.post(
        "/api/v1/programmes", headers=lead_headers, json={**body, "grade_scheme": grades, "due_policy": policy}
    )

    assert response.status_code == 201
    created = response.get_json()
    assert created["grade_scheme"] == grades
    assert created["due_policy"]["nc"] == policy["nc"]
    assert set(created["due_policy"]["note"].values()) == {None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": None}, "code"),
        ({"code": "20 26"}, "code"),
        ({"title": ""}, "title"),
        ({"title": "Bad\x07title"}, "title"),
        ({"period_start": "01/01/2026"}, "period_start"),
        ({"period_end": "2025-12-31"}, "period_end"),
        ({"period_end": "2030-01-01"}, "period_end"),
        ({"checklist_version_id": 99999}, "checklist_version_id"),
        ({"status": "paused"}, "status"),
        ({"grade_scheme": [{"code": "obs", "label": "Observation", "nonconformity": False}]}, "grade_scheme"),
        ({"grade_scheme": [{"code": "Major!", "label": "Major", "nonconformity": True}]}, "grade_scheme"),
        ({"due_policy": {"major": {"acknowledge": 0}}}, "due_policy"),
        ({"due_policy": {"major": {"plan": "soon"}}}, "due_policy"),
        ({"due_policy": {"critical": {"plan": 5}}}, "due_policy"),
    ],
)
def test_invalid_programme_is_refused_naming_the_field(client, lead_headers, body, count, change, field):
    payload = {k: v for k, v in {**body, **change}.items() if v is not None}

    response = client.post("/api/v1/programmes", headers=lead_headers, json=payload)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(AuditProgramme) == 0


def test_duplicate_code_is_refused(client, lead_headers, body, count):
    assert client.post("/api/v1/programmes", headers=lead_headers, json=body).status_code == 201

    response = client.post("/api/v1/programmes", headers=lead_headers, json={**body, "title": "Again"})

    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]
    assert count(AuditProgramme) == 1


def test_patch_changes_only_the_fields_given(client, lead_headers, body):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    url = f"/api/v1/programmes/{created['id']}"

    short = client.patch(url, headers=lead_headers, json={"title": "Renamed", "status": "closed"})
    assert short.status_code == 422  # no audit yet: the stated extent is not met, so closing needs a reason
    assert "stated extent is not met" in short.get_json()["errors"]["json"]["closing_reason"][0]
    reason = {"closing_reason": "Replaced by the 2027 programme."}
    response = client.patch(url, headers=lead_headers, json={"title": "Renamed", "status": "closed", **reason})

    assert response.status_code == 200
    after = client.get(url, headers=lead_headers).get_json()
    assert (after["title"], after["status"]) == ("Renamed", "closed")
    unchanged = {k: v for k, v in created.items() if k not in ("title", "status", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged


def test_patch_grade_scheme_keeps_the_policy_of_the_remaining_grades(client, lead_headers, body):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    grades = [g for g in DEFAULT_GRADES if g["code"] in ("major", "ofi")]

    response = client.patch(f"/api/v1/programmes/{created['id']}", headers=lead_headers, json={"grade_scheme": grades})

    assert response.status_code == 200
    assert response.get_json()["grade_scheme"] == grades
    assert response.get_json()["due_policy"] == {k: DEFAULT_DUE_POLICY[k] for k in ("major", "ofi")}


def test_invalid_patch_changes_nothing(client, lead_headers, body):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    url = f"/api/v1/programmes/{created['id']}"

    response = client.patch(url, headers=lead_headers, json={"title": "New", "period_end": "2025-06-30"})

    assert response.status_code == 422
    assert "period_end" in response.get_json()["errors"]["json"]
    assert client.get(url, headers=lead_headers).get_json() == created


def test_unknown_programme_is_404(client, lead_headers):
    for response in (
        client.get("/api/v1/programmes/999", headers=lead_headers),
        client.patch("/api/v1/programmes/999", headers=lead_headers, json={"title": "x"}),
        client.get("/api/v1/programmes/999/coverage", headers=lead_headers),
    ):
        assert response.status_code == 404
        assert "999" in response.get_json()["message"]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER])
def test_staff_read_but_do_not_change_programmes(client, lead_headers, headers_for, body, count, role):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    headers = headers_for(role)

    assert client.get(f"/api/v1/programmes/{created['id']}", headers=headers).status_code == 200
    refused = client.patch(f"/api/v1/programmes/{created['id']}", headers=headers, json={"title": "Mine"})
    assert refused.status_code == 403
    assert refused.is_json
    assert client.post("/api/v1/programmes", headers=headers, json={**body, "code": "X"}).status_code == 403
    assert count(AuditProgramme) == 1


def test_auditees_cannot_see_programmes(client, lead_headers, headers_for, body):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    headers = headers_for(Role.AUDITEE)

    assert client.get("/api/v1/programmes", headers=headers).status_code == 403
    assert client.get(f"/api/v1/programmes/{created['id']}/coverage", headers=headers).status_code == 403


# --- Coverage ---------------------------------------------------------------------------------------------------


def test_coverage_counts_distinct_items_of_audits_that_are_not_cancelled(
    app, client, lead_id, lead_headers, library, make_unit
):
    programme_id = make_programme(app, lead_id, library)
    unit_id = make_unit("Claims")
    with app.app_context():
        db.session.add(
            AISystem(
                name="Claims triage model",
                purpose="Ranks claims",
                roles=[AIRole.DEVELOPER],
                risk_level=RiskLevel.HIGH,
                owner_unit_id=unit_id,
                lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
            )
        )
        db.session.commit()
    first = make_audit(app, programme_id, lead_id, "Leadership and risk")
    second = make_audit(app, programme_id, lead_id, "Operations")
    cancelled = make_audit(app, programme_id, lead_id, "Dropped")
    set_criteria(app, first, lead_id, library, "4.1", "5.2", "6.1.2")
    set_criteria(app, second, lead_id, library, "6.1.2", "8.1", "A.2.2")
    set_criteria(app, cancelled, lead_id, library, "7.1", "7.2")
    with app.app_context():
        from audit_app.models import Audit

        audit = db.session.get(Audit, second)
        audits.set_scope(audit, unit_ids=[unit_id], system_ids=[], actor=db.session.get(User, lead_id))
        lifecycle.transition(
            db.session.get(Audit, cancelled), AuditStatus.CANCELLED, actor=db.session.get(User, lead_id), reason="No"
        )
        db.session.commit()

    response = client.get(
        f"/api/v1/programmes/{programme_id}/coverage",
        headers=lead_headers,
        query_string={"expand": ["systems", "units"]},  # the rows of systems and units come on demand
    )

    assert response.status_code == 200
    cov = response.get_json()
    assert (cov["total"], cov["uncovered"]) == (70, 65)
    assert [a["id"] for a in cov["audits"]] == [first, second]
    assert cov["audits"][0]["reference"] == "IA-2026-01"
    rows = {row["ref"]: row for row in cov["rows"]}
    assert rows["6.1.2"]["covered_by"] == [first, second]
    assert rows["A.2.2"]["covered_by"] == [second]
    assert rows["7.1"]["covered"] is False
    assert rows["7.1"]["covered_by"] == []
    assert rows["6.1.2"]["priority"] in ("high", "medium")
    assert any("Claims triage model" in reason for reason in rows["6.1.2"]["reasons"])
    assert rows["6.1.2"]["frequency"]
    assert cov["systems"]["uncovered"] == 1
    assert cov["systems"]["rows"][0]["label"] == "Claims triage model"
    units = {row["label"]: row for row in cov["units"]["rows"]}
    assert units["Claims (department)"]["covered_by"] == [second]
    assert cov["units"]["uncovered"] == len(units) - 1
