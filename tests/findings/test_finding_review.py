"""The lead auditor's review through the pages: return, issue (numbering), reject, withdraw, regrade, merge, edits
after issue, and refusals that change nothing (a reason missing, the wrong person, a stale form)."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Audit, Finding, FindingStatus
from tests.findings.web_helpers import count_findings, finding_id_of, finding_row, history, move, nc_form, text


def draft(client, world, **changes) -> int:
    response = client.post(f"/audits/{world.audit_id}/findings/new", data=nc_form(world, **changes))
    assert response.status_code == 302, text(response)
    return finding_id_of(response)


def audit_reference(app, world) -> str:
    with app.app_context():
        return db.session.get(Audit, world.audit_id).reference


def statuses(app, finding_id: int) -> list[tuple[str, str, str]]:
    return [(old, new, reason) for event, field, old, new, reason in history(app, finding_id) if event == "status"]


def test_submit_return_submit_issue_numbers_the_nonconformity(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    page = text(client.get(f"/findings/{finding_id}"))
    assert "Submit for review" in page
    assert "Issue to the auditee" not in page
    assert move(client, finding_id, "submit").status_code == 302
    assert move(client, finding_id, "issue").status_code == 403  # the auditor does not issue
    assert finding_row(app, finding_id).status is FindingStatus.SUBMITTED

    login(fw_world.lead_id)
    page = text(client.get(f"/findings/{finding_id}"))
    assert "Return to the auditor" in page
    assert "Issue to the auditee" in page
    no_reason = move(client, finding_id, "return")
    assert no_reason.status_code == 409
    assert "reason" in text(no_reason).lower()
    assert finding_row(app, finding_id).status is FindingStatus.SUBMITTED
    assert move(client, finding_id, "return", reason="Name the three releases in the statement.").status_code == 302
    assert finding_row(app, finding_id).status is FindingStatus.DRAFT

    login(fw_world.auditor_id)
    assert move(client, finding_id, "submit").status_code == 302
    login(fw_world.lead_id)
    assert move(client, finding_id, "issue").status_code == 302

    finding = finding_row(app, finding_id)
    assert finding.status is FindingStatus.ISSUED
    assert finding.reference == f"{audit_reference(app, fw_world)}-NC-01"
    assert statuses(app, finding_id) == [
        ("draft", "submitted", ""),
        ("submitted", "draft", "Name the three releases in the statement."),
        ("draft", "submitted", ""),
        ("submitted", "issued", ""),
    ]
    page = text(client.get(f"/findings/{finding_id}"))
    assert "Submitted for review → Draft" in page
    assert "Name the three releases in the statement." in page
    listing = text(client.get(f"/audits/{fw_world.audit_id}/findings"))
    assert f"{audit_reference(app, fw_world)}-NC-01" in listing
    assert "Minor nonconformity" in listing


def test_observations_and_ofis_get_their_own_numbers(client, login, app, fw_world):
    login(fw_world.auditor_id)
    obs = draft(client, fw_world, grade="observation")
    ofi = draft(client, fw_world, grade="ofi", evidence_ids=[])
    for finding_id in (obs, ofi):
        assert move(client, finding_id, "submit").status_code == 302
    login(fw_world.lead_id)
    for finding_id in (obs, ofi):
        assert move(client, finding_id, "issue").status_code == 302
    reference = audit_reference(app, fw_world)
    assert finding_row(app, obs).reference == f"{reference}-OBS-01"
    assert finding_row(app, ofi).reference == f"{reference}-OFI-01"


def test_reject_and_withdraw_need_a_reason_and_keep_the_finding(client, login, app, fw_world):
    login(fw_world.auditor_id)
    rejected = draft(client, fw_world)
    withdrawn = draft(client, fw_world, title="Another")
    for finding_id in (rejected, withdrawn):
        move(client, finding_id, "submit")
    login(fw_world.lead_id)
    assert move(client, rejected, "reject").status_code == 409
    assert finding_row(app, rejected).status is FindingStatus.SUBMITTED
    assert move(client, rejected, "reject", reason="Not a nonconformity: the procedure allows it.").status_code == 302

    assert move(client, withdrawn, "issue").status_code == 302
    assert move(client, withdrawn, "withdraw").status_code == 409
    assert finding_row(app, withdrawn).status is FindingStatus.ISSUED
    assert move(client, withdrawn, "withdraw", reason="Raised twice.").status_code == 302

    assert count_findings(app) == 2  # never deleted
    for finding_id, reason in (
        (rejected, "Not a nonconformity: the procedure allows it."),
        (withdrawn, "Raised twice."),
    ):
        finding = finding_row(app, finding_id)
        assert finding.status is FindingStatus.WITHDRAWN
        assert finding.withdrawn_reason == reason
        page = text(client.get(f"/findings/{finding_id}"))
        assert "Withdrawn" in page
        assert reason in page


def test_the_move_route_accepts_only_its_own_actions(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    for action in ("merge", "dispute", "verify_implementation", "explode", ""):
        refused = move(client, finding_id, action, reason="r")
        assert refused.status_code == 400
    assert finding_row(app, finding_id).status is FindingStatus.DRAFT


def test_regrade_needs_a_reason_and_is_in_the_history(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    move(client, finding_id, "submit")
    assert client.get(f"/findings/{finding_id}/regrade").status_code == 403  # an auditor does not regrade
    login(fw_world.lead_id)
    form = text(client.get(f"/findings/{finding_id}/regrade"))
    assert "Reason for regrading" in form
    refused = client.post(f"/findings/{finding_id}/regrade", data={"grade": "major", "reason": ""})
    assert refused.status_code == 400
    assert "Give a reason for regrading." in text(refused)
    assert finding_row(app, finding_id).grade == "minor"
    done = client.post(
        f"/findings/{finding_id}/regrade",
        data={"grade": "major", "grade_rationale": "Systemic: every pipeline.", "reason": "Same gap in all pipelines."},
    )
    assert done.status_code == 302
    assert finding_row(app, finding_id).grade == "major"
    assert ("regraded", "grade", "minor", "major", "Same gap in all pipelines.") in history(app, finding_id)
    page = text(client.get(f"/findings/{finding_id}"))
    assert "Regraded" in page
    assert "Same gap in all pipelines." in page


def test_merge_moves_the_links_and_keeps_the_merged_finding(client, login, app, fw_world):
    login(fw_world.auditor_id)
    kept = draft(client, fw_world)
    merged = draft(
        client,
        fw_world,
        clause_refs=["4.2"],
        evidence_ids=[str(fw_world.other_evidence_id)],
        response_ids=[str(fw_world.responses["4.2"])],
    )
    login(fw_world.lead_id)
    form = text(client.get(f"/findings/{merged}/merge"))
    assert f'value="{kept}"' in form
    assert client.post(f"/findings/{merged}/merge", data={"into": str(kept), "reason": ""}).status_code == 400
    done = client.post(f"/findings/{merged}/merge", data={"into": str(kept), "reason": "Same missing gate."})
    assert done.status_code == 302
    with app.app_context():
        into, gone = db.session.get(Finding, kept), db.session.get(Finding, merged)
        assert into.clause_refs == ["4.1", "4.2"]
        assert sorted(e.id for e in into.evidence) == sorted([fw_world.evidence_id, fw_world.other_evidence_id])
        assert sorted(r.id for r in into.items) == sorted([fw_world.responses["4.1"], fw_world.responses["4.2"]])
        assert gone.status is FindingStatus.MERGED
        assert gone.merged_into_id == kept
    assert count_findings(app) == 2
    page = text(client.get(f"/findings/{merged}"))
    assert "Merged into" in page
    assert "Same missing gate." in page


def test_a_stale_edit_form_changes_nothing(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    version = finding_row(app, finding_id).version
    form = text(client.get(f"/findings/{finding_id}/edit"))
    assert f'name="version" type="hidden" value="{version}"' in form
    first = client.post(f"/findings/{finding_id}/edit", data=nc_form(fw_world, title="First", version=str(version)))
    assert first.status_code == 302
    stale = client.post(f"/findings/{finding_id}/edit", data=nc_form(fw_world, title="Second", version=str(version)))
    assert stale.status_code == 409
    assert "changed since you opened this form" in text(stale)
    assert finding_row(app, finding_id).title == "First"


def test_an_issued_finding_is_edited_by_the_lead_only_with_a_reason(client, login, app, fw_world):
    login(fw_world.auditor_id)
    finding_id = draft(client, fw_world)
    move(client, finding_id, "submit")
    login(fw_world.lead_id)
    move(client, finding_id, "issue")
    version = str(finding_row(app, finding_id).version)
    form = text(client.get(f"/findings/{finding_id}/edit"))
    assert "Reason for the change" in form
    refused = client.post(f"/findings/{finding_id}/edit", data=nc_form(fw_world, title="Renamed", version=version))
    assert refused.status_code == 400
    assert finding_row(app, finding_id).title != "Renamed"
    done = client.post(
        f"/findings/{finding_id}/edit", data=nc_form(fw_world, title="Renamed", version=version, reason="Clearer.")
    )
    assert done.status_code == 302
    assert ("edited", "title", "Releases without impact assessment", "Renamed", "Clearer.") in history(app, finding_id)
    login(fw_world.auditor_id)
    assert client.get(f"/findings/{finding_id}/edit").status_code == 409  # issued: only the lead edits
    with app.app_context():
        assert db.session.scalar(sa.select(Finding.title).where(Finding.id == finding_id)) == "Renamed"
