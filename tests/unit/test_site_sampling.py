"""IAF MD 1 mixed site selection (issue 9 item 4, DOMAIN.md 3.2): at least 25 % of the sites drawn at random, the
rest chosen by the auditor on risk, each with its reason.

The random part is checked against random.Random(seed).sample over the frozen list (ids ascending as text), computed
here independently of the app's lazy stream.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Activity, AuditStatus, PopulationSource, Role, SampleItem, SampleMethod, SizeBasis
from audit_app.services.sampling import populations, samples
from tests.fixtures.sampling import DEV, OK

SITES = [f"SITE-{i:02d}" for i in range(1, 26)]  # 25 sites: initial certification visits ceil(sqrt(25)) = 5
CENTRAL = "Head office"


@pytest.fixture
def audit(plan):
    audit = plan.audit()
    plan.ready(audit, AuditStatus.FIELDWORK)
    return audit


@pytest.fixture
def auditor(plan, audit):
    return plan.member(audit, plan.user(Role.AUDITOR)).user


def site_sample(audit, auditor, *, share=50, method=SampleMethod.SIMPLE_RANDOM):
    data = samples.SampleData("Sites", "Each site runs the AI procedure.", "sites", (audit.scope_items[0].id,))
    sample = samples.create_sample(audit, data, actor=auditor)
    populations.set_population(
        sample,
        populations.PopulationData(
            PopulationSource.TYPED, typed="\n".join(SITES), completeness_check="Reconciled to the site register.",
            sites=True,
        ),
        actor=auditor,
    )  # fmt: skip
    rule = samples.SizeData(
        method, SizeBasis.SITE_RULE, sites_kind="initial", central_function=CENTRAL, random_share=share
    )
    samples.set_size(sample, rule, actor=auditor)
    return sample


def expected_random(seed: int, count: int) -> list[str]:
    return [sorted(SITES)[i] for i in random.Random(seed).sample(range(len(SITES)), len(SITES))[:count]]


def pick(sample, count: int) -> dict[str, str]:
    """`count` sites not drawn at random, each with its reason."""
    drawn = {unit.key for unit in samples.random_sites(sample)}
    others = [key for key in SITES if key not in drawn][:count]
    return {key: f"{key}: new AI deployment, complaints last year" for key in others}


def test_the_random_share_is_recorded_with_the_split_and_the_seed(audit, auditor):
    sample = site_sample(audit, auditor, share=50)
    params = sample.size_parameters
    assert sample.sample_size == 5
    assert (params["random_share"], params["random_sites"], params["judgemental_sites"]) == (50, 3, 2)  # ceil(2.5)
    assert sample.seed is not None  # the random part is fixed before the auditor picks
    assert "3 of the 5 sites are drawn at random (share 50%" in sample.size_rationale
    assert "other 2 are chosen by the auditor on risk" in sample.size_rationale
    logged = db.session.scalars(sa.select(Activity).where(Activity.action == "sample.size_set")).all()[-1]
    assert logged.details["seed"] == sample.seed


def test_a_full_random_share_needs_no_seed_before_the_draw(audit, auditor):
    sample = site_sample(audit, auditor, share=100)
    assert (sample.size_parameters["random_sites"], sample.size_parameters["judgemental_sites"]) == (5, 0)
    assert sample.seed is None
    assert samples.random_sites(sample) == []


@pytest.mark.parametrize("share", [0, 24, 101, -5])
def test_a_share_outside_25_to_100_is_refused(audit, auditor, share):
    with pytest.raises(ValidationFailed) as refused:
        site_sample(audit, auditor, share=share)
    assert "random_share" in refused.value.errors
    assert "at least 25%" in str(refused.value)


def test_a_mixed_selection_draws_its_random_part_by_simple_random_selection(audit, auditor):
    with pytest.raises(ValidationFailed) as refused:
        site_sample(audit, auditor, share=50, method=SampleMethod.SYSTEMATIC)
    assert "random_share" in refused.value.errors


def test_the_random_part_reproduces_from_the_seed_and_the_picks_follow(audit, auditor):
    sample = site_sample(audit, auditor, share=25)  # ceil(5 * 25%) = 2 at random, 3 on risk
    assert [u.key for u in samples.random_sites(sample)] == expected_random(sample.seed, 2)
    picks = pick(sample, 3)
    samples.draw(sample, actor=auditor, picks=picks)
    items = [i for i in sample.items if i.replaces_id is None]
    assert [i.key for i in items[:2]] == expected_random(sample.seed, 2)
    assert all(i.rationale == "" for i in items[:2])
    assert {i.key: i.rationale for i in items[2:]} == {key: why.strip() for key, why in picks.items()}
    assert sample.selection_params["random_n"] == 2
    assert sample.selection_params["judgemental_n"] == 3
    assert sample.sample_size == 5
    assert samples.reperformance(sample) == (True, "")
    assert samples.check_reperformance(sample).same


def test_re_performance_notices_a_changed_random_site(audit, auditor):
    sample = site_sample(audit, auditor, share=50)
    samples.draw(sample, actor=auditor, picks=pick(sample, 2))
    first = sample.items[0]
    other = next(i for i, key in enumerate(sorted(SITES)) if key not in {item.key for item in sample.items})
    db.session.execute(sa.update(SampleItem).where(SampleItem.id == first.id).values(population_index=other))
    assert not samples.check_reperformance(sample).same


def test_a_different_seed_at_the_draw_is_refused(audit, auditor):
    sample = site_sample(audit, auditor, share=50)
    with pytest.raises(ValidationFailed) as refused:
        samples.draw(sample, actor=auditor, seed=sample.seed + 1, picks=pick(sample, 2))
    assert "seed" in refused.value.errors
    samples.draw(sample, actor=auditor, seed=sample.seed, picks=pick(sample, 2))  # the recorded seed is accepted
    assert len(sample.items) == 5


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "not sites of the population: SITE-99"),
        ("central", "is the central function"),
        ("random", "already drawn at random"),
        ("blank", "missing for"),
        ("too_few", "pick 2 sites on risk to make up the size 5 (1 given)"),
        ("too_many", "(3 given)"),
        ("none", "(0 given)"),
    ],
)
def test_picks_are_validated(audit, auditor, case, message):
    sample = site_sample(audit, auditor, share=50)
    good = pick(sample, 3)
    first, second, third = good
    drawn = samples.random_sites(sample)[0].key
    picks = {
        "unknown": {first: "risk", "SITE-99": "risk"},
        "central": {first: "risk", CENTRAL: "risk"},
        "random": {first: "risk", drawn: "risk"},
        "blank": {first: "risk", second: "  "},
        "too_few": {first: "risk"},
        "too_many": {first: "risk", second: "risk", third: "risk"},
        "none": None,
    }[case]
    with pytest.raises(ValidationFailed) as refused:
        samples.draw(sample, actor=auditor, picks=picks)
    assert "picks" in refused.value.errors
    assert message in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).where(SampleItem.sample_id == sample.id)) == 0


def test_the_evaluation_separates_sites_drawn_at_random_from_those_chosen_on_risk(audit, auditor):
    sample = site_sample(audit, auditor, share=50)
    picks = pick(sample, 2)
    samples.draw(sample, actor=auditor, picks=picks)
    items = list(sample.items)
    for index, item in enumerate(items):
        samples.record_result(item, DEV if index in (0, 3) else OK, actor=auditor, note="Checked on site.")
    result = samples.evaluate(sample, actor=auditor)
    assert not result.statistical  # MD 1 site sampling gives no statistical confidence
    sites = sample.evaluation["sites"]
    assert (sites["central_function"], sites["random_share"], sites["random"], sites["on_risk"]) == (CENTRAL, 50, 3, 2)
    assert sites["deviating_random"] == [items[0].key]
    assert sites["deviating_on_risk"] == [items[3].key]
    assert items[3].key in picks
