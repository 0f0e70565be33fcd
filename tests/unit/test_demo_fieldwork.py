"""The demo's completed audit meets the verdict rules: a lead auditor finds every conclusion backed, per unit and
per AI system where it was found."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, ChecklistResponse, ResponseResult, SubjectKind
from audit_app.services.fieldwork import responses, verdicts


def test_the_completed_demo_audit_backs_every_result_and_concludes_7_2_per_unit_and_a_4_3_per_ai_system(
    app_ctx, library, tmp_path
):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    planning.load_demo_programme(date(2027, 9, 15))
    db.session.flush()
    closed = db.session.scalars(sa.select(Audit).where(Audit.status == AuditStatus.CLOSED)).one()
    rows = list(db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == closed.id)))

    for response in rows:
        if response.per_subject:
            for part in response.recorded_parts:
                backed = verdicts.evidence_for(response.evidence, part.key)
                assert not verdicts.refusals(response.item, part.result, part.statement, part.statement, backed)
        else:
            found = verdicts.refusals(
                response.item, response.result, response.notes, response.reason, len(response.evidence)
            )
            assert not found, (response.item.ref, found)
    assert responses.unconcluded_items(closed) == []

    (competence,) = [r for r in rows if r.item.ref == "7.2"]
    assert competence.result is ResponseResult.NONCONFORMITY  # derived: one unit nonconforming
    units = {u.id: u.name for u in closed.scope_units}
    assert {(p.subject_kind, units[p.subject_id], p.result) for p in competence.recorded_parts} == {
        (SubjectKind.ORG_UNIT, "Risk and Compliance", ResponseResult.NONCONFORMITY),
        (SubjectKind.ORG_UNIT, "Executive Committee", ResponseResult.CONFORMING),
    }
    (entry,) = competence.evidence
    assert units[entry.org_unit_id] == "Risk and Compliance"

    # A.4.3 (data resources) is concluded per AI system, each result with its statement and evidence naming the system.
    systems = {s.id: s.name for s in closed.scope_systems}
    assert set(systems.values()) == {"CreditScore", "Ask Nora chatbot"}
    (data,) = [r for r in rows if r.item.ref == "A.4.3"]
    assert data.result is ResponseResult.NONCONFORMITY  # derived: nonconforming for one system
    assert {(p.subject_kind, systems[p.subject_id], p.result) for p in data.recorded_parts} == {
        (SubjectKind.AI_SYSTEM, "CreditScore", ResponseResult.CONFORMING),
        (SubjectKind.AI_SYSTEM, "Ask Nora chatbot", ResponseResult.NONCONFORMITY),
    }
    for part in data.recorded_parts:
        assert part.statement.startswith(systems[part.subject_id] + ":")
    assert sorted((e.subject[0], systems[e.ai_system_id]) for e in data.evidence) == [
        (SubjectKind.AI_SYSTEM, "Ask Nora chatbot"),
        (SubjectKind.AI_SYSTEM, "CreditScore"),
    ]
    assert all(e.org_unit_id is None for e in data.evidence)
