"""/api/v1/audits/{id}/team, auditees, declaration, sessions, conflicts, meetings; and the OpenAPI entries."""

from __future__ import annotations

import pytest

from audit_app.extensions import db
from audit_app.models import INDEPENDENCE_DECLARATION, Audit, AuditTeamMember, Role, TeamRole
from audit_app.services.planning import audits, team
from tests.fixtures.api_planning import S, advance, make_audit, move, prepare, set_criteria
from tests.fixtures.openapi import request_schema


def scope_units(app, audit_id: int, *unit_ids: int) -> None:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        audits.set_scope(audit, unit_ids=list(unit_ids), system_ids=[], actor=audit.lead_auditor)
        db.session.commit()


def add_auditee_account(app, audit_id: int, user_id: int) -> int:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        auditee = team.add_auditee(audit, actor=audit.lead_auditor, user_id=user_id)
        db.session.commit()
        return auditee.id


# --- Team -------------------------------------------------------------------------------------------------------


def test_impartiality_refusal_then_justified_exception(
    app, client, lead_id, lead_headers, make_unit, make_user, audit_id
):
    claims = make_unit("Claims")
    scope_units(app, audit_id, claims)
    insider = make_user(Role.AUDITOR, unit_id=claims)
    url = f"/api/v1/audits/{audit_id}/team"

    refused = client.post(url, headers=lead_headers, json={"user_id": insider, "role": "auditor"})
    too_short = client.post(url, headers=lead_headers, json={"user_id": insider, "role": "auditor", "exception": "ok"})

    assert refused.status_code == 409
    body = refused.get_json()
    assert len(body["reasons"]) == 1
    assert "belongs to Claims" in body["reasons"][0]
    assert "belongs to Claims" in body["message"]
    assert too_short.status_code == 422
    assert "exception" in too_short.get_json()["errors"]["json"]
    assert len(client.get(url, headers=lead_headers).get_json()["members"]) == 1
    exception = "Only claims actuary in the company; the lead auditor reviews all of her findings."
    accepted = client.post(
        url, headers=lead_headers, json={"user_id": insider, "role": "auditor", "exception": exception}
    )
    assert accepted.status_code == 201
    member = accepted.get_json()
    assert member["impartiality_exception"] == exception
    assert member["exception_recorded_by"]["id"] == lead_id
    listed = client.get(url, headers=lead_headers).get_json()
    assert listed["declaration"] == INDEPENDENCE_DECLARATION
    assert [(m["user"]["id"], m["role"], m["has_declared"]) for m in listed["members"]] == [
        (lead_id, "lead_auditor", False),
        (insider, "auditor", False),
    ]


def test_team_members_are_added_and_removed(app, client, lead_headers, make_user, make_unit, audit_id, count):
    claims = make_unit("Claims")
    scope_units(app, audit_id, claims)
    observer = make_user(Role.VIEWER, unit_id=claims)
    url = f"/api/v1/audits/{audit_id}/team"

    added = client.post(url, headers=lead_headers, json={"user_id": observer, "role": "observer"})
    auditee = client.post(url, headers=lead_headers, json={"user_id": make_user(Role.AUDITEE), "role": "auditor"})
    bad_role = client.post(url, headers=lead_headers, json={"user_id": observer, "role": "boss"})

    assert added.status_code == 201  # observers do not judge, so the rule does not bind them
    assert auditee.status_code == 422
    assert "user_id" in auditee.get_json()["errors"]["json"]
    assert bad_role.status_code == 422
    lead_member = client.get(url, headers=lead_headers).get_json()["members"][0]["id"]
    assert client.delete(f"{url}/{lead_member}", headers=lead_headers).status_code == 422
    assert client.delete(f"{url}/{added.get_json()['id']}", headers=lead_headers).status_code == 204
    assert client.delete(f"{url}/{added.get_json()['id']}", headers=lead_headers).status_code == 404
    assert [m["id"] for m in client.get(url, headers=lead_headers).get_json()["members"]] == [lead_member]
    assert count(AuditTeamMember) == 2  # the removed member's row is kept for the record, never deleted
    with app.app_context():
        removed = db.session.get(AuditTeamMember, added.get_json()["id"])
        assert removed.removed_at is not None
        assert removed.removed_by_id is not None


def test_team_is_frozen_in_reporting(app, client, lead_headers, make_user, audit_id, library):
    advance(app, audit_id, library, S.REPORTING)

    response = client.post(
        f"/api/v1/audits/{audit_id}/team", headers=lead_headers, json={"user_id": make_user(), "role": "auditor"}
    )

    assert response.status_code == 409
    assert "team can no longer change" in response.get_json()["message"]


def test_declaration_is_the_callers_own(app, client, make_user, token_for, audit_id):
    member = make_user(Role.AUDITOR)
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        team.add_member(audit, member, TeamRole.AUDITOR, actor=audit.lead_auditor)
        db.session.commit()
    url = f"/api/v1/audits/{audit_id}/declaration"

    outsider = client.post(url, headers=token_for(make_user(Role.AUDITOR)))
    confirmed = client.post(url, headers=token_for(member))

    assert outsider.status_code == 403
    assert "Only members" in outsider.get_json()["message"]
    assert confirmed.status_code == 200
    body = confirmed.get_json()
    assert (body["user"]["id"], body["has_declared"]) == (member, True)
    assert body["declaration_text"] == INDEPENDENCE_DECLARATION
    with app.app_context():
        declared = {m.user_id: m.has_declared for m in db.session.get(Audit, audit_id).team}
    assert declared[member] is True
    assert list(declared.values()).count(True) == 1


def test_auditee_representatives(app, client, lead_headers, make_user, make_unit, audit_id):
    unit = make_unit("Claims")
    account = make_user(Role.AUDITEE, unit_id=unit)
    url = f"/api/v1/audits/{audit_id}/auditees"

    by_account = client.post(url, headers=lead_headers, json={"user_id": account, "position": "Head of claims"})
    by_name = client.post(url, headers=lead_headers, json={"name": "Bo Smith", "position": "CISO", "org_unit_id": unit})
    nameless = client.post(url, headers=lead_headers, json={})

    assert by_account.status_code == 201
    assert (by_account.get_json()["user_id"], by_account.get_json()["org_unit"]["name"]) == (account, "Claims")
    assert by_name.status_code == 201
    assert (by_name.get_json()["user_id"], by_name.get_json()["position"]) == (None, "CISO")
    assert nameless.status_code == 422
    assert "name" in nameless.get_json()["errors"]["json"]
    assert client.delete(f"{url}/{by_name.get_json()['id']}", headers=lead_headers).status_code == 204
    assert client.delete(f"{url}/{by_name.get_json()['id']}", headers=lead_headers).status_code == 404
    team_body = client.get(f"/api/v1/audits/{audit_id}/team", headers=lead_headers).get_json()
    assert [a["name"] for a in team_body["auditees"]] == [by_account.get_json()["name"]]


# --- Sessions and conflicts -------------------------------------------------------------------------------------


def session(lead_id: int, item_id: int, **changes) -> dict:
    return {
        "day": "2026-06-01",
        "start_time": "09:00",
        "duration_minutes": 60,
        "activity": "interview",
        "title": "Leadership interview",
        "item_ids": [item_id],
        "auditor_ids": [lead_id],
        **changes,
    }


@pytest.fixture
def scoped(app, audit_id, lead_id, library):
    """Clauses 4.1 and 5.2 in the audit's scope; returns their ids by ref."""
    set_criteria(app, audit_id, lead_id, library, "4.1", "5.2")
    with app.app_context():
        return {i.ref: i.id for i in db.session.get(Audit, audit_id).scope_items}


def test_sessions_crud(app, client, lead_id, lead_headers, scoped, audit_id, make_user):
    url = f"/api/v1/audits/{audit_id}/sessions"

    created = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"], start_time="09:30"))
    stranger = client.post(url, headers=lead_headers, json=session(make_user(), scoped["4.1"]))
    bad_time = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"], start_time="25:00"))
    too_short = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"], duration_minutes=2))

    assert created.status_code == 201
    body = created.get_json()
    assert (body["start_time"], body["day"], body["activity"]) == ("09:30", "2026-06-01", "interview")
    assert [i["ref"] for i in body["items"]] == ["4.1"]
    assert [a["id"] for a in body["auditors"]] == [lead_id]
    for response, field in ((stranger, "auditor_ids"), (bad_time, "start_time"), (too_short, "duration_minutes")):
        assert response.status_code == 422
        assert field in response.get_json()["errors"]["json"]
    one = f"{url}/{body['id']}"
    patched = client.patch(one, headers=lead_headers, json={"duration_minutes": 90, "item_ids": [scoped["5.2"]]})
    assert patched.status_code == 200
    after = patched.get_json()
    assert (after["duration_minutes"], [i["ref"] for i in after["items"]]) == (90, ["5.2"])
    assert {k: after[k] for k in ("start_time", "title", "auditors")} == {
        k: body[k] for k in ("start_time", "title", "auditors")
    }
    assert [s["id"] for s in client.get(url, headers=lead_headers).get_json()] == [body["id"]]
    assert client.delete(one, headers=lead_headers).status_code == 204
    assert client.patch(one, headers=lead_headers, json={"title": "Gone"}).status_code == 404
    assert client.get(url, headers=lead_headers).get_json() == []


def test_sessions_are_visible_to_their_auditees_only(
    app, client, make_user, token_for, audit_id, programme_id, lead_id
):
    auditee_id = make_user(Role.AUDITEE)
    mine = token_for(auditee_id)
    add_auditee_account(app, audit_id, auditee_id)
    other = make_audit(app, programme_id, lead_id, "Other")

    assert client.get(f"/api/v1/audits/{audit_id}/sessions", headers=mine).status_code == 200
    assert client.get(f"/api/v1/audits/{other}/sessions", headers=mine).status_code == 404
    assert client.get(f"/api/v1/audits/{audit_id}/conflicts", headers=mine).status_code == 403


def test_conflicts_list(app, client, lead_id, lead_headers, scoped, audit_id, programme_id):
    url = f"/api/v1/audits/{audit_id}/sessions"
    first = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"])).get_json()
    second = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"], start_time="09:30")).get_json()
    late = client.post(url, headers=lead_headers, json=session(lead_id, scoped["4.1"], day="2026-06-10")).get_json()
    other = make_audit(app, programme_id, lead_id, "Parallel")
    client.post(
        f"/api/v1/audits/{other}/sessions",
        headers=lead_headers,
        json=session(lead_id, scoped["4.1"], item_ids=[], day="2026-06-10"),
    )

    response = client.get(f"/api/v1/audits/{audit_id}/conflicts", headers=lead_headers)

    assert response.status_code == 200
    found = {(c["kind"], tuple(c["session_ids"])): c["message"] for c in response.get_json()}
    assert ("double_booked", (first["id"], second["id"])) in found
    assert ("outside_dates", (late["id"],)) in found
    assert "5.2" in found[("uncovered", ())]
    assert any(kind == "double_booked" and "of another audit" in msg for (kind, _), msg in found.items())


# --- Meetings ---------------------------------------------------------------------------------------------------

OPENING = {"held_at": "2026-06-01T09:00", "attendees": "Ann (lead)\nBo (CISO)", "points_covered": ["plan", "methods"]}


def test_meetings_are_recorded_once_fieldwork_starts(app, client, lead_headers, audit_id, library):
    url = f"/api/v1/audits/{audit_id}/meetings"

    early = client.put(f"{url}/opening", headers=lead_headers, json=OPENING)
    missing = client.get(f"{url}/opening", headers=lead_headers)

    assert early.status_code == 409
    assert "once fieldwork has started" in early.get_json()["message"]
    assert missing.status_code == 404
    assert client.get(f"{url}/kickoff", headers=lead_headers).status_code == 404
    prepare(app, audit_id, library)
    move(app, audit_id, S.FIELDWORK)
    saved = client.put(f"{url}/opening", headers=lead_headers, json=OPENING)
    assert saved.status_code == 200
    body = saved.get_json()
    assert (body["kind"], body["held_at"], body["points_covered"]) == (
        "opening",
        "2026-06-01T09:00:00+01:00",  # the organisation's wall clock (Europe/London, summer time), with its offset
        ["plan", "methods"],
    )
    assert {p["key"] for p in body["points"] if p["covered"]} == {"plan", "methods"}
    assert client.get(f"{url}/opening", headers=lead_headers).get_json() == body
    closing = {**OPENING, "points_covered": ["findings"]}
    answer = client.put(f"{url}/closing", headers=lead_headers, json=closing)
    assert answer.status_code == 200
    assert (answer.get_json()["diverging"], answer.get_json()["diverging_opinions"]) == ([], "")
    typed = {**closing, "diverging_opinions": "Grade of finding 2 disputed."}  # read-only now: linked disputes
    refused = client.put(f"{url}/closing", headers=lead_headers, json=typed)
    assert refused.status_code == 422
    assert "diverging_opinions" in refused.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"held_at": "2026-07-01T09:00"}, "held_at"),
        ({"held_at": "2026-06-03T23:30-02:00"}, "held_at"),  # 4 June, 02:30 in London: after the audit
        ({"attendees": "  "}, "attendees"),
        ({"points_covered": ["snacks"]}, "points_covered"),
        ({"diverging_opinions": "Not at the opening."}, "diverging_opinions"),
    ],
)
def test_invalid_meeting_records_are_refused(app, client, lead_headers, audit_id, library, change, field):
    advance(app, audit_id, library, S.FIELDWORK)
    url = f"/api/v1/audits/{audit_id}/meetings/opening"
    before = client.get(url, headers=lead_headers).get_json()

    response = client.put(url, headers=lead_headers, json={**OPENING, **change})

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert client.get(url, headers=lead_headers).get_json() == before


# --- OpenAPI ----------------------------------------------------------------------------------------------------


def test_openapi_documents_the_planning_resources(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    programme = request_schema(spec, "/api/v1/programmes", "post")
    transition = request_schema(spec, "/api/v1/audits/{audit_id}/transitions", "post")
    sessions = request_schema(spec, "/api/v1/audits/{audit_id}/sessions", "post")
    member = request_schema(spec, "/api/v1/audits/{audit_id}/team", "post")

    assert {"code", "title", "period_start", "period_end", "checklist_version_id"} <= set(programme["required"])
    assert transition["required"] == ["to"]
    assert "cancelled" in transition["properties"]["to"]["enum"]
    assert {"day", "start_time", "duration_minutes", "activity", "title"} <= set(sessions["required"])
    assert set(member["required"]) == {"user_id", "role"}
    assert "lead_auditor" in member["properties"]["role"]["enum"]
    for path in ("/api/v1/programmes/{programme_id}", "/api/v1/audits/{audit_id}"):
        assert not request_schema(spec, path, "patch").get("required")
    assert "get" in spec["paths"]["/api/v1/audits/{audit_id}/team"]
    assert "get" in spec["paths"]["/api/v1/programmes/{programme_id}/coverage"]
