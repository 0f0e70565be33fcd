"""The lead auditor's report journey in headless Chromium: from the audit page to "Report and documents", a draft
built in the background (the status line says so, then the download arrives), the report issued, the issued
report page with its hashes, and the verification view."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from audit_app.extensions import db
from audit_app.models import IssuedReport, User, utcnow
from tests.conftest import TEST_PASSWORD_HASH
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.browser import follow
from tests.reports.docx_read import all_text, reopen
from tests.reports.test_report_issue import build_issuable

pytestmark = pytest.mark.browser

#: Records every text the document status line shows, so a short "Building…" is not missed.
WATCH_STATUS = """() => {
  window.statusTexts = [];
  const status = document.getElementById("document-status");
  new MutationObserver(() => window.statusTexts.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture
def ready(app, library, fw_world):
    world = build_issuable(app, library, fw_world)
    with app.app_context():
        lead = db.session.get(User, world.lead_id)
        lead.set_password(PASSWORD, method=TEST_PASSWORD_HASH)
        db.session.commit()
        return world, lead.email


def test_lead_builds_a_draft_issues_the_report_and_verifies_it(
    app, ready, live_server, page, assert_accessible, tmp_path: Path
):
    world, email = ready
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))

    page.goto(f"{live_server}/audits/{world.audit_id}")
    follow(page, page.get_by_role("link", name="Report and documents"))
    assert page.get_by_role("heading", name="Report and documents", level=1).is_visible()
    assert page.get_by_text("Ready to issue", exact=False).first.is_visible()
    assert_accessible(page)

    # A draft, built in the background with a live status line, then saved as a download.
    page.evaluate(WATCH_STATUS)
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the draft audit report (.docx)").click()
    download = caught.value
    assert re.fullmatch(r"IA-\d{4}-\d{2}(-\d+)? Audit report draft-\d{8}-\d{4}\.docx", download.suggested_filename)
    status = page.locator("#document-status")
    page.wait_for_function("() => document.getElementById('document-status').textContent.startsWith('Downloaded')")
    assert status.inner_text() == f"Downloaded {download.suggested_filename}."
    assert "Building the audit report…" in page.evaluate("window.statusTexts")
    saved = tmp_path / "draft.docx"
    download.save_as(saved)
    assert "DRAFT" in all_text(reopen(saved.read_bytes()))

    # Issue it.
    today = utcnow().date().isoformat()
    page.get_by_label("Reviewed by").select_option(str(world.reviewer_id))
    page.get_by_label("Reviewed on").fill(today)
    page.get_by_label("Approved by").select_option(str(world.approver_id))
    page.get_by_label("Approved on").fill(today)
    assert "Chief Risk Officer" in page.get_by_label("Distribution list").last.input_value()
    follow(page, page.get_by_role("button", name="Issue the report"))
    assert re.search(r"/reports/\d+$", page.url)
    with app.app_context():
        report = db.session.query(IssuedReport).one()
        sha256, report_id = report.sha256, report.id
    assert page.get_by_role("heading", name="Audit report, version 1").is_visible()
    assert page.locator("#report-sha256").inner_text() == sha256
    assert page.get_by_role("heading", name="Evidence manifest").is_visible()
    assert_accessible(page)

    with page.expect_download() as caught:
        page.get_by_role("link", name=re.compile(r"^Download .*Audit report v1\.docx$")).click()
    issued = tmp_path / "issued.docx"
    caught.value.save_as(issued)
    assert hashlib.sha256(issued.read_bytes()).hexdigest() == sha256

    follow(page, page.get_by_role("link", name="Verify now"))
    assert page.url.endswith(f"/reports/{report_id}/verify")
    assert "Every hash matches" in page.locator("#verdict").inner_text()
    assert page.locator("#check-report").get_by_text("matches").is_visible()
    assert_accessible(page)
