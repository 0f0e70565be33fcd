"""The corrective-action loop's rules through the services: effectiveness evidence for majors, the reopen cycle,
the lighter path of observations and good practice, disputes and their answers, and history completeness."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.errors import Conflict, InvalidTransition, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    CapaPlan,
    Consideration,
    CorrectiveAction,
    DisputeStatus,
    Finding,
    FindingHistory,
    FindingStatus,
    RcaMethod,
    User,
)
from audit_app.services.findings import capa, disputes, dues, flow
from tests.fixtures.findings import Findings

S = FindingStatus


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _history(finding: Finding) -> list[FindingHistory]:
    return list(db.session.scalars(sa.select(FindingHistory).where(FindingHistory.finding_id == finding.id)))


@pytest.mark.parametrize(("grade", "closes"), [("major", False), ("minor", True)])
def test_a_major_needs_effectiveness_evidence_a_minor_does_not(app, fw_world, grade, closes):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(grade), S.VERIFIED)
        db.session.commit()
        auditor = _user(fw_world.auditor_id)
        review = {
            "effective": True,
            "review": "Re-sampled ten releases: all assessed.",
            "evidence": "",
            "actor": auditor,
        }
        if closes:
            capa.review_effectiveness(finding, **review)
            assert finding.status is S.CLOSED_EFFECTIVE
            return
        count = len(_history(finding))
        with pytest.raises(InvalidTransition, match="major nonconformity closes only with effectiveness evidence"):
            capa.review_effectiveness(finding, **review)
        db.session.rollback()
        assert finding.status is S.VERIFIED
        assert len(_history(finding)) == count
        capa.review_effectiveness(finding, **{**review, "evidence": "Re-sample RS-1, releases R-30 to R-39"})
        assert finding.status is S.CLOSED_EFFECTIVE


def test_not_effective_reopens_a_new_cycle_and_keeps_the_first(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(), S.VERIFIED)
        auditor, owner = _user(fw_world.auditor_id), _user(fw_world.auditee_id)
        first_plan = capa.current_plan(finding)
        first_actions = [a.id for a in finding.actions]
        capa.review_effectiveness(
            finding, effective=False, review="R-40 skipped the gate.", actor=auditor, reason="The gate can be bypassed."
        )
        assert (finding.status, finding.cycle) == (S.REOPENED, 2)
        assert capa.current_plan(finding) is None  # a new plan for the new cycle
        f.to(finding, S.PLAN_SUBMITTED)  # cycle 2: plan and actions written and submitted
        db.session.commit()
        plans = list(db.session.scalars(sa.select(CapaPlan).where(CapaPlan.finding_id == finding.id)))
        assert [(p.cycle, p.id == first_plan.id) for p in plans] == [(1, True), (2, False)]
        actions = list(db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.finding_id == finding.id)))
        assert [a.cycle for a in actions] == [1, 2]
        assert actions[0].id in first_actions
        assert actions[0].status.value == "implemented"  # the first cycle's record is kept as it was
        cycle = [h for h in _history(finding) if h.event == "cycle"]
        assert [(h.old_value, h.new_value, h.reason) for h in cycle] == [("1", "2", "The gate can be bypassed.")]
        with pytest.raises(Conflict):  # the first cycle's actions are closed to change
            capa.edit_action(actions[0], capa.ActionInput("Changed.", fw_world.colleague_id, dues.today()), actor=owner)


def test_an_observation_is_considered_then_closed_and_good_practice_closes_directly(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        owner, auditor, lead = _user(fw_world.auditee_id), _user(fw_world.auditor_id), _user(fw_world.lead_id)
        observation = f.to(f.draft("observation"), S.ISSUED)
        db.session.commit()
        with pytest.raises(ValidationFailed):  # declined needs a reason
            capa.consider(observation, outcome=Consideration.DECLINED, note="  ", actor=owner)
        db.session.rollback()
        assert observation.status is S.ISSUED
        assert observation.consideration is None
        capa.consider(observation, outcome=Consideration.DECLINED, note="The risk is accepted for 2026.", actor=owner)
        flow.act(observation, "close", actor=auditor)
        assert observation.status is S.CLOSED
        practice = f.to(f.draft("good_practice"), S.ISSUED)
        flow.act(practice, "close", actor=lead)
        assert practice.status is S.CLOSED


def test_dispute_maintained_then_acknowledged(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        owner, lead = _user(fw_world.auditee_id), _user(fw_world.lead_id)
        finding = f.to(f.draft(), S.ISSUED)
        disputes.dispute(finding, reason="The procedure changed before the sample period.", actor=owner)
        assert finding.status is S.DISPUTED
        record = disputes.maintain(finding, reason="The change took effect after the period.", actor=lead)
        flow.act(finding, "acknowledge", actor=owner)
        assert (record.status, finding.status) == (DisputeStatus.MAINTAINED, S.ACKNOWLEDGED)
        assert record.resolution == "The change took effect after the period."
        assert record.resolved_by_id == lead.id


def test_dispute_accepted_with_a_regrade_or_a_withdrawal(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        owner, lead = _user(fw_world.auditee_id), _user(fw_world.lead_id)
        regraded = f.to(f.draft("major"), S.ISSUED)
        disputes.dispute(regraded, reason="One release only: isolated.", actor=owner)
        disputes.accept(
            regraded, reason="Agreed: isolated.", actor=lead, grade="minor", rationale="Isolated: one release."
        )
        assert (regraded.status, regraded.grade) == (S.ISSUED, "minor")
        assert regraded.disputes[0].status is DisputeStatus.ACCEPTED
        withdrawn = f.to(f.draft(), S.ISSUED)
        disputes.dispute(withdrawn, reason="The requirement does not apply to research models.", actor=owner)
        disputes.accept(withdrawn, reason="Out of scope: research models.", actor=lead, withdraw=True)
        db.session.commit()
        kept = db.session.get(Finding, withdrawn.id)  # never deleted: kept, marked withdrawn with the reason
        assert (kept.status, kept.withdrawn_reason) == (S.WITHDRAWN, "Out of scope: research models.")


def test_every_mutation_of_a_full_run_is_in_the_history_with_who_and_when(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        finding = f.draft()
        owner = _user(fw_world.auditee_id)
        f.to(finding, S.ISSUED)
        disputes.dispute(finding, reason="Disagree.", actor=owner)
        disputes.maintain(finding, reason="Maintained.", actor=_user(fw_world.lead_id))
        f.to(finding, S.ACKNOWLEDGED)
        capa.save_plan(finding, capa.PlanInput(correction="Fixed.", rca_method=RcaMethod.FREE_TEXT), actor=owner)
        extra = capa.add_action(
            finding, capa.ActionInput("Extra.", fw_world.colleague_id, dues.today() + timedelta(days=3)), actor=owner
        )
        capa.cancel_action(extra, reason="Covered by the gate.", actor=owner)
        f.to(finding, S.CLOSED_EFFECTIVE)
        db.session.commit()
        rows = _history(finding)
        assert all(h.actor_id is not None and h.at is not None for h in rows)
        statuses = [h.new_value for h in rows if h.event == "status"]
        assert statuses == [
            "submitted", "issued", "disputed", "issued", "acknowledged", "plan_submitted", "plan_accepted",
            "implemented", "verified", "closed_effective",
        ]  # fmt: skip
        fields = {(h.event, h.field) for h in rows}
        expected = {
            ("dispute", "dispute"),
            ("plan", "correction"),
            ("plan", "root_cause"),
            ("plan", "decision"),
            ("action", "description"),
            ("action", "status"),
            ("action", "implementation_note"),
            ("verification", "implementation_verification"),
            ("effectiveness", "effectiveness_review"),
            ("effectiveness", "effectiveness_evidence"),
        }
        assert expected <= fields, expected - fields
        cancelled = [h for h in rows if h.event == "action" and h.field == "status" and h.new_value == "cancelled"]
        assert [h.reason for h in cancelled] == ["Covered by the gate."]
