"""/api/v1/audits: create, filter, visibility, details, scope, criteria and every life-cycle transition."""

from __future__ import annotations

import pytest

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, AuditType, Role, TeamRole, User
from audit_app.services.planning import audits, team
from audit_app.services.planning.lifecycle import NEEDS_REASON, TRANSITIONS
from tests.fixtures.api_planning import S, advance, make_audit, make_programme, move, prepare
from tests.fixtures.conclusions import conclude

# --- Fixtures ---------------------------------------------------------------------------------------------------


def new_audit(programme: int, **changes) -> dict:
    return {
        "programme_id": programme,
        "title": "AI risk assessment",
        "audit_type": "internal",
        "start_date": "2026-03-02",
        "end_date": "2026-03-04",
        **changes,
    }


def status_of(app, audit_id: int) -> tuple[AuditStatus, int]:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        return audit.status, len(audit.transitions)


# --- Create, read, filter ---------------------------------------------------------------------------------------


def test_audits_are_numbered_per_programme(client, lead_id, lead_headers, programme_id):
    first = client.post("/api/v1/audits", headers=lead_headers, json=new_audit(programme_id, method="remote"))
    second = client.post("/api/v1/audits", headers=lead_headers, json=new_audit(programme_id, title="Second"))

    assert (first.status_code, second.status_code) == (201, 201)
    body = first.get_json()
    assert (body["reference"], second.get_json()["reference"]) == ("IA-2026-01", "IA-2026-02")
    assert (body["status"], body["method"], body["locked"]) == ("planned", "remote", [])
    assert body["lead_auditor"]["id"] == lead_id
    assert [(m["user"]["id"], m["role"]) for m in body["team"]] == [(lead_id, "lead_auditor")]
    assert client.get(f"/api/v1/audits/{body['id']}", headers=lead_headers).get_json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_date": "2025-12-30"}, "start_date"),
        ({"end_date": "2026-03-01"}, "end_date"),
        ({"programme_id": 9999}, "programme_id"),
        ({"title": None}, "title"),
        ({"audit_type": "vibe_check"}, "audit_type"),
        ({"method": "telepathy"}, "method"),
        ({"lead_auditor_id": "auditor"}, "lead_auditor_id"),
    ],
)
def test_invalid_audit_is_refused(client, lead_headers, make_user, programme_id, count, change, field):
    if change.get("lead_auditor_id") == "auditor":
        change = {"lead_auditor_id": make_user(Role.AUDITOR)}
    payload = {k: v for k, v in new_audit(programme_id, **change).items() if v is not None}

    response = client.post("/api/v1/audits", headers=lead_headers, json=payload)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert count(Audit) == 0


def test_list_filters(app, client, lead_id, lead_headers, make_user, make_unit, programme_id, library):
    other_lead = make_user(Role.LEAD_AUDITOR)
    unit = make_unit("Claims")
    a = make_audit(app, programme_id, lead_id, "A")
    b = make_audit(app, programme_id, other_lead, "B", audit_type=AuditType.READINESS)
    c = make_audit(app, programme_id, lead_id, "C")
    other_programme = make_programme(app, lead_id, library, code="2027")
    with app.app_context():
        audits.set_scope(db.session.get(Audit, c), unit_ids=[unit], system_ids=[], actor=db.session.get(User, lead_id))
        db.session.commit()
    move(app, a, S.CANCELLED)

    def ids(**query):
        response = client.get("/api/v1/audits", headers=lead_headers, query_string=query)
        assert response.status_code == 200
        return sorted(x["id"] for x in response.get_json())

    assert ids() == sorted([a, b, c])
    assert ids(programme_id=programme_id) == sorted([a, b, c])
    assert ids(programme_id=other_programme) == []
    assert ids(status="cancelled") == [a]
    assert ids(audit_type="readiness") == [b]
    assert ids(lead_auditor_id=other_lead) == [b]
    assert ids(unit_id=unit) == [c]
    assert client.get("/api/v1/audits?status=lost", headers=lead_headers).status_code == 422


def test_auditees_see_only_their_audits(app, client, lead_id, make_user, make_unit, token_for, programme_id):
    unit = make_unit("Claims")
    auditee = token_for(make_user(Role.AUDITEE, unit_id=unit))
    theirs = make_audit(app, programme_id, lead_id, "Claims audit")
    other = make_audit(app, programme_id, lead_id, "Elsewhere")
    with app.app_context():
        lead = db.session.get(User, lead_id)
        audits.set_scope(db.session.get(Audit, theirs), unit_ids=[unit], system_ids=[], actor=lead)
        db.session.commit()

    listed = client.get("/api/v1/audits", headers=auditee)

    assert [x["id"] for x in listed.get_json()] == [theirs]
    assert client.get(f"/api/v1/audits/{theirs}", headers=auditee).status_code == 200
    for url in (f"/api/v1/audits/{other}", f"/api/v1/audits/{other}/transitions"):
        assert client.get(url, headers=auditee).status_code == 404


# --- Details, scope, criteria -----------------------------------------------------------------------------------


def test_patch_keeps_fields_left_out(client, lead_headers, audit_id):
    url = f"/api/v1/audits/{audit_id}"
    before = client.get(url, headers=lead_headers).get_json()

    response = client.patch(url, headers=lead_headers, json={"title": "Renamed", "language": "German"})

    assert response.status_code == 200
    after = response.get_json()
    assert (after["title"], after["language"]) == ("Renamed", "German")
    same = ("reference", "audit_type", "start_date", "end_date", "method", "objectives", "lead_auditor", "team")
    assert {k: after[k] for k in same} == {k: before[k] for k in same}


def test_patch_by_another_lead_auditor_is_refused(client, headers_for, lead_headers, audit_id):
    response = client.patch(f"/api/v1/audits/{audit_id}", headers=headers_for(Role.LEAD_AUDITOR), json={"title": "X"})

    assert response.status_code == 403
    assert "lead auditor" in response.get_json()["message"]
    assert client.get(f"/api/v1/audits/{audit_id}", headers=lead_headers).get_json()["title"] == "Leadership"


def test_patch_is_refused_once_details_are_locked(app, client, lead_headers, audit_id, library):
    advance(app, audit_id, library, S.REPORTING)

    response = client.patch(f"/api/v1/audits/{audit_id}", headers=lead_headers, json={"title": "Too late"})

    assert response.status_code == 409
    assert "can no longer change" in response.get_json()["message"]
    body = client.get(f"/api/v1/audits/{audit_id}", headers=lead_headers).get_json()
    assert body["title"] == "Leadership"
    assert "details" in body["locked"]


def test_scope_is_set_checked_for_impartiality_and_frozen_in_fieldwork(
    app,
    client,
    lead_headers,
    make_unit,
    make_user,
    audit_id,
    library,
):
    url = f"/api/v1/audits/{audit_id}/scope"
    claims, sales = make_unit("Claims"), make_unit("Sales")
    member = make_user(Role.AUDITOR, unit_id=sales)
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        team.add_member(audit, member, TeamRole.AUDITOR, actor=audit.lead_auditor)
        db.session.commit()

    ok = client.put(url, headers=lead_headers, json={"unit_ids": [claims], "system_ids": []})
    own_unit = client.put(url, headers=lead_headers, json={"unit_ids": [claims, sales], "system_ids": []})

    assert ok.status_code == 200
    assert [u["name"] for u in ok.get_json()["scope_units"]] == ["Claims"]
    assert own_unit.status_code == 422
    assert any("Sales" in msg for msg in own_unit.get_json()["errors"]["json"]["scope"])
    assert client.put(url, headers=lead_headers, json={"unit_ids": []}).status_code == 422
    advance(app, audit_id, library, S.FIELDWORK)
    frozen = client.put(url, headers=lead_headers, json={"unit_ids": [], "system_ids": []})
    assert frozen.status_code == 409
    assert "Scope can no longer change" in frozen.get_json()["message"]
    body = client.get(f"/api/v1/audits/{audit_id}", headers=lead_headers).get_json()
    assert [u["name"] for u in body["scope_units"]] == ["Claims"]


def test_criteria_by_item_refs(client, lead_headers, audit_id, library):
    url = f"/api/v1/audits/{audit_id}/criteria"
    payload = {"version_ids": [library], "item_refs": ["6.1.2", "A.2.2"], "other_criteria": "Risk policy v3"}

    response = client.put(url, headers=lead_headers, json=payload)
    unknown = client.put(url, headers=lead_headers, json={"version_ids": [library], "item_refs": ["6.1.2", "Z.9"]})
    grouping = client.put(url, headers=lead_headers, json={"version_ids": [library], "item_refs": ["A.2"]})

    assert response.status_code == 200
    body = response.get_json()
    assert [i["ref"] for i in body["scope_items"]] == ["6.1.2", "A.2.2"]
    assert ([v["id"] for v in body["criteria"]], body["other_criteria"]) == ([library], "Risk policy v3")
    assert unknown.status_code == 422
    assert "Z.9" in unknown.get_json()["errors"]["json"]["item_refs"][0]
    assert grouping.status_code == 422
    after = client.get(f"/api/v1/audits/{audit_id}", headers=lead_headers).get_json()
    assert [i["ref"] for i in after["scope_items"]] == ["6.1.2", "A.2.2"]


# --- Life cycle -------------------------------------------------------------------------------------------------

ALLOWED = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=lambda s: s.value)
def test_every_allowed_transition(app, client, lead_id, lead_headers, audit_id, library, source, target):
    advance(app, audit_id, library, source)
    url = f"/api/v1/audits/{audit_id}/transitions"
    _, recorded = status_of(app, audit_id)

    if (source, target) in NEEDS_REASON:
        refused = client.post(url, headers=lead_headers, json={"to": target.value})
        assert refused.status_code == 409
        assert "Give a reason" in refused.get_json()["message"]
        assert status_of(app, audit_id) == (source, recorded)
    if (source, target) == (S.FIELDWORK, S.REPORTING):
        with app.app_context():
            audit = db.session.get(Audit, audit_id)
            conclude(audit, audit.lead_auditor)  # every item concluded and the team conference recorded
            db.session.commit()
    body = {"to": target.value, "reason": "Scope changed", "confirm_warnings": target is S.FIELDWORK}
    response = client.post(url, headers=lead_headers, json=body)

    assert response.status_code == 201, response.get_json()
    assert status_of(app, audit_id) == (target, recorded + 1)
    listed = client.get(url, headers=lead_headers).get_json()
    last = listed["transitions"][-1]
    assert (last["from_status"], last["to_status"], last["actor"]["id"]) == (source.value, target.value, lead_id)
    assert last["created_at"]
    assert listed["status"] == target.value
    assert [o["to"] for o in listed["options"]] == [t.value for t in TRANSITIONS[target]]


@pytest.mark.parametrize("source", list(S), ids=lambda s: s.value)
def test_moves_not_allowed_are_refused_naming_the_allowed_ones(app, client, lead_headers, audit_id, library, source):
    advance(app, audit_id, library, source)
    before = status_of(app, audit_id)

    for target in set(S) - set(TRANSITIONS[source]) - {source}:
        response = client.post(
            f"/api/v1/audits/{audit_id}/transitions", headers=lead_headers, json={"to": target, "reason": "Try"}
        )
        assert response.status_code == 409
        message = response.get_json()["message"]
        assert f"cannot move to {target.label.lower()}" in message
        allowed = [t.label.lower() for t in TRANSITIONS[source]] or ["none: it is final"]
        assert all(name in message for name in allowed)
    assert status_of(app, audit_id) == before


def test_gate_blockers_are_listed_and_enforced(app, client, lead_headers, audit_id, library):
    url = f"/api/v1/audits/{audit_id}/transitions"
    move(app, audit_id, S.PREPARATION)

    options = {o["to"]: o for o in client.get(url, headers=lead_headers).get_json()["options"]}
    refused = client.post(url, headers=lead_headers, json={"to": "fieldwork"})

    assert any("checklist version" in b for b in options["fieldwork"]["blockers"])
    assert options["planned"] == {"to": "planned", "needs_reason": True, "blockers": [], "warnings": []}
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    assert "Not ready for fieldwork" in message
    assert "Declarations of independence are still missing" in message
    assert status_of(app, audit_id)[0] is S.PREPARATION
    move(app, audit_id, S.PLANNED)
    prepare(app, audit_id, library)
    move(app, audit_id, S.FIELDWORK)
    no_meetings = client.post(url, headers=lead_headers, json={"to": "reporting"})
    assert no_meetings.status_code == 409
    assert "Record the opening meeting" in no_meetings.get_json()["message"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ADMIN, 201), (Role.LEAD_AUDITOR, 403), (Role.AUDITOR, 403), (Role.VIEWER, 403), (Role.AUDITEE, 403)],
)
def test_who_may_change_the_status(app, client, headers_for, audit_id, role, expected):
    response = client.post(
        f"/api/v1/audits/{audit_id}/transitions", headers=headers_for(role), json={"to": "preparation"}
    )

    assert response.status_code == expected
    assert status_of(app, audit_id)[0] is (S.PREPARATION if expected == 201 else S.PLANNED)
    if role is Role.LEAD_AUDITOR:  # a lead auditor, but not this audit's lead
        assert "lead auditor" in response.get_json()["message"]


def test_transition_input_is_validated(client, lead_headers, audit_id):
    response = client.post(f"/api/v1/audits/{audit_id}/transitions", headers=lead_headers, json={"to": "done"})

    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]["json"]


def test_auditee_reads_the_history_of_their_audit(app, client, make_user, token_for, audit_id):
    move(app, audit_id, S.PREPARATION)
    auditee_id = make_user(Role.AUDITEE)
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        team.add_auditee(audit, actor=audit.lead_auditor, user_id=auditee_id)
        db.session.commit()

    listed = client.get(f"/api/v1/audits/{audit_id}/transitions", headers=token_for(auditee_id)).get_json()

    assert [(t["from_status"], t["to_status"]) for t in listed["transitions"]] == [("planned", "preparation")]
    assert listed["can_transition"] is False
    assert [o["to"] for o in listed["options"]] == ["fieldwork", "planned", "cancelled"]
