"""The request pipeline: one commit per successful request, a rollback otherwise, every error answered once.

Probe routes are added to an app of the test's own (wrapped in the same `transactional` every real view
gets); real routes show that ids no database can hold are simply not found, on the web and on the API.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app import pipeline
from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import OrgUnit, Role, UnitKind

#: Any override gives the test an app of its own, so probe routes can be added before its first request.
OWN_APP = [{"TESTING": True}]


def _probe_routes(app: Flask) -> None:
    def add(name: str) -> None:
        db.session.add(OrgUnit(name=name, kind=UnitKind.DEPARTMENT))
        db.session.flush()

    def ok() -> str:
        add("Kept")
        return "ok"

    def refused() -> str:
        add("Refused")
        raise Conflict("The audit is closed.")

    def invalid() -> str:
        add("Invalid")
        raise ValidationFailed("Some input is wrong.", {"name": ["Give a name."]})

    def forbidden() -> str:
        add("Forbidden")
        raise NotAllowed("Not yours.")

    def missing() -> str:
        add("Missing")
        raise NotFound("No such thing.")

    def answered_400() -> tuple[str, int]:
        add("Bad request")
        return "the form had errors", 400

    def duplicate() -> str:
        add("Twice")
        add("Twice")  # org unit names are unique: the database refuses the second
        return "never"

    def crash() -> str:
        add("Crash")
        raise RuntimeError("boom")

    for view in (ok, refused, invalid, forbidden, missing, answered_400, duplicate, crash):
        app.add_url_rule(f"/probe/{view.__name__}", view.__name__, pipeline.transactional(view), methods=["POST"])


def _units(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OrgUnit.name)))


@pytest.fixture
def probed(app, client, make_user, login):
    _probe_routes(app)
    login(make_user(Role.ADMIN))
    return client


@pytest.mark.parametrize("config_overrides", OWN_APP)
def test_a_successful_request_commits_once(app, probed):
    assert probed.post("/probe/ok").status_code == 200
    assert _units(app) == ["Kept"]


@pytest.mark.parametrize("config_overrides", OWN_APP)
@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("refused", 409, "The audit is closed."),
        ("invalid", 400, "Give a name."),
        ("forbidden", 403, "You do not have access to this page"),
        ("missing", 404, "Page not found"),
        ("answered_400", 400, "the form had errors"),
        ("duplicate", 409, "Someone else changed this at the same moment"),
        ("crash", 500, "Something went wrong"),
    ],
)
def test_every_refusal_or_failure_rolls_back_and_is_answered_once(app, probed, path, status, text):
    response = probed.post(f"/probe/{path}")
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert _units(app) == []


@pytest.mark.parametrize("audit_id", ["0", "2147483648", "9223372036854775808", "99999999999999999999999"])
def test_ids_no_database_can_hold_are_not_found_on_pages(client, make_user, login, audit_id):
    login(make_user(Role.ADMIN))
    for path in (f"/audits/{audit_id}", f"/audits/{audit_id}/checklist", f"/audits/{audit_id}/samples/1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("unit_id", ["2147483648", "9223372036854775808"])
def test_ids_no_database_can_hold_are_not_found_on_the_api(client, make_user, token_for, unit_id):
    headers = token_for(make_user(Role.ADMIN))
    response = client.get(f"/api/v1/org-units/{unit_id}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_api_answers_json_even_where_no_route_matches(client, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    response = client.get("/api/v1/no-such-thing", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["status"] == "Not Found"
    wrong_method = client.delete("/api/v1/me", headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["code"] == 405
    assert "GET" in wrong_method.headers["Allow"]


def test_pages_keep_the_allow_header_on_a_wrong_method(client, make_user, login):
    login(make_user(Role.ADMIN))
    response = client.put("/audits/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
