"""The checklist item page in headless Chromium: no typed work is lost (the issue's 10, first and third points).

- the result radios sit on the line of their labels;
- leaving with unsaved changes asks first;
- a refused save keeps the chosen result and the notes;
- evidence added on the page is saved with the chosen result, which stays chosen.
"""

from __future__ import annotations

import re

import pytest

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import AuditStatus, Role
from audit_app.services import accounts
from audit_app.services.library import checklists
from tests.fixtures.browser import follow
from tests.fixtures.planning import Planning

pytestmark = pytest.mark.browser

NOTE = "Impact assessments are not repeated after significant model changes."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def item_page(app, tmp_path):
    """An audit in fieldwork with the demo auditor on its team; returns (audit id, login)."""
    with app.app_context():
        version_id = checklists.load_built_in()[0].version.id
        logins = {login.role: login for login in demo.load_demo(tmp_path / "demo_credentials.txt")}
        plan = Planning(version_id)
        audit = plan.audit(title="Impact assessment controls")
        plan.member(audit, accounts.find_by_email(logins[Role.AUDITOR].email))
        plan.ready(audit, AuditStatus.FIELDWORK)
        db.session.commit()
        return audit.id, logins[Role.AUDITOR]


def test_the_item_page_keeps_a_chosen_result_when_evidence_is_added(item_page, live_server, page, assert_accessible):
    audit_id, login = item_page
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/audits/{audit_id}/checklist")
    follow(page, page.get_by_role("link", name=re.compile(r"^8\.4 ")).first)
    page.wait_for_selector("#result")

    # The radio buttons sit on the line of their labels (the field label style does not reach them).
    radio = page.get_by_label("Nonconformity", exact=True)
    label = page.locator("#result label", has_text=re.compile(r"^Nonconformity$"))
    assert abs(radio.bounding_box()["y"] - label.bounding_box()["y"]) < 12
    assert label.evaluate("element => getComputedStyle(element).display") == "inline"

    radio.check()
    page.get_by_label("Notes").fill(NOTE)
    # Leaving with unsaved changes asks first; staying keeps everything.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Working checklist").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.get_by_label("Notes").input_value() == NOTE

    # A nonconformity without evidence is refused, and nothing typed is lost.
    follow(page, page.get_by_role("button", name="Save", exact=True))
    assert "needs at least one evidence entry" in page.locator("main").inner_text()
    assert page.get_by_label("Nonconformity", exact=True).is_checked()
    assert page.get_by_label("Notes").input_value() == NOTE
    assert_accessible(page)

    # Evidence with a file, added on the same form: saved with the chosen result, which stays chosen.
    page.get_by_label("Method").select_option(label="Record review")
    page.get_by_label("Source").fill("Impact assessment register, export of 1 March")
    page.get_by_label("Files (optional)").set_input_files(
        [{"name": "register-extract.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    follow(page, page.get_by_role("button", name="Add evidence and save the result"))
    main = page.locator("main").inner_text()
    assert "8.4 saved: Nonconformity with a new evidence entry (1 file(s))." in main
    assert "register-extract.pdf" in main
    assert page.get_by_label("Nonconformity", exact=True).is_checked()
    assert page.get_by_label("Notes").input_value() == NOTE
    assert_accessible(page)
