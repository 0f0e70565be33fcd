"""services.samples and services.populations on a real database: seed, methods, replacements, evaluation."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from scipy.stats import beta
from sqlalchemy.orm.exc import StaleDataError

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Activity,
    AuditStatus,
    DeviationNature,
    OrgUnit,
    PopulationSource,
    RiskLevel,
    Role,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    SizeBasis,
    TeamRole,
    UnitKind,
)
from audit_app.services.sampling import populations, samples
from audit_app.services.sampling import selection as sel
from tests.fixtures.sampling import DEV, KEYS, OK, STRATA, VOID, attribute, keys, make_sample, sized


@pytest.fixture
def audit(plan):
    audit = plan.audit()
    plan.ready(audit, AuditStatus.FIELDWORK)
    return audit


@pytest.fixture
def auditor(plan, audit):
    return plan.member(audit, plan.user(Role.AUDITOR)).user


# --- Seed and re-performance --------------------------------------------------------------------------------


def test_the_seed_is_on_record_before_anything_is_drawn(audit, auditor, monkeypatch):
    sample = sized(make_sample(audit, auditor), auditor)
    seen = []
    real_select = sel.select

    def spy(population, method, n, **kwargs):
        # What the database holds at this moment (a connection query: no autoflush).
        stored = db.session.connection().execute(sa.text("SELECT seed FROM sample WHERE id = :id"), {"id": sample.id})
        seen.append((stored.scalar_one(), kwargs["seed"]))
        return real_select(population, method, n, **kwargs)

    monkeypatch.setattr(sel, "select", spy)
    samples.draw(sample, actor=auditor, seed=4242)

    assert seen == [(4242, 4242), (4242, 4242)]  # the draw, then its re-performance from the snapshot
    assert sample.seed == 4242
    assert len(sample.items) == 12


def test_a_seed_is_generated_recorded_and_reperformable(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor)
    db.session.commit()

    assert sample.seed is not None
    assert 0 <= sample.seed < sel.MAX_SEED
    logged = db.session.scalar(sa.select(Activity).where(Activity.action == "sample.drawn"))
    assert logged.details["seed"] == sample.seed
    assert samples.reperform(sample) is True


def test_reperform_checks_the_snapshot_hash_and_the_recorded_selection(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=7)
    assert samples.reperform(sample) is True

    sample.items[0].population_index = next(
        i for i in range(120) if i not in {x.population_index for x in sample.items}
    )
    assert samples.reperform(sample) is False  # the record no longer matches what the seed draws

    snapshot = Path(current_app.instance_path) / "uploads" / "populations" / sample.population_file
    snapshot.write_text(snapshot.read_text("utf-8").replace("TX-001", "TX-999"), "utf-8")
    with pytest.raises(Conflict, match="hash"):
        samples.reperform(sample)


def test_the_same_population_and_seed_give_the_same_selection(audit, auditor):
    first = sized(make_sample(audit, auditor), auditor)
    second = sized(make_sample(audit, auditor), auditor)
    samples.draw(first, actor=auditor, seed=99)
    samples.draw(second, actor=auditor, seed=99)

    assert first.population_hash == second.population_hash
    assert keys(first) == keys(second)
    with pytest.raises(Conflict, match="never re-drawn"):
        samples.draw(first, actor=auditor, seed=100)


# --- Every method -------------------------------------------------------------------------------------------


def test_systematic_takes_every_kth_unit_from_a_seeded_start(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.SYSTEMATIC)
    samples.draw(sample, actor=auditor, seed=5)

    indices = [i.population_index for i in sample.items]
    assert sample.selection_params["interval"] == 10
    assert [b - a for a, b in itertools.pairwise(indices)] == [10] * 11
    assert 0 <= indices[0] < 10
    assert samples.reperform(sample) is True


def test_stratified_allocates_proportionally_within_the_column_strata(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.STRATIFIED)
    samples.draw(sample, actor=auditor, seed=11)

    assert sample.population_columns["strata"] == ["high", "low", "medium"]
    allocation = {h: s["n_h"] for h, s in sample.selection_params["strata"].items()}
    assert allocation == {"high": 2, "low": 6, "medium": 4}
    tiers = dict(zip(KEYS, [t for t, c in STRATA.items() for _ in range(c)], strict=True))
    assert all(tiers[i.key] == i.stratum for i in sample.items)
    assert samples.reperform(sample) is True


def test_judgemental_keeps_a_rationale_per_pick(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.JUDGEMENTAL)
    with pytest.raises(ValidationFailed) as missing:
        samples.draw(sample, actor=auditor, picks={"TX-005": "Largest amount", "TX-090": ""})
    assert "picks" in missing.value.errors

    samples.draw(sample, actor=auditor, picks={"TX-005": "Largest amount", "TX-090": "Manual override"})
    assert [(i.key, i.rationale) for i in sample.items] == [("TX-005", "Largest amount"), ("TX-090", "Manual override")]
    assert (sample.seed, sample.sample_size) == (None, 2)
    assert samples.reperform(sample) is True


def test_whole_population_tests_every_unit(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.WHOLE_POPULATION)
    samples.draw(sample, actor=auditor)

    assert sample.sample_size == 120
    assert sorted(keys(sample)) == KEYS
    assert sample.selection_params["full_population"] is True


# --- Replacements -------------------------------------------------------------------------------------------


def test_a_replacement_is_logged_and_stays_in_the_stratum(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.STRATIFIED)
    samples.draw(sample, actor=auditor, seed=3)
    voided = next(i for i in sample.items if i.stratum == "high")

    replacement = samples.record_result(voided, VOID, actor=auditor, note="Voided transaction")
    db.session.flush()

    assert replacement is not None
    assert (replacement.stratum, replacement.replaces_id) == ("high", voided.id)
    assert replacement.key not in keys(sample)
    logged = db.session.scalar(sa.select(Activity).where(Activity.action == "sample.replacement_drawn"))
    assert (logged.subject_id, logged.details["replaced"], logged.details["replacement"]) == (
        sample.id,
        voided.key,
        replacement.key,
    )
    assert logged.details["reason"] == "Voided transaction"
    with pytest.raises(ValidationFailed) as no_note:
        samples.record_result(sample.items[1], VOID, actor=auditor)
    assert "note" in no_note.value.errors


def test_replacements_are_deterministic(audit, auditor):
    drawn = []
    for _ in range(2):
        sample = sized(make_sample(audit, auditor), auditor)
        samples.draw(sample, actor=auditor, seed=2026)
        drawn.append(samples.record_result(sample.items[3], VOID, actor=auditor, note="Outside the period"))

    assert drawn[0].key == drawn[1].key
    assert samples.reperform(sample) is True  # replacements do not disturb re-performance


def test_judgemental_items_get_no_replacement(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.JUDGEMENTAL)
    samples.draw(sample, actor=auditor, picks={"TX-005": "Largest amount"})

    assert samples.record_result(sample.items[0], VOID, actor=auditor, note="Reversed in error") is None
    assert db.session.scalar(sa.select(Activity).where(Activity.action == "sample.replacement_drawn")) is None


# --- Evaluation ---------------------------------------------------------------------------------------------


def test_pending_items_block_the_evaluation(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=1)
    samples.record_result(sample.items[0], OK, actor=auditor)

    with pytest.raises(Conflict) as pending:
        samples.evaluate(sample, actor=auditor)
    assert sample.items[1].key in str(pending.value)
    assert sample.items[0].key not in str(pending.value)


def test_attribute_basis_is_statistical_with_the_exact_limit(audit, auditor):
    sample = attribute(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=8)
    n = sample.sample_size
    for index, item in enumerate(sample.items):
        samples.record_result(item, DEV if index < 2 else OK, actor=auditor)

    result = samples.evaluate(sample, actor=auditor)

    assert samples.is_statistical(sample) is True
    assert (result.deviations, result.sample_size) == (2, n)
    assert sample.upper_limit == pytest.approx(beta.ppf(0.95, 3, n - 2), rel=1e-9)
    assert "95% confidence" in sample.conclusion
    assert sample.proposed_finding == ""  # offered once the deviations are interpreted
    samples.interpret(sample, cause="Reviewer on leave", nature=DeviationNature.ISOLATED, actor=auditor)
    assert sample.proposed_finding.startswith(f"2 of {n} sampled reviews did not meet A1")
    assert "judged isolated: Reviewer on leave" in sample.proposed_finding
    with pytest.raises(Conflict):
        samples.record_result(sample.items[0], OK, actor=auditor)


def test_judgemental_evaluation_has_no_statistical_confidence(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, SampleMethod.JUDGEMENTAL)
    samples.draw(sample, actor=auditor, picks={"TX-001": "First of the year", "TX-002": "Reversed"})
    samples.record_result(sample.items[0], DEV, actor=auditor)
    samples.record_result(sample.items[1], OK, actor=auditor)

    result = samples.evaluate(sample, actor=auditor)

    assert (sample.upper_limit, result.confidence, result.statistical) == (None, None, False)
    assert "no statistical confidence" in sample.conclusion
    samples.interpret(sample, cause="No sign-off step", nature=DeviationNature.SYSTEMIC, actor=auditor)
    assert sample.proposed_finding.startswith("1 of 2 sampled reviews")


def test_a_frequency_table_size_is_not_statistical(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor, basis=SizeBasis.FREQUENCY, frequency="monthly", risk="high")
    assert sample.sample_size == 5
    assert "Judgemental guidance" in sample.size_rationale
    samples.draw(sample, actor=auditor, seed=12)
    for item in sample.items:
        samples.record_result(item, OK, actor=auditor)

    samples.evaluate(sample, actor=auditor)

    assert samples.is_statistical(sample) is False
    assert sample.upper_limit is None
    assert "no statistical confidence" in sample.conclusion
    assert sample.proposed_finding == ""


# --- Population sources and who may set them ----------------------------------------------------------------


def test_population_from_the_ai_system_inventory(plan, audit, auditor):
    owner = plan.unit()
    plan.system("Credit scorer", owner=owner, risk=RiskLevel.HIGH)
    plan.system("Chatbot", owner=owner)
    plan.system("Retired model", owner=owner, in_scope=False)

    sample = make_sample(audit, auditor, PopulationSource.AI_SYSTEMS)

    assert sample.population_size == 2
    assert sample.population_columns["strata"] == sorted([RiskLevel.HIGH.label, RiskLevel.LOW.label])
    assert sorted(u.key for u in populations.load_population(sample).units) == ["Chatbot", "Credit scorer"]


def test_population_from_the_org_units(plan, audit, auditor):
    active = {u.name for u in db.session.scalars(sa.select(OrgUnit))}
    plan.unit("Claims", kind=UnitKind.DEPARTMENT)
    plan.unit("Closed branch").active = False

    sample = make_sample(audit, auditor, PopulationSource.ORG_UNITS)

    assert {u.key for u in populations.load_population(sample).units} == active | {"Claims"}
    assert sample.population_source is PopulationSource.ORG_UNITS


def test_duplicate_ids_are_all_listed_and_nothing_is_stored(audit, auditor):
    data = samples.SampleData("Changes", "Approved", "", (audit.scope_items[0].id,))
    sample = samples.create_sample(audit, data, actor=auditor)
    bad = populations.PopulationData(PopulationSource.TYPED, typed="A\nB\nA\nC\nB\n")

    with pytest.raises(ValidationFailed) as refused:
        populations.set_population(sample, bad, actor=auditor)

    (problem,) = refused.value.errors["population"]
    assert "'A' (lines 1, 3)" in problem
    assert "'B' (lines 2, 5)" in problem
    assert (sample.population_size, sample.population_file) == (None, "")


def test_population_needs_fieldwork_and_an_auditor_on_the_team(plan, audit, auditor):
    sample = samples.create_sample(audit, samples.SampleData("S", "A", "", (audit.scope_items[0].id,)), actor=auditor)
    typed = populations.PopulationData(PopulationSource.TYPED, typed="A-1\nA-2")
    observer = plan.member(audit, plan.user(Role.AUDITOR), TeamRole.OBSERVER).user

    with pytest.raises(NotAllowed):
        populations.set_population(sample, typed, actor=observer)
    with pytest.raises(NotAllowed):
        populations.set_population(sample, typed, actor=plan.user(Role.AUDITOR))
    audit.status = AuditStatus.REPORTING
    with pytest.raises(Conflict, match="fieldwork"):
        populations.set_population(sample, typed, actor=auditor)
    assert sample.population_size is None


# --- The stored re-performance verdict, the bulk draw and results against a changed sample ------------------


def test_the_draw_checks_reperformance_once_and_keeps_the_verdict(audit, auditor, monkeypatch):
    sample = sized(make_sample(audit, auditor), auditor)
    drawn = samples.draw(sample, actor=auditor, seed=99)
    db.session.commit()

    assert (sample.reperformed, sample.reperformed_sha256, sample.reperform_problem) == (
        True,
        sample.population_hash,
        "",
    )
    assert (sample.reperformed_by_id, sample.reperformed_at is not None) == (auditor.id, True)
    monkeypatch.setattr(samples, "check_reperformance", lambda s: pytest.fail("a view re-performed the draw"))
    assert samples.reperformance(sample) == (True, "")
    # The items were stored at once, whole, with their defaults; the return value reads them when used.
    assert (len(drawn), [i.key for i in drawn[:2]]) == (12, keys(sample)[:2])
    assert {(i.version, i.result, i.note) for i in sample.items} == {(1, SampleItemResult.PENDING, "")}


def test_a_verdict_is_never_shown_for_another_population(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    sample.reperformed_sha256 = "0" * 64
    same, why = samples.reperformance(sample)
    assert same is False
    assert "another population" in why
    verdict = samples.recheck(sample, actor=auditor)
    assert (verdict.same, verdict.sha256) == (True, sample.population_hash)
    assert samples.reperformance(sample) == (True, "")


def test_a_missing_snapshot_is_a_failed_check_not_an_error(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    (Path(current_app.instance_path) / "uploads" / "populations" / sample.population_file).unlink()
    verdict = samples.recheck(sample, actor=auditor)
    assert (verdict.same, verdict.sha256) == (False, "")
    assert "cannot be read" in verdict.problem
    assert samples.reperformance(sample) == (False, verdict.problem)


def test_a_result_is_refused_once_the_sample_was_evaluated_meanwhile(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    db.session.commit()
    item = sample.items[0]
    # Another request evaluated the sample after this one loaded it (this session still holds "selected").
    db.session.execute(sa.update(Sample.__table__).where(Sample.id == sample.id).values(status="evaluated"))
    with pytest.raises(Conflict, match="before the evaluation"):
        samples.record_result(item, OK, actor=auditor)


def test_a_result_saved_from_a_stale_copy_of_the_item_is_refused(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    db.session.commit()
    item = sample.items[0]
    # Another request saved this item after this one loaded it: the row's version moved on.
    table = SampleItem.__table__
    db.session.execute(sa.update(table).where(table.c.id == item.id).values(version=2, result="conforming"))
    with pytest.raises(StaleDataError):
        samples.record_result(item, DEV, actor=auditor, note="No sign-off")


def test_parallel_creations_take_their_number_in_the_insert(audit, auditor):
    first = samples.create_sample(audit, samples.SampleData("One", "x", "", (audit.scope_items[0].id,)), actor=auditor)
    second = samples.create_sample(audit, samples.SampleData("Two", "x", "", (audit.scope_items[0].id,)), actor=auditor)
    db.session.flush()
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.reference.endswith("-S02")


def test_a_change_to_a_sample_changed_meanwhile_is_refused(audit, auditor):
    sample = make_sample(audit, auditor)
    db.session.commit()
    # Another request changed the sample (a population frozen again) after this one loaded it.
    table = Sample.__table__
    db.session.execute(sa.update(table).where(table.c.id == sample.id).values(version=table.c.version + 1))
    with pytest.raises(StaleDataError):
        sized(sample, auditor)  # its activity entry flushes the change


def test_a_tampered_snapshot_of_the_wrong_shape_is_a_failed_check(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    (Path(current_app.instance_path) / "uploads" / "populations" / sample.population_file).write_text('{"a": 1}')
    verdict = samples.recheck(sample, actor=auditor)
    assert verdict.same is False
    assert "cannot be read" in verdict.problem


def test_freezing_a_draft_population_again_keeps_one_snapshot(audit, auditor):
    sample = make_sample(audit, auditor)
    first = sample.population_file
    db.session.commit()
    populations.set_population(
        sample, populations.PopulationData(PopulationSource.TYPED, typed="A\nB\nC"), actor=auditor
    )
    db.session.commit()
    folder = Path(current_app.instance_path) / "uploads" / "populations"
    assert sorted(p.name for p in folder.iterdir()) == [sample.population_file]
    assert sample.population_file != first
