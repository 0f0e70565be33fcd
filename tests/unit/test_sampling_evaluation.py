"""Sampling evaluation consistent with the sample's design (issue 9, item 4).

Exact finite-population limits are checked against scipy's hypergeometric distribution, stratified limits against
scipy's beta quantiles combined by the stratum weights; whole populations conclude on the population; each attribute
is evaluated on its own; an item that cannot be examined is a deviation; a whole interval k reproduces a selection
drawn by hand. The population's completeness check gates the draw, the IAF MD 1 site rule is for sites only, and an
evaluated sample is interpreted and then signed off by the audit's lead auditor.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from scipy.stats import beta, hypergeom

from audit_app.errors import Conflict, NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Activity,
    AuditStatus,
    DeviationNature,
    PopulationSource,
    Role,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    SizeBasis,
)
from audit_app.services.sampling import limits, samples
from tests.fixtures.sampling import DEV, NT, OK, VOID, make_sample, sized

ALPHA_EPS = 1e-12


@pytest.fixture
def audit(plan):
    audit = plan.audit()
    plan.ready(audit, AuditStatus.FIELDWORK)
    return audit


@pytest.fixture
def auditor(plan, audit):
    return plan.member(audit, plan.user(Role.AUDITOR)).user


def scipy_upper_deviations(population: int, n: int, k: int, confidence: float) -> int:
    """The largest D with P(X <= k | N, D, n) > 1 - c, by scipy (independent of the app's integer arithmetic)."""
    alpha = 1 - confidence
    return max(d for d in range(population + 1) if hypergeom.cdf(k, population, d, n) > alpha + ALPHA_EPS)


def typed_sample(audit, auditor, count: int, *, attributes=(), prefix="U"):
    data = samples.SampleData("Releases", "Each release is signed off.", "releases", (audit.scope_items[0].id,))
    data = samples.SampleData(data.title, data.attribute, data.sampling_unit, data.checklist_item_ids, attributes)
    typed = "\n".join(f"{prefix}-{i:03d}" for i in range(1, count + 1))
    sample = samples.create_sample(audit, data, actor=auditor)
    return make_sample_population(sample, auditor, typed)


def make_sample_population(sample, auditor, typed: str, **extra):
    from audit_app.services.sampling import populations

    data = populations.PopulationData(
        PopulationSource.TYPED, typed=typed, completeness_check="Reconciled to the register.", **extra
    )
    populations.set_population(sample, data, actor=auditor)
    return sample


def attribute_size(sample, auditor, method=SampleMethod.SIMPLE_RANDOM, *, fpc=True, confidence="0.95", rate="0.05"):
    rates = {"confidence": Decimal(confidence), "tolerable_rate": Decimal(rate), "expected_rate": Decimal(0)}
    samples.set_size(sample, samples.SizeData(method, SizeBasis.ATTRIBUTE, use_fpc=fpc, **rates), actor=auditor)
    return sample


# --- Exact finite-population limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "n", "k", "confidence"),
    [(52, 33, 0, 0.95), (52, 33, 1, 0.95), (500, 56, 1, 0.95), (40, 18, 2, 0.90), (12, 5, 0, 0.90), (250, 25, 0, 0.99)],
)
def test_the_hypergeometric_upper_limit_matches_scipy(population, n, k, confidence):
    c = Fraction(str(confidence))
    assert limits.hypergeometric_upper_deviations(c, population, n, k) == scipy_upper_deviations(
        population, n, k, confidence
    )


def test_a_clean_sample_of_33_from_52_sized_exactly_can_be_relied_on(audit, auditor):
    sample = attribute_size(typed_sample(audit, auditor, 52), auditor)
    assert sample.sample_size == 33
    samples.draw(sample, actor=auditor, seed=52)
    for item in list(sample.items):
        samples.record_result(item, OK, actor=auditor)

    result = samples.evaluate(sample, actor=auditor)

    assert scipy_upper_deviations(52, 33, 0, 0.95) == 2
    assert sample.upper_limit == pytest.approx(2 / 52)  # 3.8%, where the binomial limit says 8.7%
    assert beta.ppf(0.95, 1, 33) > 0.05
    assert result.effective is True
    assert "the control can be relied on" in sample.conclusion
    assert "at most 2 of the 52 units deviate" in sample.conclusion
    assert sample.evaluation["design"] == "hypergeometric"


def test_a_sample_sized_without_the_correction_keeps_the_binomial_limit(audit, auditor):
    sample = attribute_size(typed_sample(audit, auditor, 300), auditor, fpc=False, confidence="0.90", rate="0.10")
    samples.draw(sample, actor=auditor, seed=3)
    for index, item in enumerate(list(sample.items)):
        samples.record_result(item, DEV if index == 0 else OK, actor=auditor)

    samples.evaluate(sample, actor=auditor)

    n = sample.sample_size
    assert sample.evaluation["design"] == "binomial"
    assert sample.upper_limit == pytest.approx(beta.ppf(0.90, 2, n - 1), rel=1e-9)


# --- Stratified, whole population, attributes, unexaminable --------------------------------------------------------


def test_a_stratified_sample_is_evaluated_per_stratum_and_combined_by_weight(audit, auditor):
    sample = make_sample(audit, auditor)  # 120 units: high 20, medium 40, low 60
    attribute_size(sample, auditor, SampleMethod.STRATIFIED, fpc=False, confidence="0.95", rate="0.10")
    samples.draw(sample, actor=auditor, seed=11)
    high = [i for i in sample.items if i.stratum == "high"]
    for item in list(sample.items):
        samples.record_result(item, DEV if item is high[0] else OK, actor=auditor)

    result = samples.evaluate(sample, actor=auditor)

    strata = {s["stratum"]: s for s in sample.evaluation["attributes"][0]["strata"]}
    assert {h: s["weight"] for h, s in strata.items()} == pytest.approx({"high": 20 / 120, "low": 60 / 120,
                                                                         "medium": 40 / 120})  # fmt: skip
    expected = 0.0
    for h, s in strata.items():
        n_h, k_h = s["tested"], s["deviations"]
        assert k_h == (1 if h == "high" else 0)
        assert s["upper_limit"] == pytest.approx(beta.ppf(0.95, k_h + 1, n_h - k_h), rel=1e-9)
        expected += s["population"] / 120 * beta.ppf(0.95, k_h + 1, n_h - k_h)
    assert result.upper_limit == pytest.approx(expected, rel=1e-9)
    assert "combining the 3 strata by their weights" in sample.conclusion
    assert result.effective is bool(expected <= 0.10)


def test_whole_population_testing_concludes_on_the_population(audit, auditor):
    sample = typed_sample(audit, auditor, 8)
    samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
    samples.draw(sample, actor=auditor)
    for index, item in enumerate(list(sample.items)):
        samples.record_result(item, DEV if index == 2 else OK, actor=auditor)

    result = samples.evaluate(sample, actor=auditor)

    assert "The whole population was tested: 1 of 8 items deviated (12.5%)" in sample.conclusion
    assert "no sampling risk" in sample.conclusion
    assert "judgemental" not in sample.conclusion.lower()
    assert "no statistical confidence" not in sample.conclusion
    assert (result.effective, result.upper_limit, sample.evaluation["design"]) == (False, None, "whole_population")


def test_each_attribute_has_its_own_result_and_evaluation(audit, auditor):
    sample = typed_sample(audit, auditor, 52, attributes=("Signed before release", "Test evidence attached"))
    attribute_size(sample, auditor)
    samples.draw(sample, actor=auditor, seed=9)
    items = list(sample.items)
    for index, item in enumerate(items):
        a2 = DEV if index < 2 else OK
        samples.record_result(item, None, actor=auditor, attribute_results={"A1": OK, "A2": a2})
    assert items[0].attribute_results == {"A1": "conforming", "A2": "deviation"}
    assert items[0].result is SampleItemResult.DEVIATION  # derived: any deviation wins

    samples.evaluate(sample, actor=auditor)

    a1, a2 = sample.evaluation["attributes"]
    assert (a1["code"], a1["deviations"], a1["effective"]) == ("A1", 0, True)
    assert (a2["code"], a2["deviations"], a2["effective"]) == ("A2", 2, False)
    assert a2["upper_deviations"] == scipy_upper_deviations(52, 33, 2, 0.95)
    assert sample.deviations == 2
    assert "A1 (Signed before release)" in sample.conclusion
    assert "A2 (Test evidence attached)" in sample.conclusion
    with pytest.raises(Conflict):
        samples.record_result(items[0], OK, actor=auditor)


def test_an_item_that_cannot_be_examined_is_a_deviation_and_is_not_replaced(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)  # 12 of 120, simple random
    samples.draw(sample, actor=auditor, seed=5)
    items = list(sample.items)
    with pytest.raises(ValidationFailed) as no_note:
        samples.record_result(items[0], NT, actor=auditor)
    assert "cannot be examined" in str(no_note.value.errors["note"])
    assert samples.record_result(items[0], NT, actor=auditor, note="Record archived off-site") is None
    for item in items[1:]:
        samples.record_result(item, OK, actor=auditor)

    samples.evaluate(sample, actor=auditor)

    assert sample.deviations == 1
    assert sample.evaluation["attributes"][0]["unexaminable"] == 1
    assert "1 of them because the item could not be examined" in sample.conclusion
    assert len(list(sample.items)) == 12  # nothing was replaced


def test_a_void_item_is_replaced_from_the_same_stream_and_does_not_count(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=5)
    first = sample.items[0]
    replacement = samples.record_result(first, VOID, actor=auditor, note="Outside the period")
    assert replacement is not None and replacement.replaces_id == first.id  # noqa: PT018
    for item in [i for i in sample.items if i.result is SampleItemResult.PENDING]:
        samples.record_result(item, OK, actor=auditor)
    samples.evaluate(sample, actor=auditor)
    assert (sample.deviations, sample.evaluation["attributes"][0]["tested"]) == (0, 12)


# --- Systematic selection with a whole interval ---------------------------------------------------------------------


def test_a_whole_interval_reproduces_a_selection_drawn_by_hand(audit, auditor):
    sample = typed_sample(audit, auditor, 23, prefix="INV")
    sized(sample, auditor, SampleMethod.SYSTEMATIC, manual_size=4, rationale="Every fifth invoice")
    samples.draw(sample, actor=auditor, seed=1, interval=5, start=3)

    # By hand: the 3rd invoice of the sorted list, then every 5th: 3, 8, 13, 18, 23.
    assert [i.key for i in sample.items] == ["INV-003", "INV-008", "INV-013", "INV-018", "INV-023"]
    params = sample.selection_params
    assert (params["interval"], params["start"], params["start_source"]) == (5, 3, "given by the auditor")
    assert sample.sample_size == 5
    assert samples.reperform(sample) is True


def test_a_random_start_for_a_whole_interval_comes_from_the_recorded_seed(audit, auditor):
    import random

    sample = typed_sample(audit, auditor, 40)
    sized(sample, auditor, SampleMethod.SYSTEMATIC, manual_size=10, rationale="Every fourth")
    samples.draw(sample, actor=auditor, seed=77, interval=4)
    start = random.Random(77).randint(1, 4)
    assert [i.population_index + 1 for i in sample.items] == list(range(start, 41, 4))
    assert sample.selection_params["start"] == start
    other = typed_sample(audit, auditor, 10)
    sized(other, auditor, SampleMethod.SIMPLE_RANDOM, manual_size=3, rationale="x")
    with pytest.raises(ValidationFailed):
        samples.draw(other, actor=auditor, seed=1, interval=3)  # an interval is for systematic selection only


# --- Allocation, completeness, site rule ---------------------------------------------------------------------------


def test_fixed_allocation_per_stratum_is_recorded_and_used(audit, auditor):
    sample = make_sample(audit, auditor)
    fixed = {"high": 6, "medium": 3, "low": 2}
    size = samples.SizeData(
        SampleMethod.STRATIFIED, SizeBasis.MANUAL, manual_size=5, rationale="Risk-weighted", allocation="fixed",
        fixed_sizes=fixed,
    )  # fmt: skip
    samples.set_size(sample, size, actor=auditor)
    assert (sample.sample_size, sample.size_parameters["allocation"]) == (11, "fixed")
    samples.draw(sample, actor=auditor, seed=4)
    drawn = {h: sum(1 for i in sample.items if i.stratum == h) for h in fixed}
    assert drawn == fixed
    assert sample.selection_params["strata_rule"] == "fixed"
    other = make_sample(audit, auditor)
    size = samples.SizeData(
        SampleMethod.STRATIFIED, SizeBasis.MANUAL, manual_size=5, rationale="x", allocation="fixed",
        fixed_sizes={"high": 2},
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as missing:
        samples.set_size(other, size, actor=auditor)
    assert "give a size for stratum 'low'" in str(missing.value)


def test_the_draw_needs_the_population_completeness_check(audit, auditor):
    sample = make_sample(audit, auditor, completeness_check="")
    sized(sample, auditor)
    with pytest.raises(Conflict) as refused:
        samples.draw(sample, actor=auditor, seed=1)
    assert "completeness and accuracy check" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).where(SampleItem.sample_id == sample.id)) == 0


def test_the_site_rule_is_offered_for_site_populations_only_and_records_the_central_function(audit, auditor):
    data = samples.SampleData("Sites", "Each site runs the AI procedure.", "sites", (audit.scope_items[0].id,))
    sites = "\n".join(f"SITE-{i:02d}" for i in range(1, 26))
    rule = samples.SizeData(SampleMethod.SIMPLE_RANDOM, SizeBasis.SITE_RULE, sites_kind="initial")

    plain = make_sample_population(samples.create_sample(audit, data, actor=auditor), auditor, sites)
    with pytest.raises(ValidationFailed) as not_sites:
        samples.set_size(plain, rule, actor=auditor)
    assert "population of sites only" in str(not_sites.value)

    site_sample = make_sample_population(samples.create_sample(audit, data, actor=auditor), auditor, sites, sites=True)
    with pytest.raises(ValidationFailed) as no_central:
        samples.set_size(site_sample, rule, actor=auditor)
    assert "central_function" in no_central.value.errors
    with pytest.raises(ValidationFailed):
        samples.set_size(
            site_sample,
            samples.SizeData(SampleMethod.SIMPLE_RANDOM, SizeBasis.SITE_RULE, sites_kind="initial",
                             central_function="SITE-01"),
            actor=auditor,
        )  # fmt: skip
    samples.set_size(
        site_sample,
        samples.SizeData(SampleMethod.SIMPLE_RANDOM, SizeBasis.SITE_RULE, sites_kind="initial",
                         central_function="Head office"),
        actor=auditor,
    )  # fmt: skip
    assert site_sample.sample_size == 5  # ceil(sqrt(25))
    params = site_sample.size_parameters
    assert (params["central_function"], params["random_share"], params["random_sites"]) == ("Head office", 100, 5)


# --- Interpretation and sign-off ------------------------------------------------------------------------------------


def test_deviations_are_interpreted_before_the_finding_and_the_lead_signs_off(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=2)
    for index, item in enumerate(list(sample.items)):
        samples.record_result(item, DEV if index == 0 else OK, actor=auditor, note="No sign-off" if index == 0 else "")
    samples.evaluate(sample, actor=auditor)
    assert sample.proposed_finding == ""

    lead = audit.lead_auditor
    with pytest.raises(NotAllowed):
        samples.sign_off(sample, actor=auditor)
    with pytest.raises(Conflict) as uninterpreted:
        samples.sign_off(sample, actor=lead)
    assert "Record what the deviations mean" in str(uninterpreted.value)
    with pytest.raises(ValidationFailed):
        samples.interpret(sample, cause="  ", nature=DeviationNature.ISOLATED, actor=auditor)

    samples.interpret(sample, cause="New joiner not trained", nature=DeviationNature.ISOLATED, actor=auditor)
    assert "judged isolated: New joiner not trained" in sample.proposed_finding
    samples.sign_off(sample, actor=lead)
    assert (sample.signed_off_by_id, sample.signed_off_at is not None) == (lead.id, True)
    actions = set(db.session.scalars(sa.select(Activity.action).where(Activity.subject_id == sample.id)))
    assert {"sample.deviations_interpreted", "sample.signed_off"} <= actions
    with pytest.raises(Conflict):
        samples.interpret(sample, cause="Changed my mind", nature=DeviationNature.SYSTEMIC, actor=auditor)
    with pytest.raises(Conflict):
        samples.sign_off(sample, actor=lead)


def test_a_clean_sample_is_signed_off_without_an_interpretation(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    with pytest.raises(Conflict):
        samples.sign_off(sample, actor=audit.lead_auditor)  # not evaluated
    samples.draw(sample, actor=auditor, seed=2)
    for item in list(sample.items):
        samples.record_result(item, OK, actor=auditor)
    samples.evaluate(sample, actor=auditor)
    with pytest.raises(Conflict):
        samples.interpret(sample, cause="x", nature=DeviationNature.ISOLATED, actor=auditor)
    samples.sign_off(sample, actor=audit.lead_auditor)
    assert sample.signed_off_at is not None


# --- The grid: all or nothing ---------------------------------------------------------------------------------------


def test_a_grid_with_one_refused_row_stores_nothing_and_names_the_row(audit, auditor):
    sample = sized(make_sample(audit, auditor), auditor)
    samples.draw(sample, actor=auditor, seed=6)
    db.session.commit()  # the drawn sample, as a request would find it
    items = list(sample.items)
    rows = [samples.RowData(i.id, {"A1": OK}) for i in items[:5]]
    rows.append(samples.RowData(items[5].id, {"A1": NT}))  # no note: refused
    with pytest.raises(ValidationFailed) as refused:
        samples.record_results(sample, rows, actor=auditor)
    assert list(refused.value.errors) == [f"item-{items[5].id}"]
    assert f"row 6 ({items[5].key})" in str(refused.value)
    db.session.rollback()  # what the request pipeline does with a refusal
    assert set(db.session.scalars(sa.select(SampleItem.result).where(SampleItem.sample_id == sample.id))) == {
        SampleItemResult.PENDING
    }

    rows[-1] = samples.RowData(items[5].id, {"A1": NT}, note="Archived")
    saved = samples.record_results(sample, rows, actor=auditor)
    assert len(saved.items) == 6
    assert samples.record_results(sample, rows, actor=auditor).items == []  # unchanged rows are left alone
