"""Setting up a sample: the list, a new sample, the sample page, its population and its method and size.

Each view loads the audit with the access it needs (the team's working papers to read; an auditing role during
fieldwork before any input is read), calls one service and redirects; the request pipeline commits and answers
refusals (403, 404, 409 on its refused page: a drawn sample is never re-drawn). Input the services refuse comes
back on the form (400, every problem shown, nothing stored). The views are registered in the package's __init__.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.sampling import populations, samples
from audit_app.services.sampling.lifecycle import ensure_draft
from audit_app.services.sampling.selection import Population
from audit_app.web.forms import form_action, render_form, show_errors
from audit_app.web.samples.forms import METHOD_HINTS, SOURCE_HINTS, PopulationForm, SampleForm, SizeForm
from audit_app.web.samples.inputs import csv_columns
from audit_app.web.samples.pages import Page, detail_page, detail_url


@require_role(*STAFF)
def index(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    refusal = access.refusal(current_user, audit, Need.WORK)
    listed, counts = samples.list_samples(audit), samples.item_counts(audit)
    return render_template("samples/index.html", audit=audit, samples=listed, counts=counts, refusal=refusal)


@require_role(*WORKERS)
def new(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    form = SampleForm()
    form.set_choices(audit)
    if done := form_action(form, lambda: samples.create_sample(audit, form.to_data(), actor=current_user)):
        sample = done.value
        db.session.flush()  # its id, for the next page
        flash(f"Sample {sample.reference} created. Next: define its population.", "success")
        return redirect(url_for("samples.population", audit_id=audit.id, sample_id=sample.id))
    return render_form("samples/new.html", form, audit=audit)


@require_role(*STAFF)
def detail(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    return detail_page(audit, samples.get_sample(audit, sample_id))


# --- Population and size ----------------------------------------------------------------------------------------


@require_role(*WORKERS)
def population(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    ensure_draft(sample, "population")
    form = PopulationForm()
    data = form.csv_bytes()
    refused: list[ValidationFailed] = []

    def show(form: FlaskForm, exc: ValidationFailed) -> None:  # the parser's problems are listed above the form
        refused.append(exc)
        show_errors(form, ValidationFailed(str(exc), {k: v for k, v in exc.errors.items() if k != "population"}))

    def freeze() -> Population:
        return populations.set_population(sample, form.to_data(data), actor=current_user)

    if done := form_action(form, freeze, show=show):
        flash(f"Population frozen: {done.value.size:,} units, SHA-256 {done.value.sha256[:12]}…", "success")
        return redirect(detail_url(sample))
    return render_form(
        "samples/population.html",
        form,
        audit=audit,
        sample=sample,
        problems=refused[0].errors.get("population", []) if refused else [],
        columns=csv_columns(data) if refused else [],  # offered to the column fields after a refused file
        source_hints=SOURCE_HINTS,
    )


def _show_size_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """The maths name the parameter ("confidence: must …"); next to its field the name is redundant."""
    errors = {k: [m.removeprefix(f"{k}: ") for m in v] for k, v in exc.errors.items()}
    show_errors(form, ValidationFailed(str(exc), errors))


@require_role(*WORKERS)
def size(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    ensure_draft(sample, "method and size")
    form = SizeForm() if request.method == "POST" else SizeForm.for_sample(sample)
    if done := form_action(
        form, lambda: samples.set_size(sample, form.to_data(), actor=current_user), show=_show_size_errors
    ):
        flash(f"Method and size set: n = {done.value}.", "success")
        return redirect(detail_url(sample, "selection"))
    return render_form("samples/size.html", form, audit=audit, sample=sample, method_hints=METHOD_HINTS)
