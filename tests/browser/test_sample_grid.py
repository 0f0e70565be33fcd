"""The sample results grid in headless Chromium: 25 results in one submit, nothing typed lost when a row is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import AuditStatus, PopulationSource, Role, SampleItem, SampleItemResult, SampleMethod, SizeBasis
from audit_app.services import accounts
from audit_app.services.library import checklists
from audit_app.services.sampling import populations, samples
from tests.fixtures.browser import follow
from tests.fixtures.planning import Planning

pytestmark = pytest.mark.browser

SIZE = 25


@pytest.fixture
def drawn_sample(app, tmp_path):
    """A whole-population sample of 25 access reviews, drawn, on an audit in fieldwork; (url path, login, keys)."""
    with app.app_context():
        version_id = checklists.load_built_in()[0].version.id
        logins = {login.role: login for login in demo.load_demo(tmp_path / "demo_credentials.txt")}
        plan = Planning(version_id)
        audit = plan.audit(title="Access reviews")
        auditor = accounts.find_by_email(logins[Role.AUDITOR].email)
        plan.member(audit, auditor)
        plan.ready(audit, AuditStatus.FIELDWORK)
        data = samples.SampleData(
            "Quarterly access reviews", "Each review is signed by the owner.", "reviews", (audit.scope_items[0].id,)
        )
        sample = samples.create_sample(audit, data, actor=auditor)
        typed = "\n".join(f"AR-{i:02d}, Access review {i}" for i in range(1, SIZE + 1))
        populations.set_population(
            sample,
            populations.PopulationData(PopulationSource.TYPED, typed=typed, completeness_check="25 in the register."),
            actor=auditor,
        )
        samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
        samples.draw(sample, actor=auditor)
        keys = [item.key for item in sample.items]
        db.session.commit()
        return f"/audits/{audit.id}/samples/{sample.id}", logins[Role.AUDITOR], keys, sample.id


def results(app, sample_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(sa.select(SampleItem.key, SampleItem.result).where(SampleItem.sample_id == sample_id))
        return {key: result.value for key, result in rows}


def test_the_grid_saves_25_results_at_once_and_keeps_every_typed_value_when_a_row_is_refused(
    app, drawn_sample, live_server, page, assert_accessible
):
    path, login, keys, sample_id = drawn_sample
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    follow(page, page.get_by_role("button", name="Sign in"))
    page.goto(f"{live_server}{path}")
    assert_accessible(page)

    # Every row typed: row 3 cannot be examined but has no note (refused); row 5 deviates with a note.
    chosen = dict.fromkeys(keys, "conforming")
    chosen[keys[2]], chosen[keys[4]] = "not_testable", "deviation"
    notes = {keys[4]: "Signed by a deputy without delegation.", keys[10]: "Signed late, within tolerance."}
    for key in keys:
        page.get_by_label(f"A1 for {key}").select_option(chosen[key])
    for key, note in notes.items():
        page.get_by_label(f"Note for {key}").fill(note)
    follow(page, page.get_by_role("button", name="Save all"))

    text = page.locator("main").inner_text()
    assert "Nothing was saved: 1 row refused (row 3 (AR-03))" in text
    assert "Refused: Say why the item cannot be examined" in text
    for key in keys:  # every typed value is still there, the refused row's and the others'
        assert page.get_by_label(f"A1 for {key}").input_value() == chosen[key], key
    for key, note in notes.items():
        assert page.get_by_label(f"Note for {key}").input_value() == note
    assert set(results(app, sample_id).values()) == {SampleItemResult.PENDING.value}
    assert_accessible(page)

    # Give the reason on the refused row and save all 25 in one submit.
    page.get_by_label(f"Note for {keys[2]}").fill("Review file archived off-site; not retrievable this week.")
    follow(page, page.get_by_role("button", name="Save all"))
    assert f"Saved {SIZE} item(s)." in page.locator("main").inner_text()
    stored = results(app, sample_id)
    assert stored == chosen
    assert page.get_by_label(f"A1 for {keys[4]}").input_value() == "deviation"
    assert_accessible(page)
