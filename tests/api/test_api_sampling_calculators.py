"""The public calculators /api/v1/sampling/attribute-size and /upper-limit, checked against scipy.

Expected values are derived here independently of services.sampling_math: a scan over n with scipy's
binomial and hypergeometric CDFs for the sizes, scipy's beta quantile for the Clopper-Pearson limit.
"""

from __future__ import annotations

import math
from fractions import Fraction
from urllib.parse import urlencode

import numpy as np
import pytest
from scipy.stats import beta, binom, hypergeom

SIZE = "/api/v1/sampling/attribute-size"
LIMIT = "/api/v1/sampling/upper-limit"


def scipy_size(confidence: str, tolerable: str, expected: str, population: int | None = None) -> tuple[int, int]:
    """Smallest n with CDF(ceil(n*e)) <= 1 - c (binomial, or hypergeometric with D = ceil(p*N)); and ceil(n*e)."""
    c, p, e = Fraction(confidence), Fraction(tolerable), Fraction(expected)
    alpha = float(1 - c)
    top = population if population is not None else 5000
    ns = np.arange(1, top + 1)
    ks = np.array([math.ceil(n * e) for n in ns])
    if population is None:
        cdf = binom.cdf(ks, ns, float(p))
    else:
        defects = math.ceil(p * population)
        cdf = hypergeom.cdf(ks, population, defects, ns)
    meets = np.nonzero(cdf <= alpha * (1 + 1e-12))[0]
    n = int(ns[meets[0]]) if len(meets) else top
    return n, math.ceil(n * e)


def scipy_limit(confidence: float, n: int, k: int) -> float:
    return 1.0 if k == n else float(beta.ppf(confidence, k + 1, n - k))


def get(client, path: str, **params):
    return client.get(f"{path}?{urlencode(params)}")


# --- The issue's examples -----------------------------------------------------------------------------------


def test_issue_examples_need_no_token(client):
    size = client.get(f"{SIZE}?confidence=0.95&tolerable_rate=0.05&expected_rate=0")
    limit = client.get(f"{LIMIT}?confidence=0.95&sample_size=25&deviations=1")

    assert size.status_code == 200
    assert size.get_json() == {
        "sample_size": 59,
        "tolerable_deviations": 0,
        "method": "binomial",
        "population": None,
        "confidence": 0.95,
        "tolerable_rate": 0.05,
        "expected_rate": 0.0,
        "note": size.get_json()["note"],
    }
    assert limit.status_code == 200
    body = limit.get_json()
    assert body["upper_limit"] == pytest.approx(scipy_limit(0.95, 25, 1), rel=1e-12)
    assert round(body["upper_limit"], 3) != body["upper_limit"]  # unrounded
    assert (body["confidence"], body["sample_size"], body["deviations"]) == (0.95, 25, 1)


def test_optional_population_switches_to_the_exact_hypergeometric_size(client):
    body = get(client, SIZE, confidence="0.95", tolerable_rate="0.05", expected_rate="0", population=100).get_json()

    assert body["method"] == "hypergeometric"
    assert body["population"] == 100
    assert body["sample_size"] == scipy_size("0.95", "0.05", "0", 100)[0]
    assert body["sample_size"] < 59  # the finite population needs fewer than the binomial 59
    assert "5 of 100" in body["note"]


def test_expected_rate_defaults_to_zero(client):
    body = get(client, SIZE, confidence="0.9", tolerable_rate="0.1").get_json()

    assert (body["sample_size"], body["expected_rate"]) == (22, 0.0)


# --- Against scipy -------------------------------------------------------------------------------------------

SIZE_CASES = [
    # 95% confidence
    ("0.95", "0.05", "0", None),
    ("0.95", "0.05", "0.01", None),
    ("0.95", "0.05", "0.02", None),
    ("0.95", "0.10", "0", None),
    ("0.95", "0.10", "0.02", None),
    ("0.95", "0.10", "0.04", None),
    ("0.95", "0.07", "0.01", None),
    ("0.95", "0.02", "0", None),
    ("0.95", "0.05", "0", 100),
    ("0.95", "0.05", "0", 500),
    ("0.95", "0.05", "0.01", 1000),
    ("0.95", "0.10", "0.02", 200),
    ("0.95", "0.10", "0", 40),
    # 90% confidence
    ("0.90", "0.05", "0", None),
    ("0.90", "0.10", "0", None),
    ("0.90", "0.10", "0.03", None),
    ("0.90", "0.08", "0.02", None),
    ("0.90", "0.04", "0.01", None),
    ("0.90", "0.06", "0", None),
    ("0.90", "0.10", "0", 30),
    ("0.90", "0.05", "0.01", 400),
    ("0.90", "0.10", "0.05", 2000),
    ("0.90", "0.20", "0", 12),
]


@pytest.mark.parametrize(("confidence", "tolerable", "expected", "population"), SIZE_CASES)
def test_attribute_size_matches_scipy(client, confidence, tolerable, expected, population):
    params = {"confidence": confidence, "tolerable_rate": tolerable, "expected_rate": expected}
    if population is not None:
        params["population"] = population

    response = get(client, SIZE, **params)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["sample_size"], body["tolerable_deviations"]) == scipy_size(
        confidence, tolerable, expected, population
    )
    assert body["method"] == ("binomial" if population is None else "hypergeometric")
    assert body["confidence"] == float(confidence)


def test_published_table_anchors(client):
    """AICPA tables A-1/A-2 (large population): 95%/5%/0 → 59, 90%/10%/0 → 22, 95%/5%/1% → 93."""
    sizes = [
        get(client, SIZE, confidence=c, tolerable_rate=p, expected_rate=e).get_json()["sample_size"]
        for c, p, e in (("0.95", "0.05", "0"), ("0.90", "0.10", "0"), ("0.95", "0.05", "0.01"))
    ]
    assert sizes == [59, 22, 93]


LIMIT_CASES = [
    (0.95, 25, 1),
    (0.95, 59, 0),
    (0.95, 93, 1),
    (0.95, 50, 3),
    (0.95, 100, 5),
    (0.95, 200, 2),
    (0.95, 1, 0),
    (0.95, 10, 10),
    (0.95, 400, 37),
    (0.90, 22, 0),
    (0.90, 25, 1),
    (0.90, 40, 2),
    (0.90, 60, 6),
    (0.90, 77, 5),
    (0.90, 30, 30),
    (0.90, 1000, 1),
]


@pytest.mark.parametrize(("confidence", "n", "k"), LIMIT_CASES)
def test_upper_limit_matches_scipy(client, confidence, n, k):
    response = get(client, LIMIT, confidence=confidence, sample_size=n, deviations=k)

    assert response.status_code == 200
    body = response.get_json()
    assert body["upper_limit"] == pytest.approx(scipy_limit(confidence, n, k), rel=1e-9, abs=1e-12)
    assert (body["sample_size"], body["deviations"]) == (n, k)


# --- Malformed and out-of-range parameters -------------------------------------------------------------------

GOOD_SIZE = {"confidence": "0.95", "tolerable_rate": "0.05", "expected_rate": "0"}
GOOD_LIMIT = {"confidence": "0.95", "sample_size": "25", "deviations": "1"}

BAD = [
    (SIZE, {"confidence": None}, "confidence"),
    (SIZE, {"tolerable_rate": None}, "tolerable_rate"),
    (SIZE, {"confidence": "abc"}, "confidence"),
    (SIZE, {"confidence": "1.5"}, "confidence"),
    (SIZE, {"confidence": "-1"}, "confidence"),
    (SIZE, {"confidence": "NaN"}, "confidence"),
    (SIZE, {"confidence": "1"}, "confidence"),
    (SIZE, {"confidence": ""}, "confidence"),
    (SIZE, {"confidence": "1e-9999999"}, "confidence"),
    (SIZE, {"tolerable_rate": "0"}, "tolerable_rate"),
    (SIZE, {"tolerable_rate": "inf"}, "tolerable_rate"),
    (SIZE, {"tolerable_rate": "0.000001"}, "tolerable_rate"),  # the sample would run away
    (SIZE, {"expected_rate": "-0.01"}, "expected_rate"),
    (SIZE, {"expected_rate": "0.05"}, "expected_rate"),  # equal to the tolerable rate
    (SIZE, {"expected_rate": "0.06"}, "expected_rate"),
    (SIZE, {"population": "0"}, "population"),
    (SIZE, {"population": "-1"}, "population"),
    (SIZE, {"population": "1.5"}, "population"),
    (SIZE, {"population": "abc"}, "population"),
    (SIZE, {"population": "NaN"}, "population"),
    (SIZE, {"population": "²"}, "population"),
    (SIZE, {"population": "1" * 5000}, "population"),
    (SIZE, {"populaton": "100"}, "populaton"),  # a typo is not silently ignored
    (LIMIT, {"sample_size": None}, "sample_size"),
    (LIMIT, {"deviations": None}, "deviations"),
    (LIMIT, {"deviations": "26"}, "deviations"),  # more than the sample size
    (LIMIT, {"deviations": "-1"}, "deviations"),
    (LIMIT, {"deviations": "1.5"}, "deviations"),
    (LIMIT, {"sample_size": "0"}, "sample_size"),
    (LIMIT, {"sample_size": "abc"}, "sample_size"),
    (LIMIT, {"confidence": "NaN"}, "confidence"),
    (LIMIT, {"confidence": "1.5"}, "confidence"),
    (LIMIT, {"confidence": "0"}, "confidence"),
]


@pytest.mark.parametrize(("path", "override", "parameter"), BAD)
def test_bad_parameters_are_400_naming_the_parameter(client, path, override, parameter):
    params = {**(GOOD_SIZE if path == SIZE else GOOD_LIMIT), **override}
    params = {name: value for name, value in params.items() if value is not None}

    response = get(client, path, **params)

    assert response.status_code == 400
    body = response.get_json()
    assert body["message"].startswith(f"{parameter}: ")
    assert list(body["errors"]) == [parameter]
    assert body["errors"][parameter][0] in body["message"]


def test_a_repeated_parameter_is_refused(client):
    response = client.get(f"{LIMIT}?confidence=0.95&confidence=0.9&sample_size=25&deviations=1")

    assert response.status_code == 400
    assert response.get_json()["errors"] == {"confidence": ["is given more than once"]}


# --- OpenAPI -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "required", "optional"),
    [
        (SIZE, {"confidence", "tolerable_rate"}, {"expected_rate", "population"}),
        (LIMIT, {"confidence", "sample_size", "deviations"}, set()),
    ],
)
def test_openapi_documents_the_calculators(client, path, required, optional):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][path]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert set(parameters) == required | optional
    assert all(p["in"] == "query" for p in parameters.values())
    assert {name for name, p in parameters.items() if p.get("required")} == required
    assert {"200", "400"} <= set(operation["responses"])
    assert "no token" in operation["summary"]
