"""A nonconformity from the moment it is found to its verified closure, in headless Chromium, by the three kinds of
users: the auditor raises it from a checklist item, the lead auditor issues it, the auditee answers with a root
cause and a plan, the lead accepts it, the auditee implements, the auditor verifies and closes it as effective."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from audit_app.extensions import db
from audit_app.models import Audit, User
from audit_app.services.findings import dues
from tests.conftest import TEST_PASSWORD_HASH
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser

REQUIREMENT = "Each model release must have a documented AI system impact assessment before deployment."
STATEMENT = "Three of the 25 releases in the period went live with no impact assessment on file."
EVIDENCE = "Register RR-7 v3 lists 25 releases; R-12, R-15 and R-19 have no assessment."
ACTION = "Add an impact-assessment gate to every release pipeline."


@pytest.fixture
def people(app, fw_world) -> dict[str, str]:
    """The e-mail addresses of the auditor, the lead auditor and the auditee, each given the test password."""
    with app.app_context():
        found = {
            name: db.session.get(User, user_id)
            for name, user_id in (
                ("auditor", fw_world.auditor_id),
                ("lead", fw_world.lead_id),
                ("auditee", fw_world.auditee_id),
            )
        }
        for user in found.values():
            user.set_password(PASSWORD, method=TEST_PASSWORD_HASH)
        db.session.commit()
        return {name: user.email for name, user in found.items()}


def sign_in(page, live_server: str, email: str) -> None:
    """Sign out whoever is signed in (the header's button), then sign in as `email`."""
    if page.get_by_role("button", name="Sign out").count():
        follow(page, page.get_by_role("button", name="Sign out"))
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")


def status_of(page) -> str:
    return page.locator(".breadcrumbs .status").inner_text()


def history(page) -> str:
    return page.locator("#history").inner_text()


def move(page, assert_accessible, button: str, status: str) -> None:
    """Press one of the finding page's move buttons; the page comes back with the new status."""
    follow(page, page.get_by_role("button", name=button, exact=True))
    assert status_of(page) == status
    assert f"The finding is now {status.lower()}" in page.get_by_role("main").inner_text()
    assert_accessible(page)


def test_a_nonconformity_is_raised_issued_answered_and_closed_effective(
    app, fw_world, people, live_server, page, assert_accessible
):
    with app.app_context():
        audit = db.session.get(Audit, fw_world.audit_id)
        audit_reference, lead_name = audit.reference, audit.lead_auditor.name

    # The auditor raises a nonconformity from the checklist item 4.1.
    sign_in(page, live_server, people["auditor"])
    assert_accessible(page)
    page.goto(f"{live_server}/audits/{fw_world.audit_id}/checklist")
    assert_accessible(page)
    follow(page, page.get_by_role("link", name=re.compile(r"^4\.1 ")).first)
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Raise a finding"))
    assert page.get_by_role("heading", level=1).inner_text() == "New finding"
    page.get_by_label("Grade", exact=True).select_option(label="Minor nonconformity")
    page.get_by_label("Title").fill("Releases without impact assessment")
    page.get_by_label("Why this grade").fill(
        "Isolated: the other 22 releases were assessed; the AIMS still achieves its results."
    )
    page.get_by_label("Clauses and controls").select_option(value="4.1")
    page.get_by_label("Requirement (in your own words)").fill(REQUIREMENT)
    page.get_by_label("Statement").fill(STATEMENT)
    page.get_by_label("Objective evidence (summary)").fill(EVIDENCE)
    assert page.get_by_label(re.compile(r"^4\.1 ")).is_checked()  # the checklist item it was raised from
    page.get_by_label(re.compile(rf"^#{fw_world.evidence_id} 4\.1: ")).check()
    page.get_by_label("Auditee org unit").select_option(label="Model Operations")
    page.get_by_label("Process owner").select_option(label="Ada Auditee")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save the finding"))
    assert status_of(page) == "Draft"
    assert "Release register RR-7, v3" in page.locator("#evidence").inner_text()
    assert_accessible(page)
    finding_url = page.url
    move(page, assert_accessible, "Submit for review", "Submitted for review")

    # The lead auditor opens it from the audit's findings and issues it: it gets its reference.
    sign_in(page, live_server, people["lead"])
    page.goto(f"{live_server}/audits/{fw_world.audit_id}/findings")
    assert_accessible(page)
    row = page.locator("#findings").get_by_role("row", name=re.compile("Releases without impact assessment"))
    assert "Submitted for review" in row.inner_text()
    follow(page, row.get_by_role("link"))
    assert page.url == finding_url
    assert_accessible(page)
    move(page, assert_accessible, "Issue to the auditee", "Issued")
    reference = page.locator("#finding-fields dt:text-is('Reference') + dd").inner_text()
    assert reference == f"{audit_reference}-NC-01"
    assert re.fullmatch(r"IA-\d{4}-\d{2}-NC-01", reference)
    assert reference in page.get_by_role("heading", level=1).inner_text()

    # The auditee sees it on their home page, opens it and acknowledges it.
    sign_in(page, live_server, people["auditee"])
    portal = page.locator("#portal-findings")
    assert "Issued" in portal.inner_text()
    assert_accessible(page)
    follow(page, portal.get_by_role("link", name=reference))
    assert page.url == finding_url
    assert_accessible(page)
    move(page, assert_accessible, "Acknowledge", "Acknowledged")

    # The plan: correction, root cause and extent check, then one action with its owner and due date.
    follow(page, page.get_by_role("link", name="Write the plan"))
    page.get_by_label("Correction").fill("Impact assessments completed for R-12, R-15 and R-19.")
    page.get_by_label("5 whys").check()
    page.get_by_label("The analysis").fill(
        "Why 1: no assessment was made. Why 2: the release checklist did not ask for one. "
        "Why 3: the checklist predates the AI policy."
    )
    page.get_by_label("Root cause found").fill("The release workflow has no gate for the impact assessment.")
    page.get_by_label("Extent check").fill("Checked the other two release pipelines: same gap in the batch one.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save the plan"))
    assert "The plan is saved" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Add an action"))
    page.get_by_label("Action").fill(ACTION)
    page.get_by_label("Owner").select_option(label=f"Ada Auditee ({people['auditee']})")
    due = dues.today() + timedelta(days=30)
    page.get_by_label("Due date").fill(due.isoformat())
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Save the action"))
    actions = page.locator("table.capa-actions").inner_text()
    assert ACTION in actions
    assert due.strftime("%d %b %Y") in actions
    assert_accessible(page)
    move(page, assert_accessible, "Submit the plan", "Plan submitted")

    # The lead auditor accepts the plan.
    sign_in(page, live_server, people["lead"])
    page.goto(finding_url)
    assert_accessible(page)
    move(page, assert_accessible, "Accept the plan", "Plan accepted")

    # The auditee, who owns the action, records its implementation and marks the finding implemented.
    sign_in(page, live_server, people["auditee"])
    follow(page, page.locator("#portal-actions").get_by_role("link", name=reference))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Record implementation of action 1"))
    page.get_by_label("What was done").fill("Gate live in all three pipelines since 1 Dec; see change CH-88.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Record the implementation"))
    assert "The implementation is recorded" in page.get_by_role("main").inner_text()
    assert "CH-88" in page.locator("table.capa-actions").inner_text()
    assert_accessible(page)
    move(page, assert_accessible, "Mark implemented", "Implemented")

    # The auditor verifies the implementation, then reviews effectiveness: effective, the finding closes.
    sign_in(page, live_server, people["auditor"])
    page.goto(finding_url)
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Verify the implementation"))
    page.get_by_label("What you checked").fill("Change CH-88 seen; releases R-21 and R-22 passed the new gate.")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Verify the implementation"))
    assert status_of(page) == "Implementation verified"
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Review effectiveness"))
    page.get_by_label("Effective: close the finding").check()
    page.get_by_label("Effectiveness review").fill("Re-sampled 10 releases after the change: all were assessed.")
    page.get_by_label("Effectiveness evidence", exact=True).fill("Sample of releases R-30 to R-39")
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Record the review"))
    assert status_of(page) == "Closed: effective"
    assert "Closed: effective." in page.get_by_role("main").inner_text()
    assert_accessible(page)

    # The history lists every move, in order, with who made it.
    rows = page.locator("#history tbody tr").all_inner_texts()
    moves = [row for row in rows if "Status changed" in row]
    expected = [
        ("Alma Auditor", "Draft → Submitted for review"),
        (lead_name, "Submitted for review → Issued"),
        ("Ada Auditee", "Issued → Acknowledged"),
        ("Ada Auditee", "Acknowledged → Plan submitted"),
        (lead_name, "Plan submitted → Plan accepted"),
        ("Ada Auditee", "Plan accepted → Implemented"),
        ("Alma Auditor", "Implemented → Implementation verified"),
        ("Alma Auditor", "Implementation verified → Closed: effective"),
    ]
    assert len(moves) == len(expected), "\n".join(rows)
    for row, (who, change) in zip(moves, expected, strict=True):
        assert change in row, row
        assert who in row, row
    events = {row.split("\t")[2] for row in rows}
    assert {"Drafted", "Numbered", "Plan", "Corrective action"} <= events, events
    assert reference in history(page)
