"""Planned against achieved, the fieldwork confirmation, the reporting gate and the audit conclusions."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Activity,
    Adequacy,
    AuditRiskKind,
    AuditStatus,
    ChecklistResponse,
    Fulfilment,
    ProgrammeStatus,
    Rating,
    ResponseResult,
    Role,
)
from audit_app.services.fieldwork.responses import materialise_responses
from audit_app.services.planning import conclusions, coverage, lifecycle, preparation, programmes
from audit_app.services.planning.lifecycle import GateNotMet, Locked, WarningsNotConfirmed
from tests.fixtures.conclusions import conclude, conclude_items, record_conference

S = AuditStatus
R = ResponseResult


def _results(audit, **by_ref: tuple[ResponseResult, str]) -> None:
    """Set results directly (setup: the verdict rules belong to fieldwork)."""
    materialise_responses(audit)
    db.session.flush()
    for response in db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)):
        if response.item.ref in by_ref:
            response.result, response.reason = by_ref[response.item.ref]
    db.session.flush()


def _in_fieldwork(plan, *refs: str):
    audit = plan.ready(plan.audit(lead=plan.user(Role.LEAD_AUDITOR, name="Lena Lead")), S.PREPARATION)
    audit.scope_items = plan.items(*refs)
    audit.sessions[0].items = plan.items(*refs)
    lifecycle.transition(audit, S.FIELDWORK, actor=audit.lead_auditor, confirm_warnings=True)
    db.session.flush()
    return audit


# ------------------------------------------------------------------ planned against achieved


def test_programme_coverage_counts_leaves_only_and_separates_planned_from_achieved(plan):
    programme = plan.programme()
    first = plan.audit(programme)
    plan.pin(first, "4.1", "4.2", "A.6.2.8")
    second = plan.audit(programme, dates=(date(2026, 4, 6), date(2026, 4, 7)))
    plan.pin(second, "4.1", "9.2.2")
    _results(first, **{"4.1": (R.CONFORMING, ""), "4.2": (R.NOT_AUDITED, "Interested parties' owner was ill.")})
    _results(second, **{"9.2.2": (R.NONCONFORMITY, "")})
    cov = coverage.programme_coverage(programme)
    rows = {row.key: row for row in cov.rows}
    assert len(cov.rows) == 70
    assert "4" not in rows
    assert "9.2" not in rows
    # Planned: every in-scope leaf of either audit.
    assert {k for k, r in rows.items() if r.covered} == {"4.1", "4.2", "A.6.2.8", "9.2.2"}
    # Achieved: only items some audit concluded; "not audited" and "not yet assessed" do not count.
    assert {k for k, r in rows.items() if r.achieved} == {"4.1", "9.2.2"}
    assert cov.achieved == 2
    assert rows["4.1"].achieved_by == (first.id,)
    assert rows["4.2"].not_audited == ((first.id, "Interested parties' owner was ill."),)
    assert rows["4.2"].not_audited_reason(first.id) == "Interested parties' owner was ill."
    assert not rows["A.6.2.8"].achieved
    assert rows["A.6.2.8"].not_audited == ()


def test_a_cancelled_audit_achieves_nothing(plan):
    programme = plan.programme()
    audit = plan.audit(programme)
    plan.pin(audit, "4.1")
    _results(audit, **{"4.1": (R.CONFORMING, "")})
    audit.status = S.CANCELLED
    db.session.flush()
    assert coverage.programme_coverage(programme).achieved == 0


def test_audit_achievement_groups_leaves_by_area(plan):
    audit = _in_fieldwork(plan, "4.1", "4.2", "7.2", "A.6.2.8", "A.6.2.4")
    _results(
        audit,
        **{
            "4.1": (R.CONFORMING, ""),
            "4.2": (R.NOT_AUDITED, "Out of time."),
            "7.2": (R.NOT_AUDITED, ""),
            "A.6.2.8": (R.NONCONFORMITY, ""),
        },
    )
    done = conclusions.achievement(audit)
    assert [a.key for a in done.areas] == ["4", "7", "A.6"]
    assert (done.planned, done.achieved) == (5, 2)
    assert [i.ref for i in done.not_audited] == ["4.2", "7.2"]
    assert [i.ref for i in done.open] == ["7.2", "A.6.2.4"]  # not audited without a reason is still open
    assert done.areas[2].results == {R.NONCONFORMITY: 1, R.NOT_ASSESSED: 1}
    assert done.areas[0].title  # the clause's own title


# ------------------------------------------------------------------ the reporting gate


def test_the_reporting_gate_lists_exactly_what_is_missing(plan):
    audit = _in_fieldwork(plan, "4.1", "4.2", "7.2", "A.6.2.8")
    lead = audit.lead_auditor
    _results(audit, **{"4.1": (R.CONFORMING, ""), "7.2": (R.NOT_AUDITED, "")})
    with pytest.raises(GateNotMet) as refused:
        lifecycle.transition(audit, S.REPORTING, actor=lead)
    missing = refused.value.missing
    assert refused.value.details == {"missing": missing}
    assert missing == [
        "Conclude 2 item(s) in scope or mark them not audited: 4.2, A.6.2.8.",
        "Give the reason these items were not audited or not applicable: 7.2.",
        "Record the team conference with the audit conclusion.",
    ]
    assert str(refused.value).startswith("Not ready for reporting:")
    assert audit.status is S.FIELDWORK
    assert [t.to_status for t in audit.transitions] == [S.FIELDWORK]

    _results(audit, **{"4.2": (R.CONFORMING, ""), "7.2": (R.NOT_AUDITED, "Owner absent."), "A.6.2.8": (R.OFI, "")})
    record_conference(audit, lead, areas=False)
    assert conclusions.reporting_blockers(audit) == [
        "State the conclusion for each clause and control area in scope: 4, 7, A.6."
    ]
    record_conference(audit, lead)
    _results(audit, **{"A.6.2.8": (R.NONCONFORMITY, "")})  # a nonconformity recorded after the conference
    assert conclusions.reporting_blockers(audit) == [
        "The conclusion no longer matches the results (a nonconformity was recorded since): A.6."
    ]
    record_conference(audit, lead)  # concluded again: partly fulfilled
    lifecycle.transition(audit, S.REPORTING, actor=lead)
    assert audit.status is S.REPORTING


def test_the_gate_counts_an_item_without_a_response_as_open(plan):
    audit = plan.ready(plan.audit(), S.FIELDWORK)
    db.session.execute(sa.delete(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id))
    assert conclusions.reporting_blockers(audit)[0].startswith("Conclude 2 item(s)")


# ------------------------------------------------------------------ the team conference


def _conference(audit, **changes):
    data = {
        "held_at": datetime.combine(audit.end_date, time(12)),
        "participants": "Lena Lead; Omar Auditor",
        "fulfilment": Fulfilment.PARTLY_FULFILLED,
        "conclusion": "Largely fulfilled; one nonconformity.",
        "areas": (),
        **changes,
    }
    return conclusions.ConferenceData(**data)


def test_an_area_conclusion_cannot_contradict_its_results(plan):
    audit = _in_fieldwork(plan, "7.2", "A.6.2.8")
    _results(audit, **{"7.2": (R.NONCONFORMITY, ""), "A.6.2.8": (R.CONFORMING, "")})
    areas = (conclusions.AreaData("7", Fulfilment.FULFILLED, "All good."),)
    with pytest.raises(ValidationFailed) as refused:
        conclusions.save_conference(audit, _conference(audit, areas=areas), actor=audit.lead_auditor)
    assert refused.value.errors["areas"] == ["7: 1 item(s) concluded nonconformity, so the area cannot be fulfilled."]
    areas = (
        conclusions.AreaData("7", Fulfilment.PARTLY_FULFILLED, "Competence records missing."),
        conclusions.AreaData("A.6", Fulfilment.FULFILLED, "Verification evidence seen."),
    )
    saved = conclusions.save_conference(audit, _conference(audit, areas=areas), actor=audit.lead_auditor)
    assert {a.area: a.fulfilment for a in saved.areas} == {
        "7": Fulfilment.PARTLY_FULFILLED,
        "A.6": Fulfilment.FULFILLED,
    }
    (entry,) = [a for a in db.session.scalars(sa.select(Activity)) if a.action == "audit.conference_recorded"]
    assert entry.actor_id == audit.lead_auditor_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"participants": " "}, "participants"),
        ({"conclusion": ""}, "conclusion"),
        ({"objectives_met": False}, "obstacles"),
        ({"held_at": datetime.fromisoformat("2020-01-01T09:00")}, "held_at"),
        ({"areas": (conclusions.AreaData("A.9", Fulfilment.FULFILLED, "Not in scope."),)}, "areas"),
        ({"areas": (conclusions.AreaData("7", Fulfilment.FULFILLED, " "),)}, "areas"),
    ],
    ids=[
        "no participants",
        "no conclusion",
        "objectives missed without obstacles",
        "outside dates",
        "unknown area",
        "empty",
    ],
)
def test_an_incomplete_conference_is_refused(plan, changes, field):
    audit = _in_fieldwork(plan, "7.2")
    with pytest.raises(ValidationFailed) as refused:
        conclusions.save_conference(audit, _conference(audit, **changes), actor=audit.lead_auditor)
    assert field in refused.value.errors
    assert conclusions.get_conference(audit) is None


def test_the_conference_belongs_to_fieldwork_and_reporting_and_to_the_lead(plan):
    audit = plan.ready(plan.audit(), S.PREPARATION)
    with pytest.raises(Conflict, match="during fieldwork"):
        conclusions.save_conference(audit, _conference(audit), actor=audit.lead_auditor)
    audit.status = S.CLOSED
    with pytest.raises(Locked):
        conclusions.save_conference(audit, _conference(audit), actor=audit.lead_auditor)
    audit.status = S.FIELDWORK
    auditor = plan.member(audit, plan.user(Role.AUDITOR)).user
    with pytest.raises(NotAllowed):
        conclusions.save_conference(audit, _conference(audit), actor=auditor)


# ------------------------------------------------------------------ the fieldwork confirmation


def test_fieldwork_waits_for_the_open_warnings_to_be_confirmed(plan):
    audit = plan.ready(plan.audit(), S.PREPARATION)
    lead = audit.lead_auditor
    audit.scope_items = plan.items("4.1", "8.4", "A.6.2.8")  # A.6.2.8 is on no session
    excepted = plan.member(audit, plan.user(Role.AUDITOR, name="Eve Excepted"))
    excepted.impartiality_exception = "Only auditor with ML knowledge; the lead reviews her work."
    plan.declare_all(audit)
    warnings = lifecycle.fieldwork_warnings(audit)
    assert warnings == [
        "1 clause(s) or control(s) in scope are on no agenda session: A.6.2.8.",
        "Auditing under a recorded impartiality exception: Eve Excepted.",
        "No AI system is in scope: the audit will not examine any AI system directly.",
        "No risk to achieving the audit objectives has been assessed.",
        "No documented information has been reviewed in preparation.",
    ]
    (option,) = [o for o in lifecycle.options(audit) if o.target is S.FIELDWORK]
    assert list(option.warnings) == warnings
    with pytest.raises(WarningsNotConfirmed) as refused:
        lifecycle.transition(audit, S.FIELDWORK, actor=lead)
    assert refused.value.details == {"warnings": warnings}
    assert audit.status is S.PREPARATION
    assert audit.transitions == []
    lifecycle.transition(audit, S.FIELDWORK, actor=lead, confirm_warnings=True)
    assert audit.status is S.FIELDWORK
    (entry,) = [a for a in db.session.scalars(sa.select(Activity)) if a.action == "audit.fieldwork_warnings_confirmed"]
    assert (entry.actor_id, entry.details) == (lead.id, {"warnings": warnings})


def test_warnings_go_once_the_preparation_is_done(plan):
    audit = plan.ready(plan.audit(), S.PREPARATION)
    lead = audit.lead_auditor
    audit.scope_systems = [plan.system(owner=plan.unit())]
    preparation.save_risk(
        audit,
        preparation.RiskData(AuditRiskKind.TIME, "Short audit.", Rating.LOW, Rating.HIGH, "Extra half day."),
        actor=lead,
    )
    preparation.save_document(
        audit,
        preparation.DocumentData("AI policy", Adequacy.INADEQUATE, audit.start_date, "3", "No owner."),
        actor=lead,
    )
    assert lifecycle.fieldwork_warnings(audit) == [
        "Documents found not adequate in preparation: AI policy (inadequate)."
    ]
    preparation.save_document(
        audit,
        preparation.DocumentData("AI policy", Adequacy.ADEQUATE, audit.start_date, "4"),
        actor=lead,
        review=preparation.documents(audit)[0],
    )
    assert lifecycle.fieldwork_warnings(audit) == []
    lifecycle.transition(audit, S.FIELDWORK, actor=lead)  # nothing to confirm
    assert audit.status is S.FIELDWORK


def test_going_back_to_fieldwork_asks_for_no_confirmation(plan):
    audit = plan.ready(plan.audit(), S.REPORTING)
    lifecycle.transition(audit, S.FIELDWORK, actor=audit.lead_auditor, reason="A finding needs more evidence.")
    assert audit.status is S.FIELDWORK


# ------------------------------------------------------------------ preparation


def test_risks_are_rated_treated_and_never_deleted(plan):
    audit = plan.ready(plan.audit(), S.PREPARATION)
    lead = audit.lead_auditor
    low = preparation.save_risk(
        audit, preparation.RiskData(AuditRiskKind.OTHER, "Rain.", Rating.LOW, Rating.LOW, "Umbrellas."), actor=lead
    )
    high = preparation.save_risk(
        audit,
        preparation.RiskData(AuditRiskKind.EVIDENCE_ACCESS, "Logs sealed.", Rating.HIGH, Rating.MEDIUM, "Ask early."),
        actor=lead,
    )
    assert (low.level, high.level) == (Rating.LOW, Rating.HIGH)
    assert preparation.risks(audit) == [high, low]  # highest level first
    with pytest.raises(ValidationFailed) as refused:
        preparation.save_risk(
            audit, preparation.RiskData(AuditRiskKind.TIME, "Short.", Rating.LOW, Rating.LOW, "  "), actor=lead
        )
    assert list(refused.value.errors) == ["treatment"]
    preparation.remove_risk(audit, low, actor=lead)
    assert preparation.risks(audit) == [high]
    assert low.removed_at is not None
    assert low.removed_by_id == lead.id
    actions = [a.action for a in db.session.scalars(sa.select(Activity).where(Activity.subject_id == audit.id))]
    assert actions.count("audit.risk_recorded") == 2
    assert "audit.risk_removed" in actions


def test_a_document_not_adequate_needs_notes_and_the_review_precedes_the_audit_end(plan):
    audit = plan.ready(plan.audit(), S.PREPARATION)
    lead = audit.lead_auditor
    with pytest.raises(ValidationFailed) as refused:
        preparation.save_document(
            audit, preparation.DocumentData("Risk method", Adequacy.PARTLY_ADEQUATE, audit.start_date), actor=lead
        )
    assert list(refused.value.errors) == ["notes"]
    with pytest.raises(ValidationFailed) as refused:
        preparation.save_document(
            audit, preparation.DocumentData("Risk method", Adequacy.ADEQUATE, date(2030, 1, 1)), actor=lead
        )
    assert list(refused.value.errors) == ["reviewed_on"]


def test_preparation_belongs_to_the_lead_and_freezes_with_the_report(plan):
    audit = plan.ready(plan.audit(), S.FIELDWORK)
    data = preparation.RiskData(AuditRiskKind.COMPETENCE, "No ML auditor.", Rating.HIGH, Rating.HIGH, "Add an expert.")
    auditor = plan.member(audit, plan.user(Role.AUDITOR)).user
    with pytest.raises(NotAllowed):
        preparation.save_risk(audit, data, actor=auditor)
    preparation.save_risk(audit, data, actor=audit.lead_auditor)  # risks found during fieldwork are added
    audit.status = S.REPORTING
    with pytest.raises(Locked):
        preparation.save_risk(audit, data, actor=audit.lead_auditor)


# ------------------------------------------------------------------ programme completion


def _close(programme, actor, reason=""):
    data = programmes.ProgrammeData(
        programme.code,
        programme.title,
        programme.period_start,
        programme.period_end,
        programme.checklist_version_id,
        status=ProgrammeStatus.CLOSED,
        closing_reason=reason,
    )
    return programmes.save_programme(data, actor=actor, programme=programme)


def test_a_programme_short_of_its_extent_closes_only_with_a_reason(plan):
    programme = plan.programme()
    programme.status = ProgrammeStatus.ACTIVE
    done = plan.ready(plan.audit(programme), S.CLOSED)
    plan.ready(plan.audit(programme, dates=(date(2026, 5, 4), date(2026, 5, 5))), S.FIELDWORK)
    _results(done, **{"4.1": (R.CONFORMING, ""), "8.4": (R.NOT_AUDITED, "System retired.")})
    shortfalls = programmes.extent_shortfalls(programme)
    assert shortfalls[0].startswith("1 planned audit(s) not completed: IA-2026-02")
    assert shortfalls[1].startswith("69 of 70 clauses and controls were not audited in the programme: 4.2,")
    assert "8.4" in shortfalls[1]  # closed as not audited: not covered
    with pytest.raises(ValidationFailed) as refused:
        _close(programme, plan.admin)
    assert "stated extent is not met" in refused.value.errors["closing_reason"][0]
    assert programme.status is ProgrammeStatus.ACTIVE
    assert programmes.closures(programme) == []
    _close(programme, plan.admin, "The period ended; the rest moves to next year's programme.")
    assert programme.status is ProgrammeStatus.CLOSED
    (closure,) = programmes.closures(programme)
    assert (closure.reason, closure.shortfalls, closure.closed_by_id) == (
        "The period ended; the rest moves to next year's programme.",
        shortfalls,
        plan.admin.id,
    )


def test_a_programme_whose_extent_is_met_closes_without_a_reason(plan):
    programme = plan.programme()
    programme.status = ProgrammeStatus.ACTIVE
    audit = plan.ready(plan.audit(programme), S.CLOSED)
    audit.scope_items = [i for i in plan.version.items if i.auditable]
    conclude_items(audit)
    assert programmes.extent_shortfalls(programme) == []
    _close(programme, plan.admin)
    assert programme.status is ProgrammeStatus.CLOSED
    assert programmes.closures(programme) == []


def test_demo_style_conclusion_helper_meets_the_gate(plan):
    audit = _in_fieldwork(plan, "4.1", "A.6.2.8")
    conclude(audit, audit.lead_auditor)
    assert lifecycle.gate_blockers(audit, S.REPORTING) == []
