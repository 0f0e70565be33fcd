"""The due-date panel and extension pages: the auditee asks on the finding page, the lead auditor decides."""

from __future__ import annotations

import html
from datetime import timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DueExtension, DueStep, ExtensionStatus, FindingStatus, OrgUnit, Role, User
from audit_app.services.findings import dues
from tests.fixtures.findings import Findings


def _issued(app, world):
    with app.app_context():
        f = Findings(world)
        finding = f.to(f.draft(), FindingStatus.ISSUED)
        due = dues.current(finding, DueStep.ACKNOWLEDGE)
        db.session.commit()
        return finding.id, due.id, due.due_on


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_auditee_asks_and_the_lead_approves_through_the_pages(app, client, login, fw_world):
    finding_id, due_id, due_on = _issued(app, fw_world)
    login(fw_world.auditee_id)
    page = _text(client.get(f"/findings/{finding_id}"))
    assert "Due dates" in page
    assert "Ask to move this date" in page
    url = f"/findings/{finding_id}/dues/{due_id}/extension"
    asked = (due_on + timedelta(days=7)).isoformat()
    bad = client.post(url, data={"requested_due_on": due_on.isoformat(), "reason": "Owner on leave."})
    assert bad.status_code == 400
    assert "after the current due date" in _text(bad)
    assert client.post(url, data={"requested_due_on": asked, "reason": "Owner on leave."}).status_code == 302
    again = client.post(url, data={"requested_due_on": asked, "reason": "Again."})
    assert again.status_code == 409  # one request waits at a time
    with app.app_context():
        extension_id = db.session.scalar(sa.select(DueExtension.id))

    login(fw_world.auditor_id)  # on the team, but not the reviewer
    decide = f"/findings/{finding_id}/extensions/{extension_id}"
    assert client.post(decide, data={"decision": "approve"}).status_code == 403

    login(fw_world.lead_id)
    page = _text(client.get(f"/findings/{finding_id}"))
    assert "Owner on leave." in page
    assert "Decision on this request" in page
    refused = client.post(decide, data={"decision": "refuse", "reason": ""})
    assert refused.status_code == 400  # a refusal needs a reason
    assert client.post(decide, data={"decision": "approve", "reason": "Fine."}).status_code == 302
    with app.app_context():
        extension = db.session.get(DueExtension, extension_id)
        assert extension.status is ExtensionStatus.APPROVED
        assert extension.due.due_on.isoformat() == asked
        assert extension.due.original_due_on == due_on
    page = _text(client.get(f"/findings/{finding_id}"))
    assert "Extended; originally" in page
    assert "Approved" in page


def test_an_overdue_date_is_written_in_words(app, client, login, fw_world):
    finding_id, due_id, _due_on = _issued(app, fw_world)
    with app.app_context():
        from audit_app.models import DueDate

        db.session.get(DueDate, due_id).due_on = dues.today() - timedelta(days=2)
        db.session.commit()
    login(fw_world.auditee_id)
    page = " ".join(_text(client.get(f"/findings/{finding_id}")).split())
    assert "! OVERDUE</span> by 2 day(s)" in page


def test_another_units_auditee_cannot_ask(app, client, login, fw_world):
    finding_id, due_id, _ = _issued(app, fw_world)
    login(fw_world.stranger_id)
    assert client.get(f"/findings/{finding_id}/dues/{due_id}/extension").status_code == 404  # cannot see it


def test_an_admin_names_the_units_manager(app, client, login, fw_world):
    login(fw_world.admin_id)
    with app.app_context():
        unit = db.session.get(OrgUnit, fw_world.unit_id)
        data = {"name": unit.name, "kind": unit.kind.value, "parent_id": "", "active": "y"}
        inactive = User(email="gone@example.test", name="Gone", role=Role.AUDITEE, active=False)
        db.session.add(inactive)
        db.session.commit()
        inactive_id = inactive.id
    url = f"/organisation/units/{fw_world.unit_id}/edit"
    assert "Manager" in _text(client.get(url))
    refused = client.post(url, data={**data, "manager_id": str(inactive_id)})
    assert refused.status_code == 400
    assert client.post(url, data={**data, "manager_id": str(fw_world.viewer_id)}).status_code == 302
    with app.app_context():
        assert db.session.get(OrgUnit, fw_world.unit_id).manager_id == fw_world.viewer_id
        manager_name = db.session.get(User, fw_world.viewer_id).name
    assert manager_name in _text(client.get("/organisation/units"))
    assert client.post(url, data={**data, "manager_id": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(OrgUnit, fw_world.unit_id).manager_id is None


def test_the_api_sets_a_units_manager_and_a_programmes_profile(app, client, token_for, fw_world):
    admin = token_for(fw_world.admin_id)
    url = f"/api/v1/org-units/{fw_world.unit_id}"
    answer = client.patch(url, json={"manager_id": fw_world.viewer_id}, headers=admin)
    assert answer.status_code == 200
    assert answer.get_json()["manager_id"] == fw_world.viewer_id
    assert client.patch(url, json={"description": "kept"}, headers=admin).get_json()["manager_id"] == fw_world.viewer_id
    assert client.patch(url, json={"manager_id": 999999}, headers=admin).status_code == 422
    with app.app_context():
        programme_id = Findings(fw_world).audit.programme_id
    url = f"/api/v1/programmes/{programme_id}"
    assert client.get(url, headers=admin).get_json()["certification_profile"] is False
    answer = client.patch(url, json={"certification_profile": True}, headers=admin)
    assert answer.status_code == 200
    assert answer.get_json()["certification_profile"] is True
    assert client.patch(url, json={"title": "Renamed"}, headers=admin).get_json()["certification_profile"] is True
