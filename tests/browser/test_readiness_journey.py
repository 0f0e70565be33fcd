"""The admin's readiness journey in headless Chromium: every stage 1 rule passes except the Statement of
Applicability; the dashboard says stage 1 is not ready and names the SoA; the admin completes the SoA (two controls
in the browser, one through the service to stay fast), approves it, and the dashboard turns stage 1 to ready.

The organisation is the readiness tests' "everything ready" world, with its SoA turned back into a draft whose
three entries are blank. Every page on the way is scanned with axe-core.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import User
from audit_app.models.soa import Implementation, SoaEntry, SoaStatus, SoaVersion
from audit_app.services.soa import versions
from audit_app.services.soa.versions import EntryInput
from tests.conftest import TEST_PASSWORD_HASH
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.browser import follow
from tests.fixtures.planning import Planning
from tests.readiness.world import build_ready

pytestmark = pytest.mark.browser

BLANK = ("A.2.2", "A.2.3", "A.6.1.2")


@pytest.fixture
def almost_ready(app, library):
    """The ready world with its SoA a draft and three entries blank; (admin e-mail, SoA id, unit id, system id)."""
    with app.app_context():
        plan = Planning(library)
        world = build_ready(plan)
        version = db.session.get(SoaVersion, world.soa_id)
        version.status = SoaStatus.DRAFT
        version.approved_at = None
        for entry in db.session.scalars(
            sa.select(SoaEntry).where(SoaEntry.version_id == version.id, SoaEntry.control_ref.in_(BLANK))
        ):
            entry.applicable = None
            entry.justification = ""
            entry.implementation = None
            entry.addresses = ""
        admin = plan.admin
        admin.set_password(PASSWORD, method=TEST_PASSWORD_HASH)
        db.session.commit()
        return admin.email, version.id, world.unit_id, world.system_id


def test_admin_completes_and_approves_the_soa_and_stage_1_turns_ready(
    app, almost_ready, live_server, page, assert_accessible
):
    email, soa_id, unit_id, system_id = almost_ready
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))

    # The dashboard: stage 1 not ready, and the SoA is what blocks it.
    page.goto(f"{live_server}/readiness/")
    assert "Not ready" in page.locator("#stage1-verdict").inner_text()
    assert page.locator("#rule-S1-SOA").get_attribute("data-passed") == "no"
    assert "No SoA version was approved." in page.locator("#rule-S1-SOA").inner_text()
    failing = page.locator("#stage1-rules tr[data-passed='no']")
    assert failing.count() == 1
    assert_accessible(page)

    # To the SoA through the navigation, then the draft.
    follow(page, page.get_by_role("link", name="Statement of Applicability"))
    assert page.get_by_role("heading", name="Statement of Applicability", level=1).is_visible()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="continue version 1"))
    assert "! Not complete" in page.locator("#completeness").inner_text()
    assert "35 of 38 controls complete" in page.locator("#completeness").inner_text()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Incomplete"))
    assert page.locator("#soa-entries tbody tr").count() == 3
    assert_accessible(page)

    # Two controls filled in the browser.
    for ref, applicable in (("A.2.2", True), ("A.6.1.2", False)):
        follow(page, page.get_by_role("link", name=ref, exact=True))
        assert page.get_by_role("heading", level=1).inner_text().startswith(ref)
        assert_accessible(page)
        if applicable:
            page.get_by_label("Decision").select_option(label="Applicable")
            page.get_by_label("Justification").fill(
                "Our credit scoring is AI based, so the AI policy (R-1) frames every model we run."
            )
            page.get_by_label("Implementation status").select_option(label="Implemented")
            page.get_by_label("Risks it addresses").fill("R-1")
            page.get_by_label("AI systems it addresses").select_option(str(system_id))
        else:
            page.get_by_label("Decision").select_option(label="Excluded")
            page.get_by_label("Justification").fill(
                "We buy every model ready-made and develop none, so development objectives have nothing to govern."
            )
        page.get_by_label("Owner unit").select_option(str(unit_id))
        page.get_by_label("Last reviewed").fill("2026-11-30")
        follow(page, page.get_by_role("button", name="Save the entry"))
        assert f"{ref} saved." in page.locator("body").inner_text()

    # The last one through the service, as another session would.
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == email))
        version = db.session.get(SoaVersion, soa_id)
        entry = db.session.scalar(
            sa.select(SoaEntry).where(SoaEntry.version_id == soa_id, SoaEntry.control_ref == "A.2.3")
        )
        versions.update_entry(
            admin,
            version,
            entry,
            EntryInput(
                applicable=True,
                justification="Our AI policy must match the privacy and model-risk policies we already run (R-2).",
                implementation=Implementation.IN_PROGRESS,
                owner_unit_id=unit_id,
                addresses="R-2",
            ),
            revision=None,
        )
        db.session.commit()

    page.goto(f"{live_server}/soa/{soa_id}")
    assert "✓ Complete" in page.locator("#completeness").inner_text()
    follow(page, page.locator("#approve-link"))
    assert page.get_by_role("heading", name="Approve version 1 of the Statement of Applicability").is_visible()
    assert page.locator("#blocking").count() == 0
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Approve this version"))
    assert "Version 1 approved. It is now frozen." in page.locator("body").inner_text()
    assert "This version is frozen." in page.locator("#approval").inner_text()
    assert_accessible(page)

    # Back on the dashboard: stage 1 is ready.
    page.goto(f"{live_server}/readiness/")
    assert "Ready" in page.locator("#stage1-verdict").inner_text()
    assert "Not ready" not in page.locator("#stage1-verdict").inner_text()
    assert page.locator("#rule-S1-SOA").get_attribute("data-passed") == "yes"
    assert page.locator("#stage1-rules tr[data-passed='no']").count() == 0
    assert_accessible(page)
    with app.app_context():
        assert db.session.get(SoaVersion, soa_id).status is SoaStatus.APPROVED
