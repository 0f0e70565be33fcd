"""Working a sample: the draw, the results grid, the evaluation, its interpretation and sign-off, the export.

The draw, the grid and the interpretation are forms of the sample page: input the services refuse comes back on
that page (the grid with every typed value and each refused row marked), while a refusal of the sample's stage goes
to the pipeline's refused page (409). The views are registered in the package's __init__.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import ValidationFailed
from audit_app.models import SampleItemResult
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.sampling import sample_items, samples
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.sample_items import ItemFilter
from audit_app.web.forms import form_status
from audit_app.web.samples.forms import DrawForm
from audit_app.web.samples.grid import GridForm, read_grid
from audit_app.web.samples.pages import Page, detail_page, detail_url, page_action
from audit_app.web.samples.result_forms import InterpretationForm

EXPORT_HEADER = ["draw order", "id", "label", "stratum", "result", "note", "replaces", "tested by", "tested at"]


@require_role(*WORKERS)
def draw(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    form = DrawForm()
    if not (
        done := page_action(
            form,
            lambda: samples.draw(
                sample,
                actor=current_user,
                seed=form.seed_value(),
                picks=form.pick_map(),
                interval=form.interval_value(),
                start=form.start_value(),
            ),
        )
    ):
        return detail_page(audit, sample, draw_form=form, status=form_status(form))
    seed = f" with seed {sample.seed}." if sample.seed is not None else "."
    flash(f"{len(done.value):,} items drawn{seed}", "success")
    return redirect(detail_url(sample, "items"))


@require_role(*WORKERS)
def reperform(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    sample = samples.get_sample(audit, sample_id)
    verdict = samples.recheck(sample, actor=current_user)
    if verdict.same:
        flash("Re-performed from the snapshot: the same selection came back.", "success")
    else:
        flash(f"Re-performing the selection did not give the same items. {verdict.problem}".strip(), "error")
    return redirect(detail_url(sample, "selection"))


@require_role(*WORKERS)
def record_results(audit_id: int, sample_id: int) -> Page:
    """Save the results grid: every changed row at once, or nothing (the page keeps what was typed)."""
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    form = GridForm()
    grid = read_grid(sample, request.form)
    errors: dict[str, list[str]] = {}

    def show(form: FlaskForm, exc: ValidationFailed) -> None:  # the refused rows, each on its own row
        errors.update(exc.errors)
        form.form_errors.append(str(exc))

    done = page_action(form, lambda: samples.record_results(sample, grid.data, actor=current_user), show=show)
    if done is None:
        return detail_page(audit, sample, grid=grid, grid_form=form, grid_errors=errors, status=form_status(form))
    saved = done.value
    flash(f"Saved {len(saved.items)} item(s)." if saved.items else "Nothing had changed.", "success")
    for replacement in saved.replacements:
        flash(f"Replacement drawn from the same seeded stream: {replacement.key}", "success")
    args: dict[str, object] = {}
    if (page := request.args.get("page", type=int)) and page > 1:
        args["page"] = page
    if (listed := ItemFilter.parse(request.args.get("show"))) is not ItemFilter.ALL:
        args["show"] = listed.value
    return redirect(detail_url(sample, "items", **args))


@require_role(*WORKERS)
def interpret(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    form = InterpretationForm()
    nature = form.nature_value

    if not page_action(
        form, lambda: samples.interpret(sample, cause=form.cause.data or "", nature=nature(), actor=current_user)
    ):
        return detail_page(audit, sample, interpretation_form=form, status=form_status(form))
    flash("What the deviations mean is recorded; the proposed finding follows.", "success")
    return redirect(detail_url(sample, "evaluation"))


@require_role(*WORKERS)
def sign_off(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    samples.sign_off(sample, actor=current_user)
    flash("The sample is signed off.", "success")
    return redirect(detail_url(sample, "evaluation"))


@require_role(*WORKERS)
def evaluate(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    result = samples.evaluate(sample, actor=current_user)
    flash(result.conclusion, "success")
    return redirect(detail_url(sample, "evaluation"))


@require_role(*STAFF)
def export(audit_id: int, sample_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    sample = samples.get_sample(audit, sample_id)
    codes = [a["code"] for a in sample.attribute_list]
    rows = [
        [
            str(order),
            key,
            label,
            stratum,
            result.label,
            note,
            replaced or "",
            tester or "",
            tested_at.isoformat() if tested_at else "",
            *(_attribute_label((by_code or {}).get(code)) for code in codes),
        ]
        for order, key, label, stratum, result, note, replaced, tester, tested_at, by_code in sample_items.export_rows(
            sample
        )
    ]
    header = [*EXPORT_HEADER, *(f"{a['code']} {a['text']}".strip() for a in sample.attribute_list)]
    return Response(
        sel.export_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{sample.reference}-items.csv"'},
    )


def _attribute_label(value: str | None) -> str:
    """An attribute's result in words, blank while it is not tested."""
    return SampleItemResult(value).label if value else ""
