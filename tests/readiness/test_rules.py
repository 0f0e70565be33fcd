"""The readiness rules as a table of cases: the ready world passes every rule; each case breaks one thing and only
the rules that depend on it fail (a stage 1 document or SoA is also a stage 2 requirement, so some cases fail a rule
of each stage; every case names exactly which)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from audit_app.extensions import db
from audit_app.models import AuditStatus, FindingStatus, ResponseResult
from audit_app.services.docinfo import status as register
from audit_app.services.readiness.asof import AsOf
from audit_app.services.readiness.rules import STAGE1, STAGE2, evaluate
from tests.fixtures.planning import Planning
from tests.readiness.world import READY_DAY, ReadyWorld, at, build_ready, review, soa_version, system


def failing(world_day: date = READY_DAY) -> set[str]:
    verdict = evaluate(AsOf(world_day))
    return {r.code for r in (*verdict.stage1, *verdict.stage2) if not r.passed}


def test_the_ready_world_passes_every_rule(plan: Planning) -> None:
    build_ready(plan)
    verdict = evaluate(AsOf(READY_DAY))
    assert [r.code for r in verdict.stage1 if not r.passed] == []
    assert [r.code for r in verdict.stage2 if not r.passed] == []
    assert verdict.stage1_ready
    assert verdict.stage2_ready
    assert verdict.blockers == []
    assert len(verdict.stage1) == len(STAGE1) == 5
    assert len(verdict.stage2) == len(STAGE2) == 9
    # Each passing rule says why in words and names its records.
    by_code = {r.code: r for r in (*verdict.stage1, *verdict.stage2)}
    assert "SoA version 1 was approved on 2026-02-01" in by_code["S1-SOA"].detail
    assert any("Credit scorer" in label for label, _ in by_code["S1-INVENTORY"].records)
    assert "Management review 2026" in by_code["S2-REVIEW"].detail


def _objectives_missing(w: ReadyWorld) -> None:
    w.entry(register.OBJECTIVES).location = ""


def _soa_approved_later(w: ReadyWorld) -> None:
    soa_version(w).approved_at = at(date(2026, 7, 1))


def _system_out_of_scope(w: ReadyWorld) -> None:
    system(w).in_scope = False


def _programme_created_later(w: ReadyWorld) -> None:
    from audit_app.models import AuditProgramme

    db.session.get(AuditProgramme, w.programme_id).created_at = at(date(2026, 7, 1))


def _review_planned_later(w: ReadyWorld) -> None:
    r = review(w)
    r.created_at = at(date(2026, 7, 1))
    r.held_recorded_at = at(date(2026, 7, 1))


def _clause_nonconforming(w: ReadyWorld) -> None:
    w.response("6.1.2").result = ResponseResult.NONCONFORMITY


def _clause_not_assessed(w: ReadyWorld) -> None:
    w.response("7.2").result = ResponseResult.NOT_ASSESSED


def _boilerplate_justification(w: ReadyWorld) -> None:
    soa_version(w).entries[0].justification = "n/a"


def _no_impact_assessment(w: ReadyWorld) -> None:
    system(w).impact_assessed_on = None


def _impact_assessed_later(w: ReadyWorld) -> None:
    system(w).impact_assessed_on = date(2026, 6, 2)


def _closed_later(w: ReadyWorld) -> None:
    w.transition(AuditStatus.CLOSED).created_at = at(date(2026, 7, 1))


def _control_not_audited(w: ReadyWorld) -> None:
    w.response("A.6.2.8").result = ResponseResult.NOT_AUDITED


def _input_not_considered(w: ReadyWorld) -> None:
    review(w).inputs[2].considered = False


def _no_decisions(w: ReadyWorld) -> None:
    review(w).decisions = ""


def _open_major(w: ReadyWorld) -> None:
    w.finding("major", date(2026, 5, 10))


def _minor_without_plan(w: ReadyWorld) -> None:
    w.finding("minor", date(2026, 5, 10), [(date(2026, 5, 12), "status", "issued", "acknowledged")])


def _review_overdue(w: ReadyWorld) -> None:
    w.entry(register.MONITORING).next_review_on = date(2026, 5, 1)


def _competence_draft(w: ReadyWorld) -> None:
    w.entry(register.COMPETENCE).approved_on = None


CASES: list[tuple[str, Callable[[ReadyWorld], None], set[str]]] = [
    ("stage 1 document missing", _objectives_missing, {"S1-DOCS", "S2-DOCS"}),
    ("SoA approved after the day", _soa_approved_later, {"S1-SOA", "S2-SOA"}),
    ("no AI system in scope", _system_out_of_scope, {"S1-INVENTORY", "S2-IMPACT"}),
    ("programme created after the day", _programme_created_later, {"S1-PROGRAMME"}),
    ("review planned after the day", _review_planned_later, {"S1-REVIEW", "S2-REVIEW"}),
    ("a clause nonconforming", _clause_nonconforming, {"S2-CLAUSES"}),
    ("a clause not assessed", _clause_not_assessed, {"S2-CLAUSES", "S2-AUDIT"}),
    ("boilerplate SoA justification", _boilerplate_justification, {"S2-SOA"}),
    ("no impact assessment", _no_impact_assessment, {"S2-IMPACT"}),
    ("impact assessed after the day", _impact_assessed_later, {"S2-IMPACT"}),
    ("audit closed after the day", _closed_later, {"S2-AUDIT"}),
    ("a control not audited", _control_not_audited, {"S2-AUDIT"}),
    ("a review input not considered", _input_not_considered, {"S2-REVIEW"}),
    ("a review without decisions", _no_decisions, {"S2-REVIEW"}),
    ("an open major", _open_major, {"S2-MAJORS"}),
    ("a minor without accepted plan", _minor_without_plan, {"S2-MINORS"}),
    ("a mandatory document past review", _review_overdue, {"S2-DOCS"}),
    ("competence evidence not approved", _competence_draft, {"S2-COMPETENCE"}),
]


@pytest.mark.parametrize(("name", "breaker", "expected"), CASES, ids=[c[0] for c in CASES])
def test_breaking_one_thing_fails_only_its_rules(
    plan: Planning, name: str, breaker: Callable[[ReadyWorld], None], expected: set[str]
) -> None:
    world = build_ready(plan)
    breaker(world)
    db.session.flush()
    db.session.expire_all()
    verdict = evaluate(AsOf(READY_DAY))
    assert failing() == expected, name
    for rule in (*verdict.stage1, *verdict.stage2):
        if rule.code in expected:
            assert rule.blockers, rule
            assert rule.detail.startswith(f"{len(rule.blockers)} blocker"), rule
        else:
            assert rule.blockers == []
    assert verdict.stage1_ready is not any(code.startswith("S1") for code in expected)
    assert verdict.stage2_ready is not any(code.startswith("S2") for code in expected)


def test_blockers_name_the_records(plan: Planning) -> None:
    world = build_ready(plan)
    major = world.finding("major", date(2026, 5, 10), reference="IA-T-NC-07")
    _clause_nonconforming(world)
    db.session.flush()
    verdict = evaluate(AsOf(READY_DAY))
    rules = {r.code: r for r in verdict.stage2}
    assert rules["S2-MAJORS"].blockers == ["IA-T-NC-07 is open (issued)."]
    assert rules["S2-MAJORS"].records[0][0] == "IA-T-NC-07"
    assert major.status is FindingStatus.ISSUED
    assert any("Clause 6.1.2 was nonconforming" in b for b in rules["S2-CLAUSES"].blockers)
    assert "S2-MAJORS: IA-T-NC-07 is open (issued)." in verdict.blockers


def test_a_long_list_never_hides_a_failure(plan: Planning, monkeypatch) -> None:
    from audit_app.services.readiness import asof

    monkeypatch.setattr(asof, "LIST_LIMIT", 1)
    world = build_ready(plan)
    for n in range(3):
        world.finding("major", date(2026, 5, 10 + n), reference=f"IA-T-NC-M{n}")
        world.finding("minor", date(2026, 5, 10 + n), reference=f"IA-T-NC-N{n}")
    db.session.flush()
    rules = {r.code: r for r in evaluate(AsOf(READY_DAY)).stage2}
    assert rules["S2-MAJORS"].blockers == ["IA-T-NC-M0 is open (issued).", "And 2 more open major nonconformities."]
    assert rules["S2-MINORS"].blockers == [
        "IA-T-NC-N0 has no accepted plan (issued).",
        "And 2 more minor nonconformities.",
    ]
