"""The scope and criteria pages: impartiality refusals, pinning checklist versions and choosing items."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import ChecklistItem, Role
from tests.fixtures.audit_pages import Planner


@pytest.fixture
def planner(app: Flask, library: int, make_user) -> Planner:
    return Planner(app, library, make_user(Role.ADMIN))


@pytest.fixture
def lead(make_user, login) -> int:
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


def test_scope_refuses_a_unit_a_team_member_belongs_to(client, app, planner, make_user, make_unit, login):
    home = make_unit("Model risk")
    other = make_unit("Operations")
    auditor = make_user(Role.AUDITOR, unit_id=home)
    lead_id = make_user(Role.LEAD_AUDITOR)
    audit_id = planner.audit(planner.programme(), lead_id=lead_id)
    planner.member(audit_id, auditor)
    login(lead_id)
    page = client.get(f"/audits/{audit_id}/scope").get_data(as_text=True)
    assert f'<input type="checkbox" name="unit_ids" value="{home}" id="unit-{home}">' in page
    assert f'<label for="unit-{home}">Model risk' in page

    response = client.post(f"/audits/{audit_id}/scope", data={"unit_ids": [str(home), str(other)]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert "Test auditor belongs to Model risk, which is in the audit scope." in summary
    assert "record a justified exception" in summary
    with app.app_context():
        assert planner.audit_row(audit_id).scope_units == []

    response = client.post(f"/audits/{audit_id}/scope", data={"unit_ids": [str(other)]})
    assert response.status_code == 302
    with app.app_context():
        assert [u.name for u in planner.audit_row(audit_id).scope_units] == ["Operations"]
    assert client.post(f"/audits/{audit_id}/scope", data={"unit_ids": ["abc"]}).status_code == 400
    assert client.post(f"/audits/{audit_id}/scope", data={"unit_ids": ["999999"]}).status_code == 400


def test_criteria_page_pins_a_version_then_its_items(client, app, planner, lead):
    audit_id = planner.audit(planner.programme(), lead_id=lead)
    page = client.get(f"/audits/{audit_id}/criteria").get_data(as_text=True)
    assert f'id="version-{planner.library}"' in page
    assert 'name="item_ids"' not in page  # nothing pinned yet

    response = client.post(f"/audits/{audit_id}/criteria", data={"version_ids": [str(planner.library)], "save": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/audits/{audit_id}/criteria"  # re-rendered to choose items
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Now choose its clauses and controls in scope." in page
    first, _second, third = planner.items(3)
    assert f'<input type="checkbox" name="item_ids" value="{first}" id="item-{first}">' in page
    assert 'class="depth-' in page

    data = {"version_ids": [str(planner.library)], "item_ids": [str(first), str(third)], "other_criteria": "Policy"}
    response = client.post(f"/audits/{audit_id}/criteria", data={**data, "save": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/audits/{audit_id}"
    with app.app_context():
        audit = planner.audit_row(audit_id)
        assert [i.id for i in audit.scope_items] == [first, third]
        assert [v.id for v in audit.criteria] == [planner.library]
        assert audit.criteria[0].locked
        assert audit.other_criteria == "Policy"
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert re.search(r"<td><code>[0-9a-f]{64}</code></td><td>2</td>", page)

    response = client.post(f"/audits/{audit_id}/criteria", data={**data, "select_all": "y"})
    assert response.status_code == 302
    with app.app_context():
        auditable = db.session.scalar(
            sa.select(sa.func.count(ChecklistItem.id)).where(
                ChecklistItem.version_id == planner.library, ChecklistItem.auditable.is_(True)
            )
        )
        assert len(planner.audit_row(audit_id).scope_items) == auditable > 3


def test_criteria_page_refuses_a_grouping_node(client, app, planner, lead):
    audit_id = planner.audit(planner.programme(), lead_id=lead)
    with app.app_context():
        group = db.session.scalar(
            sa.select(ChecklistItem).where(
                ChecklistItem.version_id == planner.library, ChecklistItem.auditable.is_(False)
            )
        )
        group_id, group_ref = group.id, group.ref
    data = {"version_ids": [str(planner.library)], "item_ids": [str(group_id)], "save": "y"}
    response = client.post(f"/audits/{audit_id}/criteria", data=data)
    assert response.status_code == 400
    assert f"Choose their controls instead: {group_ref}" in response.get_data(as_text=True)
    with app.app_context():
        assert planner.audit_row(audit_id).criteria == []
