"""Public sampling calculators: the attribute-sampling size and the exact upper deviation limit.

No token is needed: they are pure calculations that touch no data (authz.PUBLIC_ENDPOINTS). Parameters are
read as text and handed to services.sampling_math unchanged, so 0.07 is exactly 7/100; anything missing,
malformed or out of range is a 400 whose message names the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import abort  # what flask_smorest.abort is, with its NoReturn type

from audit_app.api.calculator_schemas import (
    AttributeSizeQuerySchema,
    AttributeSizeSchema,
    CalculatorErrorSchema,
    UpperLimitQuerySchema,
    UpperLimitSchema,
)
from audit_app.authz import public
from audit_app.services.sampling import maths

blp = Blueprint(
    "api_sampling", __name__, url_prefix="", description="Audit-sampling calculators (public: no token needed)"
)

MAX_TEXT = 24  # characters per parameter: plenty for 0.95 or 1000000, and keeps the exact arithmetic small
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
BAD_REQUEST = "A parameter is missing, malformed or out of range; `message` and `errors` name it."


def _refuse(parameter: str, message: str) -> NoReturn:
    abort(400, message=f"{parameter}: {message}", errors={parameter: [message]})


def _params(required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """The query parameters as plain decimal text; unknown, repeated, missing or non-numeric ones are refused."""
    known = required + optional
    for name in request.args:
        if name not in known:
            _refuse(name, f"is not a parameter of this calculator (use {', '.join(known)})")
    values: dict[str, str] = {}
    for name in known:
        given = request.args.getlist(name)
        if not given:
            if name in required:
                _refuse(name, "is required")
            continue
        if len(given) > 1:
            _refuse(name, "is given more than once")
        text = given[0].strip()
        if len(text) > MAX_TEXT:
            _refuse(name, f"is too long (at most {MAX_TEXT} characters)")
        if not _NUMBER.fullmatch(text):
            _refuse(name, f"must be a plain decimal number such as 0.95 or 25, not {text!r}")
        values[name] = text
    return values


def _calculate(action: Callable[[], Any]) -> Any:
    try:  # the calculators answer bad input with 400 naming the parameter, not the API's usual 422
        return action()
    except maths.SamplingInputError as exc:
        _refuse(exc.parameter, exc.message)


@blp.route("/sampling/attribute-size")
@public
@blp.doc(parameters=[{"in": "query", "schema": AttributeSizeQuerySchema}], security=[])
@blp.response(200, AttributeSizeSchema)
@blp.alt_response(400, schema=CalculatorErrorSchema, description=BAD_REQUEST)
def attribute_size() -> maths.SizeResult:
    """Attribute-sampling size for a test of controls (no token needed).

    The smallest n whose binomial probability of at most ceil(n * expected_rate) deviations is at most
    1 - confidence. With `population`, the exact finite-population size from the hypergeometric distribution
    (ceil(tolerable_rate * N) deviating items), never Cochran's approximation.
    """
    args = _params(("confidence", "tolerable_rate"), ("expected_rate", "population"))
    return _calculate(
        lambda: maths.attribute_sample_size(
            args["confidence"], args["tolerable_rate"], args.get("expected_rate", "0"), args.get("population")
        )
    )


@blp.route("/sampling/upper-limit")
@public
@blp.doc(parameters=[{"in": "query", "schema": UpperLimitQuerySchema}], security=[])
@blp.response(200, UpperLimitSchema)
@blp.alt_response(400, schema=CalculatorErrorSchema, description=BAD_REQUEST)
def upper_limit() -> dict[str, Any]:
    """Exact one-sided upper deviation limit (Clopper-Pearson) after testing (no token needed).

    The p at which the binomial probability of at most `deviations` in `sample_size` equals 1 - confidence,
    i.e. beta.ppf(confidence, deviations + 1, sample_size - deviations), unrounded.
    """
    args = _params(("confidence", "sample_size", "deviations"))
    limit = _calculate(lambda: maths.upper_deviation_limit(args["confidence"], args["sample_size"], args["deviations"]))
    return {
        "upper_limit": limit,
        "confidence": float(args["confidence"]),
        "sample_size": int(args["sample_size"]),
        "deviations": int(args["deviations"]),
    }
