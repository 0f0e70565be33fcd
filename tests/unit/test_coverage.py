"""Programme coverage: the clause and control matrix, the scope views and the suggested priorities."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AuditStatus, ChecklistResponse, LifecycleStage, ResponseResult, RiskLevel, UnitKind, utcnow
from audit_app.services.library import checklists
from audit_app.services.planning import audits, coverage
from audit_app.services.planning.achieved import by_item
from audit_app.services.planning.coverage import RiskContext, suggest

ROOT = Path(__file__).resolve().parents[2]
FIRST = ("6.1.4", "8.4", "A.5.2")
#: Another standard whose ids happen to look like ISO/IEC 42001 clause numbers.
OTHER_STANDARD = """
checklist: {code: other-standard, title: Another standard, version: "1"}
items:
  - {id: "4.1", title: Scope, kind: clause, parent: null,
     questions: [Who owns it, Where is it written, When was it checked], evidence: {documents: [Scope]}}
  - {id: "7.2", title: Skills, kind: clause, parent: null,
     questions: [Who owns it, Where is it written, When was it checked], evidence: {records: [Training]}}
"""
SECOND = ("8.4", "9.2.2")


def _audit_covering(plan, programme, refs, *, version=None, dates=(date(2026, 3, 2), date(2026, 3, 4))):
    audit = plan.audit(programme, dates=dates)
    plan.pin(audit, *refs, version=version)
    return audit


def _covered(cov) -> dict[str, tuple[int, ...]]:
    return {row.key: row.covered_by for row in cov.rows if row.covered}


def test_the_matrix_lists_every_auditable_clause_and_control(plan):
    cov = coverage.programme_coverage(plan.programme())
    keys = [row.key for row in cov.rows]
    assert len(keys) == 70
    assert sum(1 for k in keys if not k.startswith("A.")) == 32
    assert sum(1 for k in keys if k.startswith("A.")) == 38
    assert keys[0] == "4.1"
    assert "4" not in keys  # a heading that only groups requirements is no row of its own
    assert "9.2" not in keys
    assert keys[-1] == "A.10.4"
    assert "A.10.4" in keys
    assert "A.6" not in keys
    assert "A.6.2" not in keys
    assert cov.rows[0].label.startswith("4.1 ")
    assert cov.rows[0].depth == 1
    assert cov.audits == ()
    assert cov.uncovered == 70


def test_two_audits_cover_five_refs(plan):
    programme = plan.programme()
    first = _audit_covering(plan, programme, FIRST)
    second = _audit_covering(plan, programme, SECOND)
    cov = coverage.programme_coverage(programme)
    assert cov.uncovered == 66
    assert [c.reference for c in cov.audits] == ["IA-2026-01", "IA-2026-02"]
    assert _covered(cov) == {
        "6.1.4": (first.id,),
        "8.4": (first.id, second.id),
        "9.2.2": (second.id,),
        "A.5.2": (first.id,),
    }


def test_a_cancelled_audit_does_not_count(plan):
    programme = plan.programme()
    _audit_covering(plan, programme, FIRST)
    cancelled = _audit_covering(plan, programme, SECOND)
    cancelled.status = AuditStatus.CANCELLED
    db.session.flush()
    cov = coverage.programme_coverage(programme)
    assert cov.uncovered == 67
    assert cancelled.id not in [c.id for c in cov.audits]
    assert "9.2.2" not in _covered(cov)


def test_an_audit_of_another_programme_does_not_count(plan):
    programme = plan.programme()
    other = plan.programme("2027", period=(date(2027, 1, 1), date(2027, 12, 31)))
    _audit_covering(plan, other, FIRST, dates=(date(2027, 3, 1), date(2027, 3, 2)))
    assert coverage.programme_coverage(programme).uncovered == 70


def test_a_newer_version_of_the_same_checklist_counts_by_ref(plan):
    programme = plan.programme()
    parsed = checklists.validate_path(ROOT / "checklists" / "iso42001")
    parsed.header["version"] = parsed.header["version"] + "-next"  # any number the shipped library does not use
    newer = checklists.load(parsed, source="test", actor=None).version
    other = checklists.load_upload("other.yaml", OTHER_STANDARD.encode(), actor=None).version
    db.session.flush()
    audit = _audit_covering(plan, programme, ("A.6.2.8", "9.2.2"), version=newer)
    _audit_covering(plan, programme, ("4.1", "7.2"), version=other)  # same refs, another checklist: no count
    cov = coverage.programme_coverage(programme)
    assert newer.id != programme.checklist_version_id
    assert _covered(cov) == {"9.2.2": (audit.id,), "A.6.2.8": (audit.id,)}
    assert cov.uncovered == 68
    assert len(cov.rows) == 70


# ------------------------------------------------------------------ suggestions (pure)


def test_nonconformities_alone_make_an_area_high():
    s = suggest("9.2.2", RiskContext(nonconformities={"9.2.2": 1}))
    assert s == coverage.Suggestion("high", ("1 nonconformity recorded in this or the previous programme",))


def test_suggest_without_signals_is_low():
    assert suggest("7.2", RiskContext()) == coverage.Suggestion("low", ("no risk signal found",))
    assert suggest("7.2", RiskContext()).frequency == "Audit at least once in the three-year cycle"


def test_high_risk_systems_raise_the_ai_areas_only():
    ctx = RiskContext(high_risk_systems=("Credit Scorer", "Fraud Net"))
    for ref in ("6.1.4", "8.4", "A.5.2", "A.9.3", "4.1"):
        s = suggest(ref, ctx)
        assert s.level == "medium", ref
        assert s.reasons == ("2 high-risk AI system(s) in scope: Credit Scorer, Fraud Net",)
    assert suggest("7.5.1", ctx).level == "low"
    assert suggest("4.2", ctx).level == "low"  # 4.2 is not under the 4.1 area


def test_changing_systems_raise_the_change_areas_only():
    ctx = RiskContext(changing_systems=("Chatbot (deployment)",))
    assert suggest("6.3", ctx) == coverage.Suggestion("medium", ("AI systems changing: Chatbot (deployment)",))
    assert suggest("A.6.2.4", ctx).level == "medium"
    assert suggest("A.6.1.2", ctx).level == "low"
    assert suggest("9.1", ctx).level == "low"


def test_signals_add_up_and_nonconformities_make_an_area_high():
    ctx = RiskContext(
        high_risk_systems=("Credit Scorer",),
        changing_systems=("Chatbot (deployment)",),
        previously_covered=frozenset({"9.2.2"}),
        previous_code="2025",
        nonconformities={"7.2": 1, "10.2": 2},
    )
    assert suggest("7.2", ctx) == coverage.Suggestion(
        "high",
        ("1 nonconformity recorded in this or the previous programme", "not audited in the previous programme (2025)"),
    )
    assert suggest("10.2", ctx).reasons[0] == "2 nonconformities recorded in this or the previous programme"
    assert suggest("A.7.2", ctx).level == "high"  # high-risk area, change area and not audited before
    assert suggest("9.2.2", ctx).level == "low"
    assert suggest("9.1", ctx) == coverage.Suggestion("medium", ("not audited in the previous programme (2025)",))
    assert suggest("9.1", ctx).frequency == "Audit once in this period"
    assert suggest("A.7.2", ctx).frequency == "Audit at least twice in this period"


# ------------------------------------------------------------------ suggestions from the database


def test_risk_context_reads_the_inventory_and_the_previous_programme(plan):
    unit = plan.unit("Credit")
    plan.system("Credit Scorer", owner=unit, risk=RiskLevel.HIGH)
    plan.system("Fraud Net", owner=unit, risk=RiskLevel.CRITICAL, stage=LifecycleStage.DEPLOYMENT)
    plan.system("Old Bot", owner=unit, risk=RiskLevel.CRITICAL, in_scope=False)
    plan.system("New Helper", owner=unit, created_at=utcnow() - timedelta(days=10))
    previous = plan.programme("2025", period=(date(2025, 1, 1), date(2025, 12, 31)))
    _audit_covering(plan, previous, ("6.1.4", "9.2.2"), dates=(date(2025, 5, 5), date(2025, 5, 6)))
    gone = _audit_covering(plan, previous, ("7.2",), dates=(date(2025, 6, 2), date(2025, 6, 3)))
    gone.status = AuditStatus.CANCELLED
    programme = plan.programme()
    db.session.flush()
    ctx = coverage.risk_context(programme, "iso42001")
    assert ctx.high_risk_systems == ("Credit Scorer", "Fraud Net")
    assert ctx.changing_systems == ("Fraud Net (deployment)", "New Helper (operation and monitoring)")
    assert ctx.previously_covered == {"6.1.4", "9.2.2"}
    assert ctx.previous_code == "2025"

    rows = {row.key: row for row in coverage.programme_coverage(programme).rows}
    assert rows["6.1.4"].suggestion.level == "medium"
    assert rows["6.1.4"].suggestion.reasons == ("2 high-risk AI system(s) in scope: Credit Scorer, Fraud Net",)
    assert rows["9.2.2"].suggestion.reasons == ("no risk signal found",)
    assert rows["7.2"].suggestion.reasons == ("not audited in the previous programme (2025)",)
    assert rows["A.7.2"].suggestion.level == "high"
    assert len(rows["A.7.2"].suggestion.reasons) == 3


def _in_fieldwork(plan, programme, dates, results: dict[str, ResponseResult]):
    """An audit of 4.1 and 8.4 (the `ready` scope) in fieldwork, with these checklist conclusions."""
    audit = plan.ready(plan.audit(programme, dates=dates), AuditStatus.FIELDWORK)
    for response in db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)):
        response.result = results.get(response.item.ref, ResponseResult.CONFORMING)
    return audit


def test_nonconformities_recorded_in_fieldwork_raise_the_priority(plan):
    NC, OBS = ResponseResult.NONCONFORMITY, ResponseResult.OBSERVATION
    older = plan.programme("2024", period=(date(2024, 1, 1), date(2024, 12, 31)))
    _in_fieldwork(plan, older, (date(2024, 5, 6), date(2024, 5, 7)), {"8.4": NC})  # two programmes back
    previous = plan.programme("2025", period=(date(2025, 1, 1), date(2025, 12, 31)))
    _in_fieldwork(plan, previous, (date(2025, 5, 5), date(2025, 5, 6)), {"4.1": NC, "8.4": OBS})
    programme = plan.programme()
    _in_fieldwork(plan, programme, (date(2026, 3, 2), date(2026, 3, 4)), {"4.1": NC})
    cancelled = _in_fieldwork(plan, programme, (date(2026, 4, 6), date(2026, 4, 7)), {"8.4": NC})
    cancelled.status = AuditStatus.CANCELLED
    db.session.flush()

    ctx = coverage.risk_context(programme, "iso42001")
    assert ctx.nonconformities == {"4.1": 2}  # not the observation, the cancelled audit or the older programme
    rows = {row.key: row for row in coverage.programme_coverage(programme).rows}
    assert rows["4.1"].suggestion == coverage.Suggestion(
        "high", ("2 nonconformities recorded in this or the previous programme",)
    )
    assert rows["8.4"].suggestion.level == "low"
    # Counts from the findings register, when given, are used instead.
    assert coverage.risk_context(programme, "iso42001", nonconformities={"5.2": 1}).nonconformities == {"5.2": 1}


def test_without_a_previous_programme_nothing_counts_as_not_audited_before(plan):
    programme = plan.programme()
    ctx = coverage.risk_context(programme, "iso42001")
    assert ctx.previously_covered is None
    assert ctx.previous_code == ""
    cov = coverage.programme_coverage(programme)
    assert {row.suggestion.level for row in cov.rows} == {"low"}
    assert coverage.programme_coverage(programme, with_suggestions=False).rows[0].suggestion is None


# ------------------------------------------------------------------ scope views


@pytest.fixture
def inventory(plan):
    credit = plan.unit("Credit")
    lending = plan.unit("Lending", kind=UnitKind.PROCESS, parent=credit)
    closed = plan.unit("Closed Branch", kind=UnitKind.SITE)
    closed.active = False
    scorer = plan.system("Credit Scorer", owner=credit)
    chat = plan.system("Chatbot", owner=lending)
    plan.system("Retired Model", owner=credit, in_scope=False)
    return {"credit": credit, "lending": lending, "scorer": scorer, "chat": chat}


def test_scope_coverage_counts_systems_and_units(plan, inventory):
    programme = plan.programme()
    first = plan.audit(programme)
    audits.set_scope(first, unit_ids=[inventory["credit"].id], system_ids=[inventory["scorer"].id], actor=plan.admin)
    second = plan.audit(programme)
    audits.set_scope(second, unit_ids=[inventory["credit"].id], system_ids=[], actor=plan.admin)
    cancelled = plan.audit(programme)
    audits.set_scope(cancelled, unit_ids=[], system_ids=[inventory["chat"].id], actor=plan.admin)
    cancelled.status = AuditStatus.CANCELLED
    db.session.flush()

    systems, units = coverage.scope_coverage(programme)
    assert [r.label for r in systems.rows] == ["Chatbot", "Credit Scorer"]  # in-scope systems only
    assert {r.label: r.covered_by for r in systems.rows} == {"Chatbot": (), "Credit Scorer": (first.id,)}
    assert systems.uncovered == 1
    assert [r.label for r in units.rows] == ["Credit (department)", "Lending (process)"]  # active units only
    assert {r.label: r.covered_by for r in units.rows} == {
        "Credit (department)": (first.id, second.id),
        "Lending (process)": (),
    }
    assert units.uncovered == 1
    assert [c.id for c in units.audits] == [first.id, second.id]


def test_a_reason_names_a_few_systems_and_counts_the_rest():
    names = tuple(f"System {n}" for n in range(40))
    ctx = RiskContext(high_risk_systems=names, changing_systems=names[:4])
    assert suggest("6.1.4", ctx).reasons == (
        "40 high-risk AI system(s) in scope: System 0, System 1, System 2 and 37 more",
    )
    assert suggest("6.3", ctx).reasons == ("AI systems changing: System 0, System 1, System 2 and 1 more",)
    assert suggest("8.2", RiskContext(high_risk_systems=names[:3])).reasons == (
        "3 high-risk AI system(s) in scope: System 0, System 1, System 2",
    )


def test_the_matrix_separates_achieved_from_not_audited_in_column_order():
    first, second = (coverage.AuditColumn(n, f"IA-{n}", f"Audit {n}", AuditStatus.CLOSED) for n in (1, 2))
    done = [
        coverage.Outcome(2, "7.2", ResponseResult.CONFORMING),
        coverage.Outcome(1, "7.2", ResponseResult.NONCONFORMITY),
        coverage.Outcome(1, "8.4", ResponseResult.NOT_AUDITED, "Supplier unavailable"),
        coverage.Outcome(2, "8.4", ResponseResult.NOT_ASSESSED),  # not an outcome: counts as neither
    ]
    matrix = coverage.clause_matrix(
        [("7.2", "Competence", 2), ("8.4", "Impact assessment", 2)],
        [(first, {"7.2", "8.4"}), (second, {"7.2", "8.4"})],
        outcomes=by_item(done),
    )
    rows = {row.key: row for row in matrix.rows}
    assert rows["7.2"].achieved_by == (1, 2)  # in column order, whatever order the outcomes came in
    assert (rows["8.4"].achieved, rows["8.4"].not_audited) == (False, ((1, "Supplier unavailable"),))
    assert rows["8.4"].not_audited_reason(1) == "Supplier unavailable"
    assert (matrix.achieved, matrix.uncovered) == (1, 0)
