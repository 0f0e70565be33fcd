"""The AI-system form in a real browser: several roles ticked by their labels, the new details, accessible pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import Role
from audit_app.services.library import checklists
from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_login(app, tmp_path):
    with app.app_context():
        checklists.load_built_in()
        logins = demo.load_demo(tmp_path / "demo_credentials.txt")
        db.session.commit()
    return next(login for login in logins if login.role is Role.ADMIN)


def test_admin_records_a_system_with_two_roles_and_its_details(admin_login, live_server, page, assert_accessible):
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail", exact=True).fill(admin_login.email)
    page.get_by_label("Password", exact=True).fill(admin_login.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/organisation/ai-systems/new")
    assert_accessible(page)
    roles = page.get_by_role("group", name="Our roles towards the system")
    page.get_by_label("Name", exact=True).fill("Claims triage model")
    page.get_by_label("Intended purpose").fill("Sorts incoming claims by urgency for the claims handlers.")
    roles.get_by_label("Developer", exact=True).check()
    roles.get_by_label("User", exact=True).focus()
    page.keyboard.press("Space")  # a role can be ticked from the keyboard
    expect(roles.get_by_label("User", exact=True)).to_be_checked()
    page.get_by_label("Supplier").fill("Lumen Models Ltd")
    page.get_by_label("Version in use").fill("4.2")
    page.get_by_label("In production since").fill("2024-03-01")
    page.get_by_label("Impact assessment reference").fill("AISIA-2024-007")
    page.get_by_label("Owner unit").select_option(label="Customer Operations")
    follow(page, page.get_by_role("button", name="Save AI system"))

    expect(page.locator("h1")).to_have_text("Claims triage model")
    details = page.locator("dl.details")
    expect(details).to_contain_text("Developer, User")
    expect(details).to_contain_text("Lumen Models Ltd")
    expect(details).to_contain_text("01 Mar 2024")
    expect(details).to_contain_text("AISIA-2024-007")
    assert_accessible(page)

    # A refused save keeps what was typed and says what is wrong beside the roles.
    follow(page, page.get_by_role("link", name="Edit"))
    roles = page.get_by_role("group", name="Our roles towards the system")
    roles.get_by_label("Developer", exact=True).uncheck()
    roles.get_by_label("User", exact=True).uncheck()
    page.get_by_label("Version in use").fill("4.3")
    follow(page, page.get_by_role("button", name="Save AI system"))
    expect(page.locator("#roles-error")).to_contain_text("Choose at least one role")
    expect(page.get_by_label("Version in use")).to_have_value("4.3")
    assert_accessible(page)
