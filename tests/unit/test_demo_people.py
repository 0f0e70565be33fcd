"""The demo's auditor profiles, the evaluation after its closed audit, and an impartial agenda."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from audit_app import demo
from audit_app.demo import planning
from audit_app.extensions import db
from audit_app.models import Audit, AuditorEvaluation, AuditorProfile, AuditStatus
from audit_app.services.planning import agenda, competence


def test_demo_auditors_have_profiles_and_the_closed_audit_an_evaluation(app_ctx, library, tmp_path):
    demo.load_demo(tmp_path / "demo_credentials.txt")
    planning.load_demo_programme(date(2027, 9, 15))
    db.session.commit()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditorProfile)) == 3
    demo.load_demo(tmp_path / "demo_credentials.txt")  # loading again adds no profile
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditorProfile)) == 3

    audits = list(db.session.scalars(sa.select(Audit).order_by(Audit.start_date)))
    closed = audits[0]
    assert closed.status is AuditStatus.CLOSED
    evaluation = db.session.scalar(sa.select(AuditorEvaluation))
    assert (evaluation.audit_id, evaluation.evaluator_id) == (closed.id, closed.lead_auditor_id)
    for audit in audits:
        assert not [c for c in agenda.conflicts_for(audit) if c.kind == "not_impartial"]
        assert all(need.met for need in competence.team_coverage(audit)), audit.title
    assert any(s.units for s in closed.sessions)
