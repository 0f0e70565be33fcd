"""Drafting findings through the pages: in an audit (from a checklist item), outside an audit, and refusals."""

from __future__ import annotations

from datetime import date

from audit_app.extensions import db
from audit_app.models import AuditStatus, Finding, FindingSource, FindingStatus
from tests.findings.web_helpers import count_findings, finding_id_of, finding_row, history, move, nc_form, text
from tests.web.conftest import errors_for


def test_an_auditor_drafts_a_finding_in_the_audit_with_its_links(client, login, app, fw_world):
    login(fw_world.auditor_id)
    page = client.get(f"/audits/{fw_world.audit_id}/findings/new")
    assert page.status_code == 200
    body = text(page)
    for label in ("Grade", "Requirement (in your own words)", "Evidence entries cited", "Process owner"):
        assert label in body

    response = client.post(f"/audits/{fw_world.audit_id}/findings/new", data=nc_form(fw_world))

    assert response.status_code == 302
    finding_id = finding_id_of(response)
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        assert finding.status is FindingStatus.DRAFT
        assert finding.reference is None
        assert finding.clause_refs == ["4.1"]
        assert [e.id for e in finding.evidence] == [fw_world.evidence_id]
        assert [r.id for r in finding.items] == [fw_world.responses["4.1"]]
        assert finding.auditee_unit_id == fw_world.unit_id
        assert finding.process_owner_id == fw_world.auditee_id
        assert finding.raised_by_id == fw_world.auditor_id
    assert history(app, finding_id)[0][:2] == ("created", "grade")
    shown = text(client.get(f"/findings/{finding_id}"))
    assert "Release register RR-7, v3" in shown
    assert "register.pdf" in shown
    assert f"/audits/{fw_world.audit_id}/evidence/files/{fw_world.file_id}" in shown
    assert "Three of the 25 releases" in shown


def test_the_checklist_item_offers_a_raise_link_that_preselects_the_item_and_clause(client, login, fw_world):
    response_id = fw_world.responses["4.2"]
    login(fw_world.auditor_id)
    item = text(client.get(f"/audits/{fw_world.audit_id}/checklist/{response_id}"))
    assert f"/audits/{fw_world.audit_id}/findings/new?response_id={response_id}" in item

    form = text(client.get(f"/audits/{fw_world.audit_id}/findings/new?response_id={response_id}"))
    assert f'value="{response_id}" checked' in form or 'checked id="response_ids' in form
    assert '<option selected value="4.2">' in form
    # the evidence of the chosen item is offered first
    assert form.index(f'value="{fw_world.other_evidence_id}"') < form.index(f'value="{fw_world.evidence_id}"')

    login(fw_world.viewer_id)  # management on the team as observer: may read, not raise
    item = text(client.get(f"/audits/{fw_world.audit_id}/checklist/{response_id}"))
    assert "findings/new" not in item


def test_a_nonconformity_or_observation_without_an_evidence_link_is_refused(client, login, app, fw_world):
    login(fw_world.auditor_id)
    for grade in ("minor", "observation"):
        response = client.post(
            f"/audits/{fw_world.audit_id}/findings/new", data=nc_form(fw_world, grade=grade, evidence_ids=[])
        )
        assert response.status_code == 400
        assert "needs at least one evidence link" in text(response)
    assert count_findings(app) == 0
    # an opportunity for improvement needs no evidence link
    ofi = client.post(f"/audits/{fw_world.audit_id}/findings/new", data=nc_form(fw_world, grade="ofi", evidence_ids=[]))
    assert ofi.status_code == 302


def test_bad_input_comes_back_next_to_its_field_and_nothing_is_stored(client, login, app, fw_world):
    login(fw_world.auditor_id)
    response = client.post(
        f"/audits/{fw_world.audit_id}/findings/new",
        data=nc_form(fw_world, grade="catastrophic", clause_refs=["9.9.9"], evidence_ids=["999999"]),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert errors_for(page, "grade")
    assert any("9.9.9" in m for m in errors_for(page, "clause_refs"))
    assert errors_for(page, "evidence_ids") == ["Cite only evidence entries of this audit."]
    assert count_findings(app) == 0


def test_findings_are_raised_only_in_fieldwork_and_reporting_by_the_team(client, login, app, fw_world):
    login(fw_world.loner_id)  # an auditor off the team
    assert client.post(f"/audits/{fw_world.audit_id}/findings/new", data=nc_form(fw_world)).status_code == 403
    with app.app_context():
        from audit_app.models import Audit

        db.session.get(Audit, fw_world.audit_id).status = AuditStatus.FOLLOW_UP
        db.session.commit()
    login(fw_world.auditor_id)
    refused = client.post(f"/audits/{fw_world.audit_id}/findings/new", data=nc_form(fw_world))
    assert refused.status_code == 409
    assert count_findings(app) == 0


def test_a_nonconformity_is_raised_outside_an_audit_from_an_incident(client, login, app, fw_world):
    login(fw_world.auditor_id)
    assert client.get("/findings/new").status_code == 200
    data = {
        "source": "incident",
        "source_reference": "INC-2026-114",
        "occurred_on": "2026-10-03",
        "grade": "minor",
        "title": "Drift alert ignored",
        "systemic": "isolated",
        "clause_text": "4.1, 4.2",
        "requirement": "Monitoring alerts must be triaged within two business days.",
        "statement": "The drift alert of 3 October was closed after 9 days without triage.",
        "evidence_summary": "Incident INC-2026-114 and the alert log of the monitoring service.",
        "auditee_unit_id": str(fw_world.unit_id),
    }
    response = client.post("/findings/new", data=data)
    assert response.status_code == 302
    finding = finding_row(app, finding_id_of(response))
    assert finding.audit_id is None
    assert finding.source is FindingSource.INCIDENT
    assert finding.source_reference == "INC-2026-114"
    assert finding.occurred_on == date(2026, 10, 3)
    assert finding.status is FindingStatus.DRAFT

    edit_url = f"/findings/{finding.id}/edit"
    form = text(client.get(edit_url))
    assert 'value="4.1, 4.2"' in form
    assert 'value="INC-2026-114"' in form
    edited = client.post(edit_url, data={**data, "statement": "The drift alert was closed after 9 days untriaged."})
    assert edited.status_code == 302
    finding = finding_row(app, finding.id)
    assert finding.source is FindingSource.INCIDENT
    assert finding.occurred_on == date(2026, 10, 3)
    assert finding.statement.startswith("The drift alert was closed")

    assert move(client, finding.id, "submit").status_code == 302
    login(fw_world.outsider_id)  # outside an audit any lead auditor reviews
    assert move(client, finding.id, "issue").status_code == 302
    assert finding_row(app, finding.id).reference.startswith("NCR-")
    login(fw_world.auditor_id)

    unknown = client.post("/findings/new", data={**data, "clause_text": "4.1, 77.7"})
    assert unknown.status_code == 400
    assert "77.7" in text(unknown)
    audit_source = client.post("/findings/new", data={**data, "source": "audit"})
    assert audit_source.status_code == 400
    assert count_findings(app) == 1

    login(fw_world.auditee_id)
    assert client.get("/findings/new").status_code == 403
