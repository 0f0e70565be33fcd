"""/api/v1 issuing: refusals with the missing list, 201 with frozen bytes whose SHA-256 the API reports, issued
versions, logged downloads, verification that detects a changed evidence file, and who may issue and download.
The world is tests/fixtures/api_reports.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    IssuedReport,
    ReportDownload,
    utcnow,
)
from audit_app.services.reports.generate import DOCX
from tests.fixtures.api_reports import (
    BEYOND,
    DISTRIBUTION,
    download_name,
    evidence_path,
    issue,
    issue_body,
    reports_url,
)
from tests.reports.docx_read import all_text, reopen, styled

# --- issuing ----------------------------------------------------------------------------------------------------


def test_refusal_lists_what_is_missing(client, app, unready):
    listing = client.get(reports_url(unready), headers=unready.as_["lead"]).get_json()
    response = issue(client, unready)

    assert listing["reports"] == []
    assert listing["is_lead"] is True
    assert listing["may_issue"] is False
    assert response.status_code == 409
    body = response.get_json()
    assert body["missing"] == listing["missing"]
    assert any("Still a draft" in line or "draft" in line.lower() for line in body["missing"])
    assert any(line.startswith("j)") for line in body["missing"])  # no closing meeting
    assert body["message"].startswith("The report cannot be issued yet")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), ("admin", 403), ("auditor", 403), ("auditee", 403)])
def test_only_the_audits_lead_issues(client, app, ready, who, status):
    response = issue(client, ready, who)

    assert response.status_code == status
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "summary"}, "kind"),
        ({"reviewed_by_id": 0}, "reviewed_by_id"),
        ({"reviewed_on": "yesterday"}, "reviewed_on"),
        ({"distribution": None}, "distribution"),
        ({"approved_by_id": "x"}, "approved_by_id"),
    ],
)
def test_malformed_issue_body_is_422(client, ready, changes, field):
    response = issue(client, ready, **changes)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reviewed_by_id": 999999}, "reviewed_by"),
        ({"approved_on": (utcnow().date() + timedelta(days=2)).isoformat()}, "approved_on"),
        ({"distribution": "  \n "}, "distribution"),
    ],
)
def test_issue_refused_by_the_rules_is_422(client, app, ready, changes, field):
    response = issue(client, ready, **changes)

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


def test_issue_freezes_the_report_and_its_evidence_manifest(client, app, ready):
    response = issue(client, ready)

    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert report["version"] == 1
    assert report["kind"] == "audit"
    assert report["prepared_by"]["id"] == ready.world.lead_id
    assert report["reviewed_by"]["name"] == "Rita Reviewer"
    assert report["approved_by"]["name"] == "Mona Manager"
    assert report["distribution"] == DISTRIBUTION.split("\n")
    assert report["downloads"] == []
    manifest = {entry["evidence_file_id"]: entry["sha256"] for entry in report["manifest"]}
    assert {ready.world.file_id, ready.world.other_file_id} <= set(manifest)
    assert (
        manifest[ready.world.file_id]
        == hashlib.sha256(evidence_path(app, ready.world.file_id).read_bytes()).hexdigest()
    )

    file = client.get(report["download_url"], headers=ready.as_["viewer"])
    assert file.status_code == 200
    assert file.mimetype == DOCX
    assert hashlib.sha256(file.data).hexdigest() == report["sha256"]
    assert len(file.data) == report["size"]
    assert download_name(file) == report["file_name"]
    document = reopen(file.data)
    assert not styled(document, "Draft Marking"), "an issued report carries no DRAFT marking"
    assert ready.nc_reference in all_text(document)


def test_download_is_logged_and_listed(client, app, ready):
    report_id = issue(client, ready).get_json()["id"]

    client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_["viewer"])
    client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_["loner"])
    detail = client.get(f"/api/v1/reports/{report_id}", headers=ready.as_["lead"]).get_json()

    assert [d["user"]["id"] for d in detail["downloads"]] == [ready.world.viewer_id, ready.world.loner_id]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportDownload.id))) == 2


def test_listing_shows_issued_versions_and_reissue_needs_a_change_note(client, ready):
    first = issue(client, ready).get_json()
    again = issue(client, ready)
    second = issue(client, ready, change_note="Corrected the distribution list.")
    certification = issue(client, ready, kind="certification")
    listing = client.get(reports_url(ready), headers=ready.as_["lead"]).get_json()

    assert again.status_code == 422
    assert "change_note" in again.get_json()["errors"]["json"]
    assert second.status_code == 201
    assert second.get_json()["version"] == 2
    assert second.get_json()["change_note"] == "Corrected the distribution list."
    assert certification.status_code == 201
    assert certification.get_json()["version"] == 1
    assert [(r["kind"], r["version"]) for r in listing["reports"]] == [("audit", 1), ("audit", 2), ("certification", 1)]
    assert listing["reports"][0]["sha256"] == first["sha256"]
    assert listing["missing"] == []
    assert listing["may_issue"] is True


def test_verification_detects_a_changed_evidence_file(client, app, ready):
    report_id = issue(client, ready).get_json()["id"]
    url = f"/api/v1/reports/{report_id}/verification"

    before = client.get(url, headers=ready.as_["lead"]).get_json()
    evidence_path(app, ready.world.file_id).write_bytes(b"%PDF-1.4\n% quietly edited after the report\n")
    after = client.get(url, headers=ready.as_["lead"]).get_json()

    assert before["ok"] is True
    assert before["failures"] == 0
    assert before["report"]["outcome"] == "matches"
    assert all(check["outcome"] == "matches" for check in before["evidence"])
    assert after["ok"] is False
    assert after["failures"] == 1
    assert after["report"]["ok"] is True
    (changed,) = [check for check in after["evidence"] if not check["ok"]]
    assert changed["outcome"] == "CHANGED"
    assert "register.pdf" in changed["name"]
    assert changed["actual"] != changed["recorded"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("auditee", 403), ("observer", 200), ("viewer", 200), ("loner", 200), ("outsider", 200), ("admin", 200)],
)
def test_issued_report_access_per_role(client, ready, who, status):
    report_id = issue(client, ready).get_json()["id"]

    for path in (f"/api/v1/reports/{report_id}", f"/api/v1/reports/{report_id}/verification", reports_url(ready)):
        assert client.get(path, headers=ready.as_[who]).status_code == status, path
    assert client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_[who]).status_code == status


@pytest.mark.parametrize("report_id", [999999, BEYOND, 0])
@pytest.mark.parametrize("suffix", ["", "/file", "/verification"])
def test_unknown_report_is_404(client, ready, report_id, suffix):
    response = client.get(f"/api/v1/reports/{report_id}{suffix}", headers=ready.as_["lead"])

    assert response.status_code == 404
    assert response.is_json


def test_reports_of_an_unknown_audit_are_404(client, ready):
    for audit_id in (999999, BEYOND):
        assert client.get(f"/api/v1/audits/{audit_id}/reports", headers=ready.as_["lead"]).status_code == 404
        response = client.post(f"/api/v1/audits/{audit_id}/reports", json=issue_body(ready), headers=ready.as_["lead"])
        assert response.status_code == 404
