"""Log in through the real form in headless Chromium as each demo role and check its navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import Role
from audit_app.services.library import checklists
from audit_app.web.nav import nav_for
from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_logins(app, tmp_path):
    with app.app_context():
        checklists.load_built_in()
        logins = demo.load_demo(tmp_path / "demo_credentials.txt")
        db.session.commit()
    return {login.role: login for login in logins}


@pytest.mark.parametrize("role", list(Role))
def test_each_demo_role_signs_in_and_sees_its_navigation(role, demo_logins, live_server, page, assert_accessible):
    login = demo_logins[role]
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/auth/login")
    assert_accessible(page)

    page.get_by_label("E-mail", exact=True).fill(login.email)
    page.get_by_label("Password", exact=True).fill(login.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")

    nav = page.get_by_role("navigation", name="Main")
    labels = [text.strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert labels == [item.label for item in nav_for(role)]
    assert page.locator(".role-badge").inner_text() == role.label
    if role is Role.ADMIN:
        assert "Users" in labels
        assert "Checklist import" in labels
    else:
        assert "Users" not in labels
    assert_accessible(page)

    # Every navigation target opens for this role and passes the accessibility scan.
    for label in labels[1:]:
        follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True))
        assert page.locator("h1").count() == 1, f"{label} has no page heading"
        assert_accessible(page)

    follow(page, page.get_by_role("button", name="Sign out"))
    page.wait_for_url(f"{live_server}/auth/login")


def test_keyboard_only_sign_in_and_skip_link(demo_logins, live_server, page):
    login = demo_logins[Role.AUDITOR]
    page.goto(f"{live_server}/auth/login")
    # The e-mail field has focus on arrival; the whole sign-in works from the keyboard.
    # Chromium applies autofocus on a later rendering step than "load", so wait for it
    # before typing: keys sent earlier would go nowhere.
    email = page.get_by_label("E-mail", exact=True)
    expect(email).to_be_focused()
    page.keyboard.type(login.email)
    expect(email).to_have_value(login.email)
    page.keyboard.press("Tab")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_focused()
    page.keyboard.type(login.password)
    expect(password).to_have_value(login.password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == demo.ORG_NAME
    # The first Tab on a page reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
