"""Auditor competence (ISO 19011 5.4.2, 7): profiles, audits performed, evaluations, what the team covers."""

from __future__ import annotations

import pytest

from audit_app.errors import NotAllowed, ValidationFailed
from audit_app.models import AuditStatus, CompetenceArea, EvaluationRating, Role, TeamRole
from audit_app.services.planning import audits, competence
from audit_app.services.planning.competence import ProfileData

A = CompetenceArea


def _profile(plan, user, *areas, sectors="", refs=()):
    return competence.save_profile(
        user, ProfileData(areas=tuple(areas), sectors=sectors, responsible_refs=tuple(refs)), actor=plan.admin
    )


def test_a_profile_keeps_what_the_person_brings_and_is_responsible_for(plan):
    auditor = plan.user(Role.AUDITOR, name="Ida Auditor")
    unit = plan.unit("Model validation")
    profile = competence.save_profile(
        auditor,
        ProfileData(
            qualifications="ISO/IEC 42001 lead auditor, 2025",
            training="ISO 19011 course\nAI risk course",
            areas=(A.ISO42001, A.AUDITING),
            ai_knowledge="Five years of credit-model validation.",
            sectors="Consumer lending\n\nInsurance",
            responsible_refs=("6.1.2", " A.6.2.4 ", "6.1.2"),
            responsible_unit_ids=(unit.id,),
        ),
        actor=plan.admin,
    )
    assert profile.areas == ["auditing", "iso42001"]
    assert profile.sector_list == ["Consumer lending", "Insurance"]
    assert profile.responsible_refs == ["6.1.2", "A.6.2.4"]
    assert [u.name for u in profile.responsible_units] == ["Model validation"]
    assert profile.updated_by_id == plan.admin.id
    assert competence.get_profile(auditor) is profile


def test_unknown_clauses_and_non_planners_are_refused(plan):
    auditor = plan.user(Role.AUDITOR)
    with pytest.raises(ValidationFailed) as info:
        competence.save_profile(auditor, ProfileData(responsible_refs=("6.1.9", "drop table")), actor=plan.admin)
    assert "responsible_refs" in info.value.errors
    with pytest.raises(NotAllowed):
        competence.save_profile(auditor, ProfileData(), actor=auditor)


def test_an_auditor_reads_only_their_own_profile(plan):
    me, other = plan.user(Role.AUDITOR), plan.user(Role.AUDITOR)
    competence.ensure_may_read(me, me)
    competence.ensure_may_read(plan.user(Role.LEAD_AUDITOR), other)
    with pytest.raises(NotAllowed):
        competence.ensure_may_read(me, other)


def _needs(audit):
    return {n.label: n for n in competence.team_coverage(audit)}


def test_the_team_page_lists_each_need_met_or_not(plan):
    lead = plan.user(Role.LEAD_AUDITOR, name="Lena Lead")
    audit = plan.audit(lead=lead)
    owner = plan.unit("Data Science")
    system = plan.system("CreditScore", owner=owner)
    audits.set_scope(audit, unit_ids=[], system_ids=[system.id], actor=plan.admin)
    plan.pin(audit, "8.4", "A.7.4")

    needs = _needs(audit)
    assert set(needs) == {
        "The lead auditor knows audit principles and methods",
        "An auditor trained on ISO/IEC 42001",
        "Someone with AI and machine-learning technical knowledge",
        "Someone with data management and data quality knowledge",
        "Someone who knows the organisation's sector",
    }
    assert not any(n.met for n in needs.values())
    assert (
        needs["Someone with AI and machine-learning technical knowledge"].why == "AI systems are in scope: CreditScore."
    )

    _profile(plan, lead, A.AUDITING, A.ISO42001, sectors="Consumer lending")
    expert = plan.member(audit, plan.user(Role.AUDITOR, name="Ed Expert"), TeamRole.TECHNICAL_EXPERT).user
    _profile(plan, expert, A.AI_ML, A.ISO42001)
    watcher = plan.member(audit, plan.user(Role.AUDITOR, name="Olga Observer"), TeamRole.OBSERVER).user
    _profile(plan, watcher, A.DATA)

    needs = _needs(audit)
    assert needs["The lead auditor knows audit principles and methods"].met_by == ("Lena Lead",)
    # A technical expert brings subject knowledge, not the audit criteria: only auditors count for 42001.
    assert needs["An auditor trained on ISO/IEC 42001"].met_by == ("Lena Lead",)
    assert needs["Someone with AI and machine-learning technical knowledge"].met_by == ("Ed Expert",)
    assert needs["Someone who knows the organisation's sector"].met_by == ("Lena Lead (Consumer lending)",)
    # Observers take no part, so the observer's data knowledge does not count.
    assert not needs["Someone with data management and data quality knowledge"].met


def test_no_ai_need_without_ai_systems_in_scope(plan):
    audit = plan.audit()
    assert "Someone with AI and machine-learning technical knowledge" not in _needs(audit)


def test_audits_performed_come_from_the_team_records(plan):
    auditor = plan.user(Role.AUDITOR)
    first, second = plan.audit(title="First"), plan.audit(title="Second")
    plan.member(first, auditor)
    plan.member(second, auditor, TeamRole.AUDITOR_IN_TRAINING)
    performed = competence.audits_performed(auditor)
    assert {(a.title, m.role) for m, a in performed} == {
        ("First", TeamRole.AUDITOR),
        ("Second", TeamRole.AUDITOR_IN_TRAINING),
    }


@pytest.fixture
def finished(plan):
    lead = plan.user(Role.LEAD_AUDITOR, name="Lena Lead")
    audit = plan.audit(lead=lead)
    auditor = plan.member(audit, plan.user(Role.AUDITOR, name="Ida Auditor")).user
    audit.status = AuditStatus.REPORTING
    return audit, lead, auditor


def test_the_lead_evaluates_the_team_after_the_audit(plan, finished):
    audit, lead, auditor = finished
    evaluation = competence.record_evaluation(auditor, audit.id, EvaluationRating.MEETS, "", actor=lead)
    assert (evaluation.evaluator_id, evaluation.audit_id, evaluation.rating) == (
        lead.id,
        audit.id,
        EvaluationRating.MEETS,
    )
    assert evaluation.evaluated_at is not None
    assert competence.evaluations(auditor) == [evaluation]


def test_evaluation_rules(plan, finished):
    audit, lead, auditor = finished
    with pytest.raises(NotAllowed, match="Nobody evaluates themselves"):
        competence.record_evaluation(lead, audit.id, EvaluationRating.MEETS, "", actor=lead)
    with pytest.raises(NotAllowed):  # a colleague may not evaluate
        competence.record_evaluation(auditor, audit.id, EvaluationRating.MEETS, "", actor=plan.user(Role.LEAD_AUDITOR))
    with pytest.raises(ValidationFailed) as below:
        competence.record_evaluation(auditor, audit.id, EvaluationRating.PARTLY, "  ", actor=lead)
    assert "comment" in below.value.errors
    with pytest.raises(ValidationFailed) as stranger:
        competence.record_evaluation(plan.user(Role.AUDITOR), audit.id, EvaluationRating.MEETS, "", actor=lead)
    assert "audit_id" in stranger.value.errors
    assert competence.record_evaluation(lead, audit.id, EvaluationRating.EXCEEDS, "", actor=plan.admin).id
    audit.status = AuditStatus.FIELDWORK
    with pytest.raises(ValidationFailed, match="Too early"):
        competence.record_evaluation(auditor, audit.id, EvaluationRating.MEETS, "", actor=lead)
