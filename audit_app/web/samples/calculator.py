"""The standalone sampling calculator page (endpoint samples.calculator; registered in the package's __init__)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request

from audit_app.authz import STAFF, require_role
from audit_app.services.sampling import maths
from audit_app.web.samples.calculator_forms import AttributeCalcForm, CalculatorForm, SitesCalcForm, UpperLimitCalcForm
from audit_app.web.samples.inputs import SITE_KIND_LABELS
from audit_app.web.samples.pages import Page


def _calculate(form: CalculatorForm, compute: Callable[..., Any]) -> Any:
    """Run a calculation on valid input; the maths' refusals go next to the field they name."""
    if not form.validate():
        return None
    try:
        return compute(*form.values())
    except maths.SamplingInputError as exc:
        field = form.field_for(exc.parameter) or form.calc
        field.errors = [*field.errors, exc.message[:1].upper() + exc.message[1:] + "."]
        return None


@require_role(*STAFF)
def calculator() -> Page:
    args = request.args
    forms = {
        "attribute": AttributeCalcForm(args if "a-calc" in args else None, prefix="a"),
        "upper": UpperLimitCalcForm(args if "u-calc" in args else None, prefix="u"),
        "sites": SitesCalcForm(args if "s-calc" in args else None, prefix="s"),
    }
    computes: dict[str, Callable[..., Any]] = {
        "attribute": maths.attribute_sample_size,
        "upper": maths.upper_deviation_limit,
        "sites": maths.site_sample_size,
    }
    results = {name: _calculate(form, computes[name]) for name, form in forms.items() if f"{name[0]}-calc" in args}
    failed = any(name in results and results[name] is None for name in forms)
    page = render_template("samples/calculator.html", forms=forms, results=results, site_kinds=SITE_KIND_LABELS)
    return page, 400 if failed else 200
