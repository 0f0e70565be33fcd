"""/api/v1 report documents: drafts of every document as Word attachments, the nonconformity report, the report
settings, and who may do each (auditee, observer, auditor and lead auditor off the team, the audit's lead auditor,
an administrator). The world is tests/fixtures/api_reports.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    Finding,
    FindingStatus,
    ReportSettings,
)
from audit_app.services.reports.generate import DOCX, DocumentKind
from tests.fixtures.api_reports import (
    BEYOND,
    download_name,
)
from tests.reports.docx_read import all_text, reopen, styled

# --- drafts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_lead_downloads_every_draft_as_a_word_attachment(client, ready, kind):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/{kind.value}", headers=ready.as_["lead"])

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == DOCX
    assert response.headers["Cache-Control"] == "no-store"
    name = download_name(response)
    assert name.startswith(ready.reference)
    assert name.endswith(".docx")
    assert kind.label in name
    assert "draft" in name
    document = reopen(response.data)
    assert ready.reference in all_text(document)
    assert styled(document, "Draft Marking"), "a draft carries the DRAFT marking"


def test_audit_report_draft_names_the_issued_finding(client, ready):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/audit-report", headers=ready.as_["observer"])

    assert response.status_code == 200
    assert ready.nc_reference in all_text(reopen(response.data))


@pytest.mark.parametrize(
    ("who", "kind", "status"),
    [
        ("auditee", "audit-plan", 200),  # the plan is sent to auditees before the audit
        ("auditee", "audit-report", 403),
        ("auditee", "fieldwork-checklist", 403),
        ("loner", "audit-plan", 200),
        ("loner", "audit-report", 403),  # working papers are the team's
        ("outsider", "capa-register", 403),
        ("observer", "certification-report", 200),
        ("viewer", "capa-register", 200),
        ("auditor", "fieldwork-checklist", 200),
        ("admin", "audit-report", 200),
    ],
)
def test_draft_permissions_per_role(client, ready, who, kind, status):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/{kind}", headers=ready.as_[who])

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 200:
        assert response.mimetype == DOCX
        reopen(response.data)
    else:
        assert response.is_json
        assert response.get_json()["code"] == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audits/{audit}/drafts/minutes",
        "/api/v1/audits/{audit}/drafts/AUDIT-REPORT",
        "/api/v1/audits/999999/drafts/audit-report",
        f"/api/v1/audits/{BEYOND}/drafts/audit-report",
        "/api/v1/audits/0/drafts/audit-plan",
    ],
)
def test_unknown_document_or_audit_is_404(client, ready, path):
    response = client.get(path.format(audit=ready.audit_id), headers=ready.as_["lead"])

    assert response.status_code == 404
    assert response.is_json


def test_anonymous_gets_401(client, ready):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/audit-plan")

    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


# --- nonconformity report ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditee", "lead", "auditor", "admin"])
def test_nc_report_for_those_who_see_the_finding(client, ready, who):
    response = client.get(f"/api/v1/findings/{ready.nc_id}/nc-report", headers=ready.as_[who])

    assert response.status_code == 200
    assert response.mimetype == DOCX
    name = download_name(response)
    assert name.startswith(ready.nc_reference)
    assert "Nonconformity report" in name
    text = all_text(reopen(response.data))
    assert ready.nc_reference in text
    assert "Three of the 25 releases" in text


def test_nc_report_refused_for_observations_and_unknown_findings(client, ready):
    observation = client.get(f"/api/v1/findings/{ready.observation_id}/nc-report", headers=ready.as_["lead"])
    unknown = client.get("/api/v1/findings/999999/nc-report", headers=ready.as_["lead"])
    beyond = client.get(f"/api/v1/findings/{BEYOND}/nc-report", headers=ready.as_["lead"])

    assert observation.status_code == 404
    assert "nonconformities only" in observation.get_json()["message"]
    assert unknown.status_code == 404
    assert beyond.status_code == 404


def test_auditee_cannot_tell_a_draft_finding_from_a_missing_one(client, app, unready):
    with app.app_context():
        draft_id = db.session.scalar(sa.select(Finding.id).where(Finding.status == FindingStatus.DRAFT))
    response = client.get(f"/api/v1/findings/{draft_id}/nc-report", headers=unready.as_["auditee"])

    assert response.status_code == 404


# --- report settings --------------------------------------------------------------------------------------------


def test_settings_show_defaults_until_saved(client, unready):
    response = client.get(f"/api/v1/audits/{unready.audit_id}/report-settings", headers=unready.as_["auditor"])

    assert response.status_code == 200
    body = response.get_json()
    assert body["marking"] == "Confidential"
    assert body["sampling_statement"].startswith("An audit examines a sample")
    assert body["distribution"] == ""
    assert body["next_audit"] == ""
    assert body["updated_at"] is None


def test_lead_saves_settings_and_the_draft_uses_them(client, app, unready):
    url = f"/api/v1/audits/{unready.audit_id}/report-settings"
    body = {
        "marking": "Internal use only",
        "sampling_statement": "The evidence examined was a sample.",
        "distribution": "Board",
        "next_audit": "Surveillance, March 2027",
    }

    response = client.put(url, json=body, headers=unready.as_["lead"])
    draft = client.get(f"/api/v1/audits/{unready.audit_id}/drafts/certification-report", headers=unready.as_["lead"])

    assert response.status_code == 200, response.get_json()
    assert {k: response.get_json()[k] for k in body} == body
    assert response.get_json()["updated_by_id"] == unready.world.lead_id
    assert client.get(url, headers=unready.as_["viewer"]).get_json()["marking"] == "Internal use only"
    text = all_text(reopen(draft.data))
    assert "Surveillance, March 2027" in text
    assert "The evidence examined was a sample." in text
    with app.app_context():
        assert db.session.scalar(sa.select(ReportSettings.marking)) == "Internal use only"


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("outsider", 403), ("auditor", 403), ("auditee", 403)])
def test_settings_change_is_for_the_lead_or_an_administrator(client, unready, who, status):
    body = {"marking": "Secret", "sampling_statement": "A sample.", "distribution": "", "next_audit": ""}

    response = client.put(f"/api/v1/audits/{unready.audit_id}/report-settings", json=body, headers=unready.as_[who])

    assert response.status_code == status


def test_settings_refused_input_is_422(client, unready):
    url = f"/api/v1/audits/{unready.audit_id}/report-settings"
    empty = client.put(url, json={"marking": " ", "sampling_statement": "A sample."}, headers=unready.as_["lead"])
    missing = client.put(url, json={"marking": "Confidential"}, headers=unready.as_["lead"])
    long = client.put(url, json={"marking": "x" * 81, "sampling_statement": "s"}, headers=unready.as_["lead"])

    assert empty.status_code == 422
    assert "marking" in empty.get_json()["errors"]["json"]
    assert missing.status_code == 422
    assert "sampling_statement" in missing.get_json()["errors"]["json"]
    assert long.status_code == 422
    assert "marking" in long.get_json()["errors"]["json"]
    assert client.get(url, headers=unready.as_["lead"]).get_json()["updated_at"] is None


def test_settings_reads_are_refused_to_auditees(client, unready):
    response = client.get(f"/api/v1/audits/{unready.audit_id}/report-settings", headers=unready.as_["auditee"])

    assert response.status_code == 403


# --- the OpenAPI document ---------------------------------------------------------------------------------------


def test_binary_answers_are_documented_as_word_documents(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in (
        "/api/v1/audits/{audit_id}/drafts/{document_kind}",
        "/api/v1/findings/{finding_id}/nc-report",
        "/api/v1/reports/{report_id}/file",
    ):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {DOCX: {"schema": {"type": "string", "format": "binary"}}}, path
    parameters = spec["paths"]["/api/v1/audits/{audit_id}/drafts/{document_kind}"]["parameters"]
    (kind,) = [p for p in parameters if p["name"] == "document_kind"]
    assert kind["schema"]["enum"] == [k.value for k in DocumentKind]
    issue_responses = spec["paths"]["/api/v1/audits/{audit_id}/reports"]["post"]["responses"]
    assert {"201", "403", "409", "422"} <= set(issue_responses)
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert error["missing"]["items"] == {"type": "string"}
