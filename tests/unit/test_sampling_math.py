"""Audit-sampling arithmetic against references computed independently with scipy (DOMAIN.md section 3)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import beta, binom, hypergeom

from audit_app.services.sampling.maths import (
    FREQUENCY_TABLE,
    FREQUENCY_TABLE_NOTE,
    MAX_SAMPLE_SIZE,
    SamplingInputError,
    attribute_sample_size,
    evaluate,
    frequency_sample_size,
    site_sample_size,
    tolerated_deviations,
    upper_deviation_limit,
)


def exact_ceil(n: int, rate: str) -> int:
    return math.ceil(n * Fraction(rate))


def scipy_binomial_size(confidence: str, tolerable: str, expected: str, limit: int = 20_000) -> tuple[int, int]:
    """A straightforward search: the first n with binom.cdf(ceil(n*e), n, p) <= 1 - c."""
    ns = np.arange(1, limit + 1)
    ks = np.array([exact_ceil(int(n), expected) for n in ns])
    ok = binom.cdf(ks, ns, float(tolerable)) <= 1 - float(confidence)
    assert ok.any()
    first = int(np.argmax(ok))
    return int(ns[first]), int(ks[first])


def scipy_hypergeometric_ok(confidence: str, population: int, defects: int, expected: str, upto: int) -> np.ndarray:
    """For n = 1..upto: does hypergeom.cdf(ceil(n*e); N, D, n) <= 1 - c hold?"""
    ns = np.arange(1, upto + 1)
    ks = np.array([exact_ceil(int(n), expected) for n in ns])
    return hypergeom.cdf(ks, population, defects, ns) <= 1 - float(confidence)


# --------------------------------------------------------------------------------- attribute sizes

PLANS = [
    ("0.02", "0"),
    ("0.03", "0"),
    ("0.05", "0"),
    ("0.07", "0"),
    ("0.10", "0"),
    ("0.15", "0"),
    ("0.20", "0"),
    ("0.04", "0.01"),
    ("0.05", "0.0025"),
    ("0.05", "0.01"),
    ("0.05", "0.02"),
    ("0.06", "0.02"),
    ("0.08", "0.04"),
    ("0.10", "0.01"),
    ("0.10", "0.03"),
    ("0.10", "0.05"),
]
SIZE_CASES = [(c, p, e) for c in ("0.90", "0.95") for p, e in PLANS]


@pytest.mark.parametrize(("confidence", "tolerable", "expected"), SIZE_CASES)
def test_attribute_size_matches_a_scipy_search(confidence: str, tolerable: str, expected: str) -> None:
    result = attribute_sample_size(float(confidence), float(tolerable), float(expected))
    assert (result.sample_size, result.tolerable_deviations) == scipy_binomial_size(confidence, tolerable, expected)
    assert result.method == "binomial"
    assert result.population is None


@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected", "size", "tolerated"),
    [
        (0.95, 0.05, 0, 59, 0),  # AICPA table A-1
        (0.90, 0.10, 0, 22, 0),  # AICPA table A-2
        (0.95, 0.05, 0.01, 93, 1),
        (0.90, 0.10, 0.01, 38, 1),
    ],
)
def test_attribute_size_published_values(confidence, tolerable, expected, size, tolerated) -> None:
    result = attribute_sample_size(confidence, tolerable, expected)
    assert (result.sample_size, result.tolerable_deviations) == (size, tolerated)


@pytest.mark.parametrize(("confidence", "tolerable"), [(0.90, 0.02), (0.90, 0.1), (0.95, 0.01), (0.95, 0.05)])
def test_zero_expected_matches_the_closed_form(confidence: float, tolerable: float) -> None:
    closed_form = math.ceil(math.log(1 - confidence) / math.log(1 - tolerable))
    assert attribute_sample_size(confidence, tolerable).sample_size == closed_form


def test_whole_number_n_times_e_is_exact() -> None:
    assert tolerated_deviations(100, 0.07) == 7  # 100 * 0.07 == 7.000000000000001 in floating point
    assert tolerated_deviations(300, "0.07") == 21
    assert tolerated_deviations(100, 0.01) == 1
    assert tolerated_deviations(101, 0.01) == 2
    # 1300 * 0.07 is exactly 91, which a float ceil turns into 92; the plan tolerates 91.
    assert math.ceil(1300 * 0.07) == 92
    result = attribute_sample_size(0.90, 0.08, 0.07)
    assert (result.sample_size, result.tolerable_deviations) == (1300, 91)
    assert scipy_binomial_size("0.90", "0.08", "0.07") == (1300, 91)


def test_strings_and_floats_give_the_same_plan() -> None:
    assert attribute_sample_size("0.95", "0.05", "0.01") == attribute_sample_size(0.95, 0.05, 0.01)


# ------------------------------------------------------------------- exact finite-population sizes

FPC_CASES = [
    (c, population, p, e)
    for c in ("0.90", "0.95")
    for population in (50, 100, 250, 1000, 1_000_000)
    for p, e in (("0.05", "0"), ("0.10", "0.01"))
] + [("0.95", 1000, "0.05", "0.01"), ("0.95", 250, "0.03", "0")]


@pytest.mark.parametrize(("confidence", "population", "tolerable", "expected"), FPC_CASES)
def test_finite_population_size_is_the_smallest_hypergeometric_n(confidence, population, tolerable, expected) -> None:
    result = attribute_sample_size(float(confidence), float(tolerable), float(expected), population=population)
    defects = math.ceil(Fraction(tolerable) * population)
    ok = scipy_hypergeometric_ok(confidence, population, defects, expected, result.sample_size)
    assert ok[-1], "the size meets the hypergeometric condition"
    assert not ok[:-1].any(), "no smaller size meets it"
    binomial = attribute_sample_size(float(confidence), float(tolerable), float(expected))
    assert result.sample_size <= binomial.sample_size
    assert result.method == "hypergeometric"
    assert result.population == population
    assert result.tolerable_deviations == exact_ceil(result.sample_size, expected)


def test_finite_population_zero_expected_is_the_ratio_of_combinations() -> None:
    result = attribute_sample_size(0.95, 0.05, 0, population=50)  # D = 3
    n = result.sample_size
    assert Fraction(math.comb(47, n), math.comb(50, n)) <= Fraction(1, 20)
    assert Fraction(math.comb(47, n - 1), math.comb(50, n - 1)) > Fraction(1, 20)
    cochran = math.ceil(59 * 50 / (50 + 59 - 1))
    assert n == 31
    assert cochran < n, "Cochran's approximation understates the sample for a small population"


def test_large_population_converges_to_the_binomial_size() -> None:
    assert attribute_sample_size(0.95, 0.05, 0, population=1_000_000).sample_size == 59
    assert attribute_sample_size(0.95, 0.05, 0.01, population=1_000_000).sample_size == 93


def test_small_population_means_testing_everything() -> None:
    result = attribute_sample_size(0.95, 0.05, 0.01, population=10)  # D = 1 and every plan tolerates 1
    assert result.sample_size == 10
    assert "whole population" in result.note
    assert attribute_sample_size(0.95, 0.5, 0, population=1).sample_size == 1


def test_population_accepts_whole_number_forms() -> None:
    expected = attribute_sample_size(0.95, 0.05, population=100)
    assert attribute_sample_size(0.95, 0.05, population="100") == expected
    assert attribute_sample_size(0.95, 0.05, population=100.0) == expected


# ------------------------------------------------------------------------------------ upper limits

LIMIT_POINTS = [(1, 0), (5, 0), (25, 0), (59, 0), (25, 1), (25, 2), (20, 19), (50, 3), (60, 30)]
LIMIT_POINTS += [(93, 1), (100, 3), (100, 10), (200, 5), (1000, 12), (5000, 150)]
LIMIT_CASES = [(c, n, k) for c in (0.90, 0.95) for n, k in LIMIT_POINTS]


@pytest.mark.parametrize(("confidence", "n", "k"), LIMIT_CASES)
def test_upper_limit_matches_beta_ppf(confidence: float, n: int, k: int) -> None:
    limit = upper_deviation_limit(confidence, n, k)
    assert limit == pytest.approx(beta.ppf(confidence, k + 1, n - k), abs=1e-9)
    assert binom.cdf(k, n, limit) == pytest.approx(1 - confidence, abs=1e-9)


@pytest.mark.parametrize(("confidence", "n"), [(0.90, 1), (0.90, 22), (0.95, 59), (0.95, 300), (0.99, 10)])
def test_upper_limit_with_no_deviations_is_the_closed_form(confidence: float, n: int) -> None:
    assert upper_deviation_limit(confidence, n, 0) == pytest.approx(1 - (1 - confidence) ** (1 / n), abs=1e-12)


@pytest.mark.parametrize(("confidence", "n"), [(0.90, 1), (0.95, 1), (0.95, 25), (0.90, 100)])
def test_upper_limit_when_every_item_deviates_is_one(confidence: float, n: int) -> None:
    assert upper_deviation_limit(confidence, n, n) == 1.0


def test_upper_limit_is_unrounded() -> None:
    limit = upper_deviation_limit("0.95", 25, 1)
    assert limit == pytest.approx(beta.ppf(0.95, 2, 24), abs=1e-12)
    assert round(limit, 3) != limit


# -------------------------------------------------------------------------------- invalid inputs

BAD_SIZE_INPUTS = [
    ({"confidence": 1}, "confidence"),
    ({"confidence": 0}, "confidence"),
    ({"confidence": -0.1}, "confidence"),
    ({"confidence": 95}, "confidence"),
    ({"confidence": "abc"}, "confidence"),
    ({"confidence": float("nan")}, "confidence"),
    ({"confidence": "nan"}, "confidence"),
    ({"confidence": True}, "confidence"),
    ({"confidence": None}, "confidence"),
    ({"tolerable_rate": 0}, "tolerable_rate"),
    ({"tolerable_rate": 1}, "tolerable_rate"),
    ({"tolerable_rate": float("inf")}, "tolerable_rate"),
    ({"expected_rate": 0.05}, "expected_rate"),
    ({"expected_rate": 0.06}, "expected_rate"),
    ({"expected_rate": -0.01}, "expected_rate"),
    ({"population": 0}, "population"),
    ({"population": -5}, "population"),
    ({"population": True}, "population"),
    ({"population": 2.5}, "population"),
    ({"population": float("nan")}, "population"),
    ({"population": float("inf")}, "population"),
    ({"population": "abc"}, "population"),
]


@pytest.mark.parametrize(("override", "parameter"), BAD_SIZE_INPUTS)
def test_invalid_size_inputs_name_the_parameter(override: dict, parameter: str) -> None:
    arguments = {"confidence": 0.95, "tolerable_rate": 0.05, "expected_rate": 0, **override}
    with pytest.raises(SamplingInputError) as caught:
        attribute_sample_size(**arguments)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_runaway_searches_are_refused() -> None:
    with pytest.raises(SamplingInputError) as caught:
        attribute_sample_size(0.95, 0.05, 0.0499)
    assert caught.value.parameter == "expected_rate"
    assert f"{MAX_SAMPLE_SIZE:,}" in str(caught.value)
    with pytest.raises(SamplingInputError) as caught:
        attribute_sample_size(0.95, 0.000001, 0)
    assert caught.value.parameter == "tolerable_rate"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ((1, 25, 1), "confidence"),
        ((0.95, 0, 0), "sample_size"),
        ((0.95, True, 0), "sample_size"),
        ((0.95, 25, -1), "deviations"),
        ((0.95, 25, 26), "deviations"),
        ((0.95, 25, 1.5), "deviations"),
    ],
)
def test_invalid_upper_limit_inputs_name_the_parameter(arguments: tuple, parameter: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        upper_deviation_limit(*arguments)
    assert caught.value.parameter == parameter


# ------------------------------------------------------------------------------------ evaluation


def test_evaluation_effective() -> None:
    result = evaluate(59, 0, confidence=0.95, tolerable_rate=0.05)
    assert result.statistical
    assert result.effective is True
    assert result.upper_limit == pytest.approx(beta.ppf(0.95, 1, 59), abs=1e-9)
    assert result.conclusion == (
        "0 of 59 items deviated (0.0%). With 95% confidence the deviation rate is at most 5.0%, "
        "within the tolerable 5.0%: the control can be relied on."
    )


def test_evaluation_not_effective() -> None:
    result = evaluate(100, 3, confidence=0.95, tolerable_rate=0.05)
    assert result.effective is False
    assert result.deviation_rate == 0.03
    assert result.upper_limit == pytest.approx(beta.ppf(0.95, 4, 97), abs=1e-9)
    shown = math.ceil(beta.ppf(0.95, 4, 97) * 1000) / 10
    assert f"at most {shown:.1f}%, above the tolerable 5.0%: the control cannot be relied on." in result.conclusion
    assert result.conclusion.startswith("3 of 100 items deviated (3.0%). With 95% confidence")


def test_evaluation_deviations_push_the_limit_over_the_tolerable_rate() -> None:
    assert evaluate(93, 1, confidence=0.95, tolerable_rate=0.05).effective is True
    assert evaluate(93, 2, confidence=0.95, tolerable_rate=0.05).effective is False
    assert evaluate(38, 1, confidence=0.90, tolerable_rate=0.10).effective is True


def test_judgemental_evaluation_has_no_limit_and_no_confidence() -> None:
    result = evaluate(10, 2, confidence=0.95, tolerable_rate=0.05, statistical=False)
    assert (result.upper_limit, result.confidence, result.effective, result.statistical) == (None, None, None, False)
    assert result.deviation_rate == 0.2
    assert result.conclusion == (
        "2 of 10 items deviated (20.0%). A judgemental sample gives no statistical confidence; "
        "the result cannot be projected to the population."
    )
    assert "confidence the deviation rate" not in result.conclusion


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"tolerable_rate": 0.05}, "confidence"),
        ({"confidence": 0.95}, "tolerable_rate"),
        ({"confidence": 0.95, "tolerable_rate": 1.5}, "tolerable_rate"),
    ],
)
def test_statistical_evaluation_needs_its_parameters(kwargs: dict, parameter: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        evaluate(25, 1, **kwargs)
    assert caught.value.parameter == parameter


# --------------------------------------------------------------------------- frequency guidance


def test_frequency_table_is_labelled_judgemental() -> None:
    assert "judgemental" in FREQUENCY_TABLE_NOTE.lower()
    assert "no statistical confidence" in FREQUENCY_TABLE_NOTE
    assert "convention" in FREQUENCY_TABLE_NOTE
    assert [row.key for row in FREQUENCY_TABLE] == ["annual", "quarterly", "monthly", "weekly", "daily", "many_per_day"]


@pytest.mark.parametrize(
    ("frequency", "sizes"),
    [
        ("annual", (1, 1, 1)),
        ("quarterly", (2, 2, 2)),
        ("monthly", (2, 3, 5)),
        ("weekly", (5, 10, 15)),
        ("daily", (20, 25, 40)),
        ("many_per_day", (25, 40, 60)),
    ],
)
def test_frequency_sample_sizes(frequency: str, sizes: tuple[int, int, int]) -> None:
    assert tuple(frequency_sample_size(frequency, risk) for risk in ("low", "medium", "high")) == sizes


@pytest.mark.parametrize(
    ("frequency", "risk", "parameter"), [("hourly", "low", "frequency"), ("daily", "extreme", "risk")]
)
def test_frequency_inputs_are_validated(frequency: str, risk: str, parameter: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        frequency_sample_size(frequency, risk)
    assert caught.value.parameter == parameter


# --------------------------------------------------------------------------------- IAF MD 1 sites


@pytest.mark.parametrize(
    ("sites", "initial", "surveillance", "recertification"),
    [(2, 2, 1, 2), (4, 2, 2, 2), (10, 4, 2, 3), (25, 5, 3, 4), (50, 8, 5, 6), (100, 10, 6, 8)],
)
def test_site_rule_matches_the_domain_table(sites: int, initial: int, surveillance: int, recertification: int) -> None:
    assert site_sample_size(sites, "initial") == initial
    assert site_sample_size(sites, "surveillance") == surveillance
    assert site_sample_size(sites, "recertification") == recertification


def test_site_rule_is_exact_and_rounds_up() -> None:
    for n in range(1, 2000):
        for kind, factor in (("initial", 1), ("surveillance", Fraction(3, 5)), ("recertification", Fraction(4, 5))):
            m = site_sample_size(n, kind)
            assert m >= 1
            assert m * m >= factor * factor * n, (n, kind)
            assert m == 1 or (m - 1) ** 2 < factor * factor * n, (n, kind)
    assert site_sample_size(1, "surveillance") == 1
    assert site_sample_size(0, "initial") == 0


@pytest.mark.parametrize(
    ("sites", "kind", "parameter"), [(10, "annual", "kind"), (-1, "initial", "sites"), (True, "initial", "sites")]
)
def test_site_inputs_are_validated(sites: object, kind: str, parameter: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        site_sample_size(sites, kind)
    assert caught.value.parameter == parameter
