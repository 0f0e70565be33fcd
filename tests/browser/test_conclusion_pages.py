"""The lead auditor reads the demo's preparation and conclusions, and starts fieldwork through the confirmation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app import demo
from audit_app.demo.planning import load_demo_programme
from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, Role
from audit_app.services.library import checklists
from audit_app.services.notifications.reminders import local_now
from tests.fixtures.browser import follow

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_world(app, tmp_path):
    with app.app_context():
        checklists.load_built_in()
        found = demo.load_demo(tmp_path / "demo_credentials.txt")
        load_demo_programme(local_now(app.config["ORG_TIMEZONE"]).date())
        db.session.commit()
        ids = {a.status: a.id for a in db.session.scalars(sa.select(Audit))}
    return {login.role: login for login in found}, ids


def test_lead_auditor_reads_conclusions_and_confirms_the_fieldwork_warnings(
    demo_world, live_server, page, assert_accessible
):
    logins, ids = demo_world
    lead = logins[Role.LEAD_AUDITOR]
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(lead.email)
    page.get_by_label("Password").fill(lead.password)
    follow(page, page.get_by_role("button", name="Sign in"))

    closed = f"{live_server}/audits/{ids[AuditStatus.CLOSED]}"
    page.goto(f"{closed}/preparation")
    assert page.get_by_role("rowheader", name="Competence matrix for AI roles").is_visible()
    assert_accessible(page)
    page.goto(f"{closed}/conclusions")
    assert page.get_by_text("Partly fulfilled (nonconformities)").first.is_visible()
    assert_accessible(page)

    preparing = f"{live_server}/audits/{ids[AuditStatus.PREPARATION]}"
    page.goto(preparing)
    follow(page, page.get_by_role("link", name="Move to fieldwork…"))
    assert page.get_by_role("heading", name="What freezes when fieldwork starts").is_visible()
    assert_accessible(page)
    # The demo's next audit still waits for a declaration: listed first, and nothing can be confirmed yet.
    assert "Declarations of independence are still missing from: Omar Auditor." in page.content()
    assert page.get_by_role("button", name="Start fieldwork").count() == 0
    assert page.get_by_role("heading", name="Open warnings").is_visible()
