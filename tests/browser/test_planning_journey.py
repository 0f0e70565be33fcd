"""A lead auditor plans in headless Chromium: programme, audit, team and agenda; coverage gaps shrink."""

from __future__ import annotations

import re

import pytest

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import Role
from audit_app.services.library import checklists
from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser


@pytest.fixture
def logins(app, tmp_path):
    with app.app_context():
        checklists.load_built_in()
        found = demo.load_demo(tmp_path / "demo_credentials.txt")
        db.session.commit()
    return {login.role: login for login in found}


def _uncovered(page) -> int:
    text = page.locator("#coverage-summary").inner_text()
    match = re.match(r"(\d+) of (\d+) clauses and controls are not covered", text)
    assert match, text
    assert match.group(2) == "70"
    return int(match.group(1))


def test_lead_auditor_plans_an_audit_and_sees_coverage_gaps_shrink(logins, live_server, page, assert_accessible):
    lead = logins[Role.LEAD_AUDITOR]
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(lead.email)
    page.get_by_label("Password").fill(lead.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")

    # A programme for the period.
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Programmes"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="New programme"))
    page.get_by_label("Period code").fill("2030")
    page.get_by_label("Title", exact=True).fill("Internal audit programme 2030")
    page.get_by_label("Period start").fill("2030-01-01")
    page.get_by_label("Period end").fill("2030-12-31")
    page.get_by_label("Objectives").fill("Cover every clause and applicable control before stage 1.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save programme"))
    page.wait_for_selector("#coverage-summary")
    assert_accessible(page)
    assert _uncovered(page) == 70
    programme_url = page.url

    # An audit in that programme.
    follow(page, page.get_by_role("link", name="Plan an audit").first)
    page.get_by_label("Title", exact=True).fill("Impact assessment and data controls")
    page.get_by_label("Audit starts on").fill("2030-03-10")
    page.get_by_label("Audit ends on").fill("2030-03-11")
    page.get_by_label("Objectives").fill("Check impact assessments and data provenance for in-scope AI systems.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Plan audit"))
    page.wait_for_selector("h1")
    assert "IA-2030-01" in page.locator("h1").inner_text()
    assert_accessible(page)
    audit_url = page.url

    # Criteria: pin the ISO/IEC 42001 checklist, then choose three items.
    page.goto(f"{audit_url}/criteria")
    page.get_by_label(re.compile(r"ISO/IEC 42001:2023 .*\(version")).check()
    follow(page, page.get_by_role("button", name="Save selection"))
    for ref in ("6.1.4", "8.4", "A.5.2"):
        page.locator("label", has_text=re.compile(rf"^{re.escape(ref)} ")).first.click()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save selection"))

    # The team: an internal auditor from Internal Audit (impartial for this scope).
    page.goto(f"{audit_url}/team")
    person = page.get_by_label("Person")
    person.select_option(person.locator("option", has_text="Omar Auditor").get_attribute("value"))
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Add to the team"))
    assert page.get_by_role("cell", name="Omar Auditor").count() >= 1
    # The team page says, in words, which competence needs the team meets (Omar is trained on ISO/IEC 42001).
    need = page.get_by_role("row", name=re.compile(r"^An auditor trained on ISO.IEC 42001"))
    assert "✓ Met" in need.inner_text()
    assert "Omar Auditor" in need.inner_text()

    # The agenda: one session covering two of the three items; the third shows as a gap.
    page.goto(f"{audit_url}/agenda/new")
    page.get_by_label("Day").fill("2030-03-10")
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Duration").fill("90")
    page.get_by_label("Activity").select_option(label="Interview")
    page.get_by_label("Title", exact=True).fill("Impact assessment process")
    page.get_by_label(re.compile(r"^6\.1\.4")).check()
    page.get_by_label(re.compile(r"^8\.4")).check()
    page.get_by_label(re.compile(r"^Omar Auditor")).check()
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save session"))
    assert "A.5.2" in page.locator("main").inner_text()  # in scope but no session covers it yet
    assert_accessible(page)

    # Back on the programme, three fewer gaps.
    page.goto(programme_url)
    assert _uncovered(page) == 67
    page.goto(f"{programme_url}?gaps=1")
    assert page.get_by_role("row", name=re.compile(r"^6\.1\.4 ")).count() == 0

    # Auditor profiles, from the main navigation.
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Auditors"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Omar Auditor"))
    assert "Trained on ISO/IEC 42001" in page.locator("main").inner_text()
    assert_accessible(page)
