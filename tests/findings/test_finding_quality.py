"""The quality check on the finding page: the three parts, vague wording, sourceless evidence, overrides with a
reason, and the lead auditor told of minor nonconformities that together may be a major."""

from __future__ import annotations

from datetime import date

from audit_app.extensions import db
from audit_app.models import ChecklistResponse, EvidenceMethod, EvidenceMode, FindingStatus, User
from audit_app.services.fieldwork import evidence as evidence_service
from tests.findings.web_helpers import finding_id_of, finding_row, history, move, nc_form, text


def draft(client, world, **changes) -> int:
    response = client.post(f"/audits/{world.audit_id}/findings/new", data=nc_form(world, **changes))
    assert response.status_code == 302, text(response)
    return finding_id_of(response)


def test_a_nonconformity_needs_its_three_parts_before_it_is_submitted(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world, requirement="", evidence_summary="")
    page = text(client.get(f"/findings/{finding_id}"))
    assert "Write the requirement." in page
    assert "Write the objective evidence." in page

    refused = move(client, finding_id, "submit")
    assert refused.status_code == 409
    assert "Write the requirement." in text(refused)
    assert finding_row(app, finding_id).status is FindingStatus.DRAFT
    assert [h for h in history(app, finding_id) if h[0] == "status"] == []


def test_parts_that_repeat_each_other_are_flagged(client, login, app, fw_world):
    login(fw_world.auditor_id)
    same = "Three of the 25 releases in the period went live with no impact assessment on file."
    finding_id = draft(client, fw_world, requirement=same, statement=same)
    page = text(client.get(f"/findings/{finding_id}"))
    assert "The requirement and the statement of nonconformity say the same thing" in page
    assert move(client, finding_id, "submit").status_code == 409


def test_vague_wording_is_flagged_and_overridden_only_with_a_reason(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(
        client, fw_world, statement="Some releases may not always have an assessment; it appears to be a gap."
    )
    page = text(client.get(f"/findings/{finding_id}"))
    for word in ("“some”", "“may”", "“not always”", "“appears to”"):
        assert word in page
    assert move(client, finding_id, "submit").status_code == 409

    no_reason = client.post(f"/findings/{finding_id}/overrides", data={"code": "vague:statement", "reason": " "})
    assert no_reason.status_code == 400
    assert "Give a reason for overriding the flag." in text(no_reason)
    assert finding_row(app, finding_id).quality_overrides == {}

    reason = "Quoted from the auditee's own procedure, which uses these words."
    done = client.post(f"/findings/{finding_id}/overrides", data={"code": "vague:statement", "reason": reason})
    assert done.status_code == 302
    assert finding_row(app, finding_id).quality_overrides == {"vague:statement": reason}
    assert ("override", "flag:vague:statement", "", reason, reason) in history(app, finding_id)
    page = text(client.get(f"/findings/{finding_id}"))
    assert "✓ Overridden" in page
    assert reason in page

    assert move(client, finding_id, "submit").status_code == 302
    assert finding_row(app, finding_id).status is FindingStatus.SUBMITTED


def test_an_override_of_a_flag_the_finding_does_not_have_is_refused(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    refused = client.post(f"/findings/{finding_id}/overrides", data={"code": "vague:statement", "reason": "because"})
    assert refused.status_code == 400
    assert finding_row(app, finding_id).quality_overrides == {}


def test_evidence_without_a_source_reference_is_flagged(client, login, app, fw_world):
    with app.app_context():
        entry = evidence_service.add_evidence(
            db.session.get(ChecklistResponse, fw_world.responses["4.1"]),
            evidence_service.EvidenceData(
                method=EvidenceMethod.INTERVIEW,
                mode=EvidenceMode.REMOTE,
                source="Interview",
                evidence_date=date(2026, 11, 3),
                description="Talked about releases.",
            ),
            actor=db.session.get(User, fw_world.auditor_id),
        )
        db.session.commit()
        entry_id = entry.id
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world, evidence_ids=[str(fw_world.evidence_id), str(entry_id)])
    page = text(client.get(f"/findings/{finding_id}"))
    assert f"Evidence entry {entry_id} names no source" in page
    assert f"Evidence entry {fw_world.evidence_id} names no source" not in page
    assert move(client, finding_id, "submit").status_code == 409


def test_the_lead_is_told_when_two_minors_hit_the_same_clause(client, login, app, fw_world):
    login(fw_world.auditor_id)
    first = draft(client, fw_world)
    audit_list = f"/audits/{fw_world.audit_id}/findings"
    assert "Possible major nonconformity" not in text(client.get(audit_list))
    second = draft(client, fw_world, title="Second gap on 4.1")
    assert "Possible major nonconformity" not in text(client.get(audit_list))  # the auditor is not the reviewer

    login(fw_world.lead_id)
    listing = text(client.get(audit_list))
    assert "Possible major nonconformity" in listing
    assert f"Draft finding {first}" in listing
    assert f"Draft finding {second}" in listing
    assert "Possible major nonconformity" in text(client.get(f"/findings/{first}"))
