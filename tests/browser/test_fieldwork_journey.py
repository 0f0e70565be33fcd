"""An auditor does fieldwork in headless Chromium: a clause, evidence with a file, a seeded sample, a deviation."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser

NOTE = "Impact assessments are not repeated after significant model changes."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_auditor_records_evidence_draws_a_sample_and_sees_the_proposed_finding(
    fieldwork_audit, live_server, page, assert_accessible
):
    audit_id, login = fieldwork_audit
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")

    # The working checklist, then one clause.
    page.goto(f"{live_server}/audits/{audit_id}/checklist")
    assert_accessible(page)
    follow(page, page.get_by_role("link", name=re.compile(r"^8\.4 ")).first)
    page.wait_for_selector("#result")
    assert "Audit questions" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Nonconformity", exact=True).check()
    page.get_by_label("Notes").fill(NOTE)

    # Evidence with a file, added with the chosen result in one submit: both are saved, the result stays chosen.
    page.get_by_label("Method").select_option(label="Record review")
    page.get_by_label("Source").fill("Impact assessment register, export of 1 March")
    page.get_by_label("Files (optional)").set_input_files(
        [{"name": "register-extract.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    follow(page, page.get_by_role("button", name="Add evidence and save the result"))
    evidence_text = page.locator("main").inner_text()
    assert "8.4 saved: Nonconformity with a new evidence entry" in evidence_text
    assert "register-extract.pdf" in evidence_text
    assert "Impact assessment register, export of 1 March" in evidence_text
    assert page.get_by_label("Nonconformity", exact=True).is_checked()
    assert page.get_by_label("Notes").input_value() == NOTE
    assert_accessible(page)

    # A seeded sample of impact assessments.
    page.goto(f"{live_server}/audits/{audit_id}/samples/new")
    page.get_by_label("Sampling objective (title)").fill("Impact assessments after model changes")
    page.get_by_label("Attribute tested and what counts as a deviation").fill(
        "An impact assessment was repeated within 30 days of the change; none or late is a deviation."
    )
    page.get_by_label("Sampling unit").fill("model changes")
    page.get_by_label(re.compile(r"^8\.4")).check()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Create the sample"))

    page.wait_for_url(re.compile(r"/population$"))  # a new sample goes straight to its population
    page.get_by_label("Typed in").check()
    page.get_by_label("Typed population").fill("\n".join(f"CHG-{i:03d}, Model change {i}" for i in range(1, 31)))
    page.get_by_label("Completeness and accuracy check").fill("Reconciled to 30 change tickets in the CI/CD log.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Freeze the population"))

    follow(page, page.get_by_role("link", name="Choose the method and size"))
    page.get_by_label("Simple random").check()
    page.get_by_label("Auditor's judgement").check()
    page.get_by_label("Sample size").fill("5")
    page.get_by_label("Rationale").fill("Walk-through sample of five changes for this first audit.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Set the method and size"))

    page.get_by_label("Seed (optional)").fill("4242")
    follow(page, page.get_by_role("button", name="Draw the sample"))
    detail = page.locator("main").inner_text()
    assert "4242" in detail
    assert "Mersenne Twister" in detail
    assert_accessible(page)

    # Results in the grid: the first drawn item deviates, the rest conform; all saved in one submit.
    keys = [text.removeprefix("A1 for ") for text in page.locator("label", has_text="A1 for ").all_text_contents()]
    assert len(keys) == 5
    for index, key in enumerate(keys):
        page.get_by_label(f"A1 for {key}").select_option("deviation" if index == 0 else "conforming")
    page.get_by_label(f"Note for {keys[0]}").fill("Assessment repeated 74 days after the change.")
    follow(page, page.get_by_role("button", name="Save all"))

    follow(page, page.get_by_role("button", name="Evaluate the sample"))
    page.get_by_label("Cause of the deviations").fill("The change process has no impact-assessment step.")
    page.get_by_label("Systemic (the control itself fails)").check()
    follow(page, page.get_by_role("button", name="Record what the deviations mean"))
    finding = page.locator("main").inner_text()
    assert "Proposed finding" in finding
    assert "1 of 5 sampled model changes did not meet A1" in finding
    assert keys[0] in finding
    assert "no statistical confidence" in finding.lower() or "cannot be projected" in finding.lower()
    assert_accessible(page)
