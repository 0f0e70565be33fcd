"""The checklist item page in headless Chromium: no typed work is lost (the issue's 10, first and third points).

- the result radios sit on the line of their labels;
- leaving with unsaved changes asks first;
- a refused save keeps the chosen result and the notes;
- evidence added on the page is saved with the chosen result, which stays chosen.
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser

NOTE = "Impact assessments are not repeated after significant model changes."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_item_page_keeps_a_chosen_result_when_evidence_is_added(
    fieldwork_audit, live_server, page, assert_accessible
):
    audit_id, login = fieldwork_audit
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
