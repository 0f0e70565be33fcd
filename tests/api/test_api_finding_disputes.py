"""The findings API: disputes and their decision, observations considered, and raising a sample as a finding."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import FindingStatus
from tests.api.test_api_findings import made, move

S = FindingStatus


# --- disputes -----------------------------------------------------------------------------------------------------


def test_a_dispute_maintained_then_accepted_with_a_new_grade(client, app, fw_world, as_user):
    w = fw_world
    auditee, lead = as_user(w.auditee_id), as_user(w.lead_id)
    finding_id = made(app, fw_world, S.ISSUED)
    url = f"/api/v1/findings/{finding_id}"
    assert client.post(f"{url}/dispute", json={"reason": ""}, headers=auditee).status_code == 422
    disputed = client.post(f"{url}/dispute", json={"reason": "R-12 was assessed; see IA-12."}, headers=auditee)
    assert disputed.status_code == 200
    assert disputed.get_json()["status"] == "disputed"
    assert client.post(f"{url}/dispute", json={"reason": "again"}, headers=auditee).status_code == 409

    by_auditee = client.post(f"{url}/dispute/decision", json={"decision": "maintain", "reason": "x"}, headers=auditee)
    assert by_auditee.status_code == 403
    maintained = client.post(
        f"{url}/dispute/decision",
        json={"decision": "maintain", "reason": "IA-12 is dated after go-live."},
        headers=lead,
    )
    assert maintained.status_code == 200
    body = maintained.get_json()
    assert body["status"] == "issued"
    assert body["disputes"][0]["status"] == "maintained"

    client.post(f"{url}/dispute", json={"reason": "Only one release is affected."}, headers=auditee)
    no_grade = client.post(f"{url}/dispute/decision", json={"decision": "accept_regrade", "reason": "ok"}, headers=lead)
    assert no_grade.status_code == 422
    assert "grade" in no_grade.get_json()["errors"]["json"]
    accepted = client.post(
        f"{url}/dispute/decision",
        json={"decision": "accept_regrade", "reason": "Agreed: one release.", "grade": "observation"},
        headers=lead,
    )
    assert accepted.status_code == 200
    body = accepted.get_json()
    assert body["status"] == "issued"
    assert body["grade"] == "observation"
    assert [d["status"] for d in body["disputes"]] == ["maintained", "accepted"]


def test_a_dispute_accepted_by_withdrawing_the_finding(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.ISSUED)
    url = f"/api/v1/findings/{finding_id}"
    client.post(f"{url}/dispute", json={"reason": "Out of scope."}, headers=as_user(w.auditee_id))
    answer = client.post(
        f"{url}/dispute/decision",
        json={"decision": "accept_withdraw", "reason": "Indeed out of scope."},
        headers=as_user(w.lead_id),
    )
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "withdrawn"
    assert answer.get_json()["withdrawn_reason"] == "Indeed out of scope."


def test_an_observation_is_considered_then_closed(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.ISSUED, grade="observation")
    url = f"/api/v1/findings/{finding_id}"
    auditee = as_user(w.auditee_id)
    assert move(client, auditee, finding_id, "acknowledge").status_code == 409
    bad = client.post(f"{url}/consideration", json={"outcome": "maybe", "note": "x"}, headers=auditee)
    assert bad.status_code == 422
    assert "outcome" in bad.get_json()["errors"]["json"]
    answer = client.post(f"{url}/consideration", json={"outcome": "declined", "note": "Cost."}, headers=auditee)
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "considered"
    assert move(client, as_user(w.auditor_id), finding_id, "close").get_json()["status"] == "closed"


# --- raise as finding ---------------------------------------------------------------------------------------------


def _evaluated_sample(app, world, *, interpreted: bool) -> int:
    from audit_app.models import Audit, DeviationNature, PopulationSource, SampleItemResult, User
    from audit_app.services.sampling import samples
    from tests.fixtures.sampling import make_sample, sized

    with app.app_context():
        audit, auditor = db.session.get(Audit, world.audit_id), db.session.get(User, world.auditor_id)
        sample = make_sample(audit, auditor, PopulationSource.TYPED, typed="\n".join(f"R-{i}" for i in range(1, 11)))
        sized(sample, auditor, manual_size=3, rationale="Three releases.")
        samples.draw(sample, actor=auditor, seed=11)
        for number, item in enumerate(sample.items):
            result = SampleItemResult.DEVIATION if number == 0 else SampleItemResult.CONFORMING
            samples.record_result(item, result, actor=auditor, note="No assessment." if number == 0 else "")
        samples.evaluate(sample, actor=auditor)
        if interpreted:
            samples.interpret(sample, cause="The gate is missing.", nature=DeviationNature.ISOLATED, actor=auditor)
        db.session.commit()
        return sample.id


def test_an_evaluated_sample_is_raised_as_a_finding(client, app, fw_world, as_user):
    w = fw_world
    auditor = as_user(w.auditor_id)
    waiting = _evaluated_sample(app, w, interpreted=False)
    url = f"/api/v1/audits/{w.audit_id}/samples/{waiting}/finding"
    assert client.post(url, headers=auditor).status_code == 409
    sample_id = _evaluated_sample(app, w, interpreted=True)
    url = f"/api/v1/audits/{w.audit_id}/samples/{sample_id}/finding"
    assert client.post(url, headers=as_user(w.viewer_id)).status_code == 403
    raised = client.post(url, headers=auditor)
    assert raised.status_code == 201, raised.get_json()
    body = raised.get_json()
    assert body["status"] == "draft"
    assert body["grade"] == "minor"
    (cited,) = body["samples"]
    assert cited["sample_id"] == sample_id
    assert len(cited["deviating_items"]) == 1
    assert "1 of 3" in cited["summary"]
    assert "population 10" in cited["summary"]
    assert client.post(url, headers=auditor).status_code == 409  # already cited by a live finding
    assert client.post(f"/api/v1/audits/{w.audit_id}/samples/999999/finding", headers=auditor).status_code == 404
