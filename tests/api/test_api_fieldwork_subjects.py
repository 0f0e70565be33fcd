"""/api/v1: results per AI system, unit or site, evidence naming its subject, and the verdict rules (422)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AuditStatus, ChecklistResponse, Role, UnitKind
from audit_app.services.fieldwork import responses
from tests.fixtures.planning import Planning


@dataclass(frozen=True)
class World:
    audit_id: int
    auditor_id: int
    responses: dict[str, int]
    chatbot: int
    credit: int
    site: int
    outside: int


@pytest.fixture
def world(app, library) -> World:
    """An audit in fieldwork of 4.1 and A.5.2 with two AI systems and a site in scope; one system outside it."""
    with app.app_context():
        plan = Planning(library)
        owner = plan.unit("Credit Risk")
        site = plan.unit("Leeds contact centre", kind=UnitKind.SITE)
        chatbot = plan.system("Ask Nora chatbot", owner=owner)
        credit = plan.system("CreditScore", owner=owner)
        outside = plan.system("Sandbox", owner=owner)
        audit = plan.audit(title="Impact assessment")
        audit.scope_systems = [chatbot, credit]
        audit.scope_units = [site]
        auditor = plan.member(audit, plan.user(Role.AUDITOR, name="Ava Auditor")).user
        items = plan.pin(audit, "4.1", "A.5.2")
        plan.declare_all(audit)
        plan.session(audit, items=items, auditors=[audit.lead_auditor])
        plan.record_meetings(audit)
        audit.status = AuditStatus.FIELDWORK
        responses.materialise_responses(audit)
        db.session.commit()
        by_ref = {
            r.item.ref: r.id
            for r in db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id))
        }
        return World(audit.id, auditor.id, by_ref, chatbot.id, credit.id, site.id, outside.id)


def url(world: World, ref: str) -> str:
    return f"/api/v1/audits/{world.audit_id}/checklist/{world.responses[ref]}"


def entry(client, world: World, headers, ref: str, **subject):
    body = {"method": "record_review", "source": "Impact assessment register", "evidence_date": "2026-03-02"}
    return client.post(f"{url(world, ref)}/evidence", headers=headers, json={**body, **subject})


def test_results_per_ai_system_give_the_derived_result_with_its_parts(client, world, as_user):
    headers = as_user(world.auditor_id)
    created = entry(client, world, headers, "A.5.2", subject_kind="ai_system", subject_id=world.credit)
    assert created.status_code == 201
    assert created.get_json()["subject"] == {
        "kind": "ai_system",
        "id": world.credit,
        "name": "CreditScore",
        "label": "AI system",
    }
    body = {
        "version": 1,
        "notes": "Both deployed systems sampled.",
        "parts": [
            {
                "subject_kind": "ai_system",
                "subject_id": world.chatbot,
                "result": "conforming",
                "statement": "IA-7 seen.",
            },
            {
                "subject_kind": "ai_system",
                "subject_id": world.credit,
                "result": "nonconformity",
                "statement": "No assessment after the 2026 retraining.",
            },
        ],
    }

    saved = client.put(url(world, "A.5.2"), headers=headers, json=body)

    assert saved.status_code == 200, saved.get_json()
    answer = saved.get_json()
    assert (answer["result"], answer["version"]) == ("nonconformity", 2)
    assert [(p["subject"]["name"], p["result"], p["statement"]) for p in answer["parts"]] == [
        ("Ask Nora chatbot", "conforming", "IA-7 seen."),
        ("CreditScore", "nonconformity", "No assessment after the 2026 retraining."),
    ]
    assert answer["parts"][0]["updated_by"]["name"] == "Ava Auditor"
    checklist = client.get(f"/api/v1/audits/{world.audit_id}/checklist", headers=headers).get_json()
    row = next(i for i in checklist["items"] if i["ref"] == "A.5.2")
    assert row["result"] == "nonconformity"
    assert [(p["subject"]["kind"], p["subject"]["id"], p["result"]) for p in row["parts"]] == [
        ("ai_system", world.chatbot, "conforming"),
        ("ai_system", world.credit, "nonconformity"),
    ]
    assert checklist["progress"]["conforming_without_evidence"] == 1  # the chatbot's, on its statement alone
    listed = client.get(f"/api/v1/audits/{world.audit_id}/evidence", headers=headers).get_json()
    assert listed[0]["subject"]["name"] == "CreditScore"


def test_the_verdict_rules_answer_422_with_field_errors(client, world, as_user):
    headers = as_user(world.auditor_id)

    nc = client.put(url(world, "4.1"), headers=headers, json={"result": "nonconformity", "notes": "x", "version": 1})
    assert nc.status_code == 422
    assert "needs at least one evidence entry" in nc.get_json()["errors"]["json"]["result"][0]

    na = client.put(url(world, "4.1"), headers=headers, json={"result": "not_applicable", "reason": "y", "version": 1})
    assert na.status_code == 422
    assert "cannot be excluded" in na.get_json()["errors"]["json"]["result"][0]

    bare = client.put(url(world, "4.1"), headers=headers, json={"result": "conforming", "version": 1})
    assert bare.status_code == 422
    assert "how conformity was established" in bare.get_json()["errors"]["json"]["notes"][0]

    part = {"subject_kind": "org_unit", "subject_id": world.site, "result": "observation", "statement": ""}
    refused = client.put(url(world, "A.5.2"), headers=headers, json={"version": 1, "parts": [part]})
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]["json"]
    assert set(errors) == {"parts.0.result", "parts.0.statement"}

    nothing = client.put(url(world, "A.5.2"), headers=headers, json={"version": 1})
    assert nothing.status_code == 422
    assert "result" in nothing.get_json()["errors"]["json"]


def test_a_subject_outside_the_scope_is_refused_for_results_and_evidence(client, world, as_user):
    headers = as_user(world.auditor_id)
    part = {"subject_kind": "ai_system", "subject_id": world.outside, "result": "ofi", "statement": "x"}

    refused = client.put(url(world, "A.5.2"), headers=headers, json={"version": 1, "parts": [part]})
    assert refused.status_code == 422
    assert "not in the audit's scope" in refused.get_json()["errors"]["json"]["parts.0.subject"][0]

    entry_refused = entry(client, world, headers, "A.5.2", subject_kind="ai_system", subject_id=world.outside)
    assert entry_refused.status_code == 422
    assert "subject" in entry_refused.get_json()["errors"]["json"]

    half = entry(client, world, headers, "A.5.2", subject_kind="ai_system")
    assert half.status_code == 422
    assert "subject_id" in half.get_json()["errors"]["json"]
