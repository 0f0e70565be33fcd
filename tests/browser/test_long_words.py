"""Long unbroken words wrap: no page where user text is shown grows wider than the window (headless Chromium).

Every word is as long as its field allows (a checklist note and an evidence description of 10,000 characters, a
session title and location of 200, names of 120), saved through the services as a user would save them. The
agenda's row holds five of them at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AuditStatus, ChecklistResponse, EvidenceMethod, EvidenceMode, ResponseResult, Role
from audit_app.services.fieldwork import evidence, responses
from audit_app.services.planning import agenda
from tests.conftest import TEST_PASSWORD_HASH
from tests.fixtures.accounts import PASSWORD
from tests.fixtures.browser import follow
from tests.fixtures.planning import Planning

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTE = "N" * 10_000
DESCRIPTION = "D" * 10_000
SOURCE = "S" * 300
TITLE = "T" * 200
SESSION_NOTES = "Q" * 4000
NAME = "L" * 120
FILE_NAME = "F" * 150 + ".pdf"

WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


@dataclass(frozen=True)
class Long:
    audit_id: int
    response_id: int
    admin_email: str
    auditor_email: str


@pytest.fixture
def long_words(app, library) -> Long:
    """An audit in fieldwork whose texts are single words as long as each field allows."""
    with app.app_context():
        plan = Planning(library)
        audit = plan.audit(title=TITLE)
        auditor = plan.member(audit, plan.user(Role.AUDITOR, name=NAME)).user
        auditor.email = "a" * 64 + "@" + "b" * 63 + ".example.test"  # as long as an address gets
        auditee = plan.auditee(audit, name="A" * 120)
        plan.ready(audit, AuditStatus.PREPARATION)
        session = audit.sessions[0]
        agenda.save_session(
            audit,
            agenda.SessionData(
                day=session.day,
                start_time=session.start_time,
                duration_minutes=session.duration_minutes,
                activity=session.activity,
                title=TITLE,
                notes=SESSION_NOTES,
                location=TITLE,
                item_ids=tuple(i.id for i in session.items),
                auditor_ids=(auditor.id,),
                auditee_ids=(auditee.id,),
            ),
            actor=plan.admin,
            session=session,
        )
        audit.status = AuditStatus.FIELDWORK
        responses.materialise_responses(audit)
        db.session.flush()
        response = db.session.scalars(
            sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id).order_by(ChecklistResponse.id)
        ).first()
        evidence.add_evidence(
            response,
            evidence.EvidenceData(
                EvidenceMethod.RECORD_REVIEW, EvidenceMode.ON_SITE, SOURCE, date(2026, 3, 1), DESCRIPTION
            ),
            actor=auditor,
            files=[(FILE_NAME, PDF)],
        )
        responses.save_response(
            response,
            responses.ResponseData(ResponseResult.NONCONFORMITY, notes=NOTE, expected_version=1),
            actor=auditor,
        )
        for user in (plan.admin, auditor):
            user.set_password(PASSWORD, method=TEST_PASSWORD_HASH)
        db.session.commit()
        return Long(audit.id, response.id, plan.admin.email, auditor.email)


@pytest.fixture
def second_page(browser) -> Iterator:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(f"{live_server}/")


def assert_fits(page, shows: str) -> None:
    """The page is no wider than the window, shows `shows` (the long word) and passes axe."""
    scroll_width, window_width = page.evaluate(WIDTH)
    assert scroll_width <= window_width, f"{page.url} is {scroll_width} px wide in a window of {window_width} px"
    assert shows in page.locator("main").inner_text().replace("\n", "")


def test_long_words_wrap_on_every_page_that_shows_them(long_words, live_server, page, second_page, assert_accessible):
    base = f"{live_server}/audits/{long_words.audit_id}"
    sign_in(page, live_server, long_words.admin_email)  # the administrator reads the checklist without editing it
    for url, shows in (
        (f"{base}/checklist/{long_words.response_id}", NOTE),
        (f"{base}/checklist/{long_words.response_id}", DESCRIPTION),
        (f"{base}/checklist", NAME),
        (f"{base}/agenda", TITLE),
        (f"{base}/agenda", SESSION_NOTES),
        (f"{live_server}/admin/users", NAME),
        (base, TITLE),
    ):
        page.goto(url)
        assert_fits(page, shows)
        assert_accessible(page)

    sign_in(second_page, live_server, long_words.auditor_email)  # the auditor edits the note in a text area
    second_page.goto(f"{base}/checklist/{long_words.response_id}")
    assert second_page.get_by_label("Notes").input_value() == NOTE
    assert_fits(second_page, SOURCE)
    assert_accessible(second_page)
