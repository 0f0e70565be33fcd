"""Administration pages: user accounts, checklist upload and the activity log."""

from __future__ import annotations

import io
import re
import textwrap

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.config import PROJECT_ROOT
from audit_app.extensions import db
from audit_app.models import Activity, Checklist, ChecklistItem, ChecklistVersion, Role, User
from tests.fixtures.accounts import PASSWORD

NEW_USER_PASSWORD = "a fresh initial passphrase"


def user_form(**changes: str) -> dict[str, str]:
    form = {"email": "Bea.Auditee@Example.test", "name": "Bea Auditee", "role": "auditor", "org_unit_id": ""}
    return {**form, "password": NEW_USER_PASSWORD, **changes}


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_admin_creates_a_user(client, app, admin, make_unit, activity_rows):
    unit_id = make_unit("Claims")
    assert client.get("/admin/users/new").status_code == 200
    response = client.post("/admin/users/new", data=user_form(role="auditee", org_unit_id=str(unit_id)))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    user = user_row(app, "bea.auditee@example.test")  # stored lower-case
    assert (user.name, user.role, user.org_unit_id, user.active) == ("Bea Auditee", Role.AUDITEE, unit_id, True)
    assert user.check_password(NEW_USER_PASSWORD)
    (entry,) = activity_rows("user.created")[-1:]
    assert (entry.actor_id, entry.subject_id, entry.details["role"]) == (admin, user.id, "auditee")

    page = client.get("/admin/users").get_data(as_text=True)
    assert "bea.auditee@example.test" in page
    assert "Claims" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "too short 1"}, "password", "Use at least 12 characters."),
        ({"role": "auditee"}, "org_unit_id", "Auditees belong to an org unit: choose one."),
        ({"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
        ({"name": "Bea\x07"}, "name", "Remove the control characters (often pasted from a PDF or terminal)."),
        ({"role": "superuser"}, "role", "Not a valid choice."),
    ],
)
def test_invalid_new_user_is_refused(client, app, admin, field_errors, changes, field, message):
    users_before = count(app, User)
    response = client.post("/admin/users/new", data=user_form(**changes))
    assert response.status_code == 400
    assert message in field_errors(response.get_data(as_text=True), field)
    assert count(app, User) == users_before


def test_duplicate_email_is_refused(client, app, admin, make_user, field_errors):
    make_user(Role.VIEWER, email="bea.auditee@example.test")
    users_before = count(app, User)
    response = client.post("/admin/users/new", data=user_form(email="BEA.AUDITEE@example.test"))
    assert response.status_code == 400
    assert "An account with this e-mail already exists." in field_errors(response.get_data(as_text=True), "email")
    assert count(app, User) == users_before


def test_admin_changes_role_and_unit(client, app, admin, make_user, make_unit, activity_rows):
    unit_id = make_unit("Claims")
    user_id = make_user(Role.AUDITOR, email="carl@example.test")
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "carl@example.test" in page
    response = client.post(
        f"/admin/users/{user_id}", data={"name": "Carl Lead", "role": "lead_auditor", "org_unit_id": str(unit_id)}
    )
    assert response.status_code == 302
    user = user_row(app, "carl@example.test")
    assert (user.name, user.role, user.org_unit_id) == ("Carl Lead", Role.LEAD_AUDITOR, unit_id)
    assert user.session_version == 2  # the role change signs the user out
    (entry,) = activity_rows("user.updated")
    assert (entry.actor_id, entry.subject_id) == (admin, user_id)
    assert entry.details["changes"] == {
        "name": ["Test auditor", "Carl Lead"],
        "role": ["auditor", "lead_auditor"],
        "org_unit_id": [None, str(unit_id)],
    }
    assert "user.updated by Test admin" in client.get(f"/admin/users/{user_id}").get_data(as_text=True)


def test_deactivate_and_reactivate_a_user(client, app, admin, make_user, token_for, activity_rows):
    user_id = make_user(Role.AUDITOR, email="dora@example.test")
    headers = token_for(user_id)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    response = client.post(f"/admin/users/{user_id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user_id}"
    assert user_row(app, "dora@example.test").active is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    other = app.test_client()
    assert other.post("/auth/login", data={"email": "dora@example.test", "password": PASSWORD}).status_code == 401
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "Account dora@example.test deactivated." in page
    assert "Reactivate account" in page

    assert client.post(f"/admin/users/{user_id}/active", data={"active": "1"}).status_code == 302
    assert user_row(app, "dora@example.test").active is True
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == "dora@example.test"
    assert [e.action for e in activity_rows() if e.subject_id == user_id and e.subject_type == "User"][-2:] == [
        "user.deactivated",
        "user.activated",
    ]


def test_admin_cannot_deactivate_themself(client, app, admin):
    response = client.post(f"/admin/users/{admin}/active", data={"active": "0"}, follow_redirects=True)
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin).active is True
    assert client.get("/admin/users").status_code == 200  # still signed in


def test_admin_cannot_demote_themself(client, app, admin, field_errors):
    response = client.post(f"/admin/users/{admin}", data={"name": "Test admin", "role": "auditor", "org_unit_id": ""})
    assert response.status_code == 400
    assert "Ask another administrator to change your role." in field_errors(response.get_data(as_text=True), "role")
    with app.app_context():
        assert db.session.get(User, admin).role is Role.ADMIN


POLICY = textwrap.dedent(
    """\
    checklist:
      code: acme-ai-policy
      title: ACME AI policy
      version: "1.0"
    items:
      - id: POL-1
        title: Approval of new AI use cases
        kind: requirement
        parent: null
        questions:
          - Who approves a new AI use case?
          - Where is the approval recorded?
          - What happens when a use case changes?
        evidence:
          records: [Approval records for two recent use cases]
        related: [POL-2]
      - id: POL-2
        title: Register of AI use cases
        kind: requirement
        parent: POL-1
        questions:
          - Who keeps the register?
          - How often is it reviewed?
          - Can you show the last review?
        evidence:
          documents: [The register]
    """
)


def upload(client, data: bytes, filename: str = "ai-policy.yaml"):
    return client.post(
        "/admin/checklists/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def test_upload_a_valid_checklist(client, app, admin, activity_rows):
    assert client.get("/admin/checklists/import").status_code == 200
    response = upload(client, POLICY.encode())
    assert response.status_code == 302
    with app.app_context():
        version = db.session.scalar(sa.select(ChecklistVersion))
        assert (version.checklist.code, version.version, version.loaded_by_id) == ("acme-ai-policy", "1.0", admin)
        assert [i.ref for i in version.items] == ["POL-1", "POL-2"]
        version_id = version.id
    assert response.headers["Location"] == f"/library/{version_id}/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checklist acme-ai-policy 1.0: created (2 items" in page
    assert "Approval of new AI use cases" in page
    (entry,) = activity_rows("checklist.created")
    assert entry.actor_id == admin

    again = upload(client, POLICY.encode(), "renamed.yml")  # same content: nothing changes
    assert again.status_code == 302
    assert "unchanged" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(app, ChecklistVersion) == 1


def test_upload_the_shipped_example_checklist(client, app, admin):
    example = PROJECT_ROOT / "checklists" / "examples" / "ai-policy.yaml"
    response = upload(client, example.read_bytes())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        version = db.session.scalar(sa.select(ChecklistVersion))
        assert version.checklist.code == "northbridge-ai-policy"
        assert len(version.items) > 1


BROKEN = textwrap.dedent(
    """\
    checklist:
      code: acme-ai-policy
      title: ACME AI policy
      version: "1.0"
    items:
      - id: POL-1
        title: First
        kind: requirement
        parent: null
        questions: ["One?", "Two?", "Three?"]
        evidence: {records: [Some records]}
      - id: POL-1
        title: Second with the same id
        kind: requirement
        parent: POL-9
        questions: ["Only one?"]
        evidence: {records: [Some records]}
        related: [POL-7]
    """
)


def test_broken_checklist_shows_every_problem_and_loads_nothing(client, app, admin):
    response = upload(client, BROKEN.encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    problems = re.findall(r'<div class="error-summary".*?<ul>(.*?)</ul>', page, re.S)[0]
    expected = [
        "ai-policy.yaml: item POL-1: duplicate id (first defined in ai-policy.yaml)",
        "ai-policy.yaml: item POL-1: unknown parent &#39;POL-9&#39;",
        "ai-policy.yaml: item POL-1: related id &#39;POL-7&#39; is not in the checklist",
        "ai-policy.yaml: item POL-1: an auditable item needs at least 3 questions",
    ]
    assert re.findall(r"<li>(.*?)</li>", problems) == expected
    assert "The checklist was refused: 4 problems, nothing loaded" in page
    assert count(app, Checklist) == count(app, ChecklistVersion) == count(app, ChecklistItem) == 0


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\xff\xfe not text", "ai-policy.yaml", "ai-policy.yaml: not UTF-8 text (byte 0xff at offset 0)"),
        (b"", "ai-policy.yaml", "ai-policy.yaml: file is empty"),
        (b"   \n", "ai-policy.yaml", "ai-policy.yaml: file is empty"),
        (POLICY.encode(), "ai-policy.json", "ai-policy.json: JSON syntax error at line 1 column 1"),
        (b"checklist: [unclosed", "ai-policy.yaml", "ai-policy.yaml: YAML syntax error"),
        (b"- just\n- a list\n", "ai-policy.yaml", "top level must be a mapping"),
        (b"items: []\n", "ai-policy.yaml", "missing the &#39;checklist&#39; header"),
        (POLICY.replace("kind: requirement", "kind: wish", 1).encode(), "p.yaml", "p.yaml: item POL-1 (#1): kind:"),
    ],
)
def test_bad_upload_is_refused(client, app, admin, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "nothing loaded" in page
    assert message in page
    assert count(app, ChecklistVersion) == 0


def test_upload_without_a_file(client, app, admin, field_errors):
    response = client.post("/admin/checklists/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file to upload." in field_errors(response.get_data(as_text=True), "file")


def test_oversized_upload_is_refused(client, app, admin):
    app.config["CHECKLIST_MAX_BYTES"] = 200
    response = upload(client, POLICY.encode())
    assert response.status_code == 400
    assert "the limit is 200 bytes" in response.get_data(as_text=True)
    assert count(app, ChecklistVersion) == 0


def test_activity_log_lists_and_paginates(client, app, admin):
    with app.app_context():
        for number in range(60):
            db.session.add(Activity(actor_id=admin, action=f"demo.entry.{number:03d}", subject_type="OrgUnit"))
        db.session.commit()
    first = client.get("/admin/activity")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    rows = re.findall(r"<td>(demo\.entry\.\d{3}|user\.created)</td>", page)
    assert rows == [f"demo.entry.{n:03d}" for n in range(59, 9, -1)]  # newest first, 50 a page
    assert "Test admin" in page
    assert "Page 1 of 2" in page
    assert 'href="/admin/activity?page=2">Older' in page

    page = client.get("/admin/activity?page=2").get_data(as_text=True)
    rows = re.findall(r"<td>(demo\.entry\.\d{3}|user\.created)</td>", page)
    assert rows == [f"demo.entry.{n:03d}" for n in range(9, -1, -1)] + ["user.created"]
    assert "command line" in page  # the admin was created without a signed-in actor
    assert "Page 2 of 2" in page
    assert 'href="/admin/activity?page=1">Newer' in page
    assert "Older" not in page

    assert client.get("/admin/activity?page=9").status_code == 200  # past the end: an empty page, not an error
