"""Organisation pages: everyone reads; admins create and edit through forms with errors beside the fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import AIRole, AISystem, Organisation, OrgUnit, RiskLevel, Role, UnitKind
from audit_app.services import org

#: A day that is in the future wherever the organisation is.
FUTURE = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()

NON_ADMINS = [Role.LEAD_AUDITOR, Role.AUDITOR, Role.AUDITEE, Role.VIEWER]


def unit_form(**changes: str) -> dict[str, str]:
    return {
        "name": "Claims processing",
        "kind": "process",
        "parent_id": "",
        "description": "",
        "active": "y",
        **changes,
    }


def system_form(owner_unit_id: int, **changes: str | list[str] | None) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str] | None] = {
        "name": "Claims triage model",
        "purpose": "Sorts incoming claims by urgency.",
        "roles": ["deployer"],
        "supplier": "",
        "version": "",
        "in_production_on": "",
        "impact_assessment_ref": "",
        "risk_level": "high",
        "owner_unit_id": str(owner_unit_id),
        "lifecycle_stage": "deployment",
        "in_scope": "y",
        "scope_note": "",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def units(app: Flask) -> dict[str, tuple[UnitKind, int | None, str]]:
    with app.app_context():
        return {u.name: (u.kind, u.parent_id, u.description) for u in db.session.scalars(sa.select(OrgUnit))}


def systems(app: Flask) -> dict[str, tuple]:
    with app.app_context():
        return {
            s.name: (s.risk_level, s.owner_unit_id, s.in_scope, s.scope_note, s.purpose)
            for s in db.session.scalars(sa.select(AISystem))
        }


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_organisation_pages(client, make_user, login, make_unit, make_system, role):
    unit_id = make_unit("Underwriting")
    system_id = make_system("Fraud scorer", owner_unit_id=unit_id, risk=RiskLevel.HIGH)
    login(make_user(role))
    pages = {  # path: (text shown to everyone, link shown to administrators only)
        "/organisation/": ("AIMS scope statement", "/organisation/edit"),
        "/organisation/units": ("Underwriting", f"/organisation/units/{unit_id}/edit"),
        "/organisation/ai-systems": ("Fraud scorer", "/organisation/ai-systems/new"),
        f"/organisation/ai-systems/{system_id}": ("Ranks incoming support tickets.", f"/{system_id}/edit"),
    }
    for path, (text, admin_link) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert text in page, path
        assert (admin_link + '"' in page) is (role is Role.ADMIN), path


def test_unknown_system_is_404(client, admin):
    assert client.get("/organisation/ai-systems/999999").status_code == 404
    assert client.get("/organisation/units/999999/edit").status_code == 404


def test_admin_creates_and_edits_a_unit(client, app, admin, activity_rows):
    assert client.get("/organisation/units/new").status_code == 200
    response = client.post("/organisation/units/new", data=unit_form(description="Handles first notice of loss."))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organisation/units"
    assert units(app) == {"Claims processing": (UnitKind.PROCESS, None, "Handles first notice of loss.")}
    with app.app_context():
        claims_id = db.session.scalar(sa.select(OrgUnit.id))
    (created,) = activity_rows("org_unit.created")
    assert (created.actor_id, created.subject_type, created.subject_id) == (admin, "OrgUnit", claims_id)

    client.post("/organisation/units/new", data=unit_form(name="Operations", kind="department"))
    with app.app_context():
        ops_id = db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.name == "Operations"))
    page = client.get(f"/organisation/units/{claims_id}/edit").get_data(as_text=True)
    assert 'value="Claims processing"' in page

    response = client.post(
        f"/organisation/units/{claims_id}/edit", data=unit_form(name="Claims handling", parent_id=str(ops_id))
    )
    assert response.status_code == 302
    assert units(app)["Claims handling"] == (UnitKind.PROCESS, ops_id, "")
    (updated,) = activity_rows("org_unit.updated")
    assert (updated.actor_id, updated.subject_id, updated.details["name"]) == (admin, claims_id, "Claims handling")
    assert "Operations" in client.get("/organisation/units").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "Bell\x07ringing"}, "Remove the control characters (often pasted from a PDF or terminal)."),
        ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"name": "EXISTING unit"}, "An org unit with this name already exists."),
    ],
)
def test_unit_errors_are_shown_beside_the_field(
    client, app, admin, make_unit, activity_rows, field_errors, changes, message
):
    make_unit("Existing unit")
    before, trail = units(app), activity_rows()
    response = client.post("/organisation/units/new", data=unit_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_errors(page, "name")
    assert "There is a problem" in page
    assert units(app) == before
    assert len(activity_rows()) == len(trail)


def test_control_characters_in_the_description_are_refused(client, app, admin, field_errors):
    response = client.post("/organisation/units/new", data=unit_form(description="copied\x0cfrom a PDF"))
    assert response.status_code == 400
    assert "control characters" in " ".join(field_errors(response.get_data(as_text=True), "description"))
    assert units(app) == {}


def test_a_unit_cannot_become_its_own_ancestor(client, app, admin, make_unit, activity_rows, field_errors):
    top = make_unit("Group")
    middle = make_unit("Division")
    bottom = make_unit("Team")
    for child, parent in ((middle, top), (bottom, middle)):
        with app.app_context():
            db.session.get(OrgUnit, child).parent_id = parent
            db.session.commit()
    before = units(app)

    response = client.post(f"/organisation/units/{top}/edit", data=unit_form(name="Group", parent_id=str(bottom)))
    assert response.status_code == 400
    assert "Choose a unit that is not below this one." in field_errors(response.get_data(as_text=True), "parent_id")

    # The unit itself is not even offered as its own parent.
    response = client.post(f"/organisation/units/{top}/edit", data=unit_form(name="Group", parent_id=str(top)))
    assert response.status_code == 400
    assert "Not a valid choice." in field_errors(response.get_data(as_text=True), "parent_id")
    assert units(app) == before
    assert activity_rows("org_unit.updated") == []


def test_admin_creates_and_edits_an_ai_system(client, app, admin, make_unit, activity_rows):
    owner = make_unit("Claims")
    other = make_unit("Operations")
    assert client.get("/organisation/ai-systems/new").status_code == 200
    response = client.post("/organisation/ai-systems/new", data=system_form(owner))
    assert response.status_code == 302
    with app.app_context():
        system_id = db.session.scalar(sa.select(AISystem.id))
    assert response.headers["Location"] == f"/organisation/ai-systems/{system_id}"
    assert systems(app)["Claims triage model"] == (RiskLevel.HIGH, owner, True, "", "Sorts incoming claims by urgency.")
    (created,) = activity_rows("ai_system.created")
    assert (created.actor_id, created.subject_id) == (admin, system_id)

    response = client.post(
        f"/organisation/ai-systems/{system_id}/edit",
        data=system_form(other, risk_level="critical", in_scope=None, scope_note="Pilot run by a supplier."),
    )
    assert response.status_code == 302
    assert systems(app)["Claims triage model"][:4] == (RiskLevel.CRITICAL, other, False, "Pilot run by a supplier.")
    (updated,) = activity_rows("ai_system.updated")
    assert updated.details["changes"]["risk_level"] == ["high", "critical"]
    assert updated.details["changes"]["owner_unit_id"] == [owner, other]
    assert updated.details["changes"]["in_scope"] == [True, False]
    page = client.get(f"/organisation/ai-systems/{system_id}").get_data(as_text=True)
    assert "Out of scope" in page
    assert "Pilot run by a supplier." in page


def test_saving_an_unchanged_system_writes_no_activity(client, app, admin, make_unit, activity_rows):
    owner = make_unit("Claims")
    client.post("/organisation/ai-systems/new", data=system_form(owner))
    with app.app_context():
        system_id = db.session.scalar(sa.select(AISystem.id))
    assert client.post(f"/organisation/ai-systems/{system_id}/edit", data=system_form(owner)).status_code == 302
    assert activity_rows("ai_system.updated") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"in_scope": None, "scope_note": ""}, "scope_note", "A system outside the scope needs a reason."),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "Triage\x07bot"}, "name", "Remove the control characters (often pasted from a PDF or terminal)."),
        ({"name": "y" * 121}, "name", "Field cannot be longer than 120 characters."),
        ({"name": "existing SYSTEM"}, "name", "An AI system with this name already exists."),
        ({"purpose": ""}, "purpose", "This field is required."),
        ({"risk_level": "extreme"}, "risk_level", "Not a valid choice."),
        ({"roles": None}, "roles", "Choose at least one role the organisation holds towards the system."),
        ({"roles": ["deployer", "overlord"]}, "roles", "'overlord' is not a valid choice for this field."),
        (
            {"supplier": "Acme\x07 Ltd"},
            "supplier",
            "Remove the control characters (often pasted from a PDF or terminal).",
        ),
        ({"supplier": "s" * 201}, "supplier", "Field cannot be longer than 200 characters."),
        ({"version": "2.1\x1b[0m"}, "version", "Remove the control characters (often pasted from a PDF or terminal)."),
        ({"impact_assessment_ref": "r" * 201}, "impact_assessment_ref", "Field cannot be longer than 200 characters."),
        ({"in_production_on": "2026-02-30"}, "in_production_on", "Not a valid date value."),
        (
            {"in_production_on": FUTURE},
            "in_production_on",
            "The in-production date cannot be in the future: record it once the system is in production.",
        ),
    ],
)
def test_system_errors_are_shown_beside_the_field(
    client, app, admin, make_unit, make_system, activity_rows, field_errors, changes, field, message
):
    owner = make_unit("Claims")
    make_system("Existing system", owner_unit_id=owner)
    before, trail = systems(app), activity_rows()
    response = client.post("/organisation/ai-systems/new", data=system_form(owner, **changes))
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert systems(app) == before
    assert len(activity_rows()) == len(trail)


def test_admin_edits_the_profile(client, app, admin, activity_rows):
    response = client.post("/organisation/edit", data={"name": "ACME Insurance", "scope_statement": "All AI systems."})
    assert response.status_code == 302
    page = client.get("/organisation/").get_data(as_text=True)
    assert "ACME Insurance" in page
    assert "All AI systems." in page
    (entry,) = activity_rows("organisation.updated")
    assert entry.actor_id == admin


@pytest.mark.parametrize("role", NON_ADMINS)
def test_non_admins_cannot_change_anything(client, app, make_user, login, make_unit, make_system, activity_rows, role):
    unit_id = make_unit("Underwriting")
    system_id = make_system("Fraud scorer", owner_unit_id=unit_id)
    login(make_user(role))
    before_units, before_systems, trail = units(app), systems(app), activity_rows()
    posts = {
        "/organisation/units/new": unit_form(),
        f"/organisation/units/{unit_id}/edit": unit_form(name="Renamed"),
        "/organisation/ai-systems/new": system_form(unit_id, name="Another"),
        f"/organisation/ai-systems/{system_id}/edit": system_form(unit_id, name="Renamed system"),
        "/organisation/edit": {"name": "Hijacked", "scope_statement": ""},
    }
    for path, data in posts.items():
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        assert "You do not have access to this page" in response.get_data(as_text=True)
    assert units(app) == before_units
    assert systems(app) == before_systems
    assert len(activity_rows()) == len(trail)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def roles_of(app: Flask, name: str) -> list[AIRole]:
    with app.app_context():
        system = db.session.scalar(sa.select(AISystem).where(AISystem.name == name))
        assert system is not None
        return system.roles


def test_a_system_holds_several_roles_and_its_details_are_shown(client, app, admin, make_unit, activity_rows):
    owner = make_unit("Credit Risk")
    data = system_form(
        owner,
        roles=["user", "developer"],
        supplier="Lumen Models Ltd",
        version="4.2",
        in_production_on="2023-05-02",
        impact_assessment_ref="AISIA-2025-001",
    )

    response = client.post("/organisation/ai-systems/new", data=data)

    assert response.status_code == 302
    assert roles_of(app, "Claims triage model") == [AIRole.DEVELOPER, AIRole.USER]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Developer, User" in page
    for shown in ("Lumen Models Ltd", "4.2", '<time datetime="2023-05-02">02 May 2023</time>', "AISIA-2025-001"):
        assert shown in page
    listing = client.get("/organisation/ai-systems").get_data(as_text=True)
    assert "Developer, User" in listing
    (created,) = activity_rows("ai_system.created")
    assert created.details["roles"] == ["developer", "user"]

    edit_url = f"{response.headers['Location']}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    assert '<input checked id="roles-1" name="roles" type="checkbox" value="developer">' in form
    assert '<input checked id="roles-4" name="roles" type="checkbox" value="user">' in form
    assert form.count("checked") == 3  # developer, user and "in the AIMS scope"
    assert 'value="2023-05-02"' in form

    changed = client.post(edit_url, data=data | {"roles": ["developer"], "in_production_on": "", "version": "4.3"})
    assert changed.status_code == 302
    assert roles_of(app, "Claims triage model") == [AIRole.DEVELOPER]
    (updated,) = activity_rows("ai_system.updated")
    assert updated.details["changes"]["roles"] == [["developer", "user"], ["developer"]]
    assert updated.details["changes"]["in_production_on"] == ["2023-05-02", None]
    assert updated.details["changes"]["version"] == ["4.2", "4.3"]


def test_the_role_choices_are_a_labelled_group_of_checkboxes(client, admin):
    form = client.get("/organisation/ai-systems/new").get_data(as_text=True)

    assert '<fieldset class="field" id="roles" aria-describedby="roles-hint">' in form
    assert "<legend>Our roles towards the system" in form
    for position, role in enumerate(AIRole):
        assert f'<label for="roles-{position}">{role.label}</label>' in form
    assert 'id="in_production_on" name="in_production_on" type="date"' in form


def test_an_in_production_date_of_today_is_accepted(client, app, admin, make_unit):
    owner = make_unit("Claims")
    with app.app_context():
        today = org.org_today()

    response = client.post("/organisation/ai-systems/new", data=system_form(owner, in_production_on=today.isoformat()))

    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalar(sa.select(AISystem.in_production_on))
    assert stored == today
    assert isinstance(stored, date)
