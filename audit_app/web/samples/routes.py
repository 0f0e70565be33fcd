"""Audit sampling: population, size, seeded selection, results and evaluation.

Each view loads the audit the user may see, checks the object rule (services.fieldwork) before reading input,
calls one service, then commits and redirects. Refusals come back as pages: 403 (not on the team, or not an
auditing role), 409 (the audit is not in fieldwork, or the sample's stage does not allow it: a sample is never
re-drawn) and 400 (input refused, every problem shown, nothing stored).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit, Sample, SampleItemResult, SampleStatus, SizeBasis
from audit_app.services.sampling import maths, populations, sample_items, samples
from audit_app.services.sampling.sample_items import ItemFilter
from audit_app.web.fieldwork.access import read_only_reason, viewable_audit, work_refusal
from audit_app.web.forms import show_errors
from audit_app.web.samples.forms import (
    METHOD_HINTS,
    SITE_KIND_LABELS,
    SOURCE_HINTS,
    DrawForm,
    ItemForm,
    PopulationForm,
    SampleForm,
    SizeForm,
    csv_columns,
    evidence_choices,
)

bp = Blueprint("samples", __name__, url_prefix="/audits")

Page = str | BaseResponse | tuple[str, int]

EXPORT_HEADER = ["draw order", "id", "label", "stratum", "result", "note", "replaces", "tested by", "tested at"]


def limit_percent(value: float | None) -> str:
    """An upper limit as a percentage rounded up to 0.1% (as the AICPA evaluation tables show it)."""
    if value is None:
        return ""
    return f"{math.ceil(value * 1000 - 1e-9) / 10:.1f}%"


def percent(value: Decimal | None) -> str:
    """A stored fraction as a percentage: Decimal("0.95") -> "95%", Decimal("0.025") -> "2.5%"."""
    if value is None:
        return ""
    return f"{(Decimal(value) * 100).normalize():f}%"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "limit_percent": limit_percent,
        "percent": percent,
        "frequency_table": maths.FREQUENCY_TABLE,
        "frequency_note": maths.FREQUENCY_TABLE_NOTE,
        "risk_levels": maths.RISK_LEVELS,
        "SizeBasis": SizeBasis,
        "SampleStatus": SampleStatus,
        "Results": SampleItemResult,
    }


# --- Loading and authorizing ------------------------------------------------------------------------------------


def _sample(audit: Audit, sample_id: int) -> Sample:
    try:
        return samples.get_sample(audit, sample_id)
    except NotFound:
        abort(404)


def _refused(audit: Audit, exc: DomainError | str, back: str, sample: Sample | None = None) -> tuple[str, int]:
    """Nothing changed: say why (403 not allowed, 409 the state, 400 input the service refused)."""
    db.session.rollback()
    if isinstance(exc, NotAllowed):
        abort(403)
    status = 400 if isinstance(exc, ValidationFailed) else 409
    details = [m for msgs in getattr(exc, "errors", {}).values() for m in msgs if m != str(exc)]
    page = render_template(
        "samples/refused.html", audit=audit, sample=sample, message=str(exc), details=details, back=back
    )
    return page, status


def _detail_url(sample: Sample, anchor: str | None = None, **args: Any) -> str:
    return url_for("samples.detail", audit_id=sample.audit_id, sample_id=sample.id, _anchor=anchor, **args)


def _draft_only(audit: Audit, sample: Sample) -> tuple[str, int] | None:
    if sample.status is SampleStatus.DRAFT:
        return None
    message = "The sample has been drawn: its population, method and size are kept as they were (it is never re-drawn)."
    return _refused(audit, message, _detail_url(sample), sample)


# --- List and new -----------------------------------------------------------------------------------------------


@bp.get("/<int:audit_id>/samples")
@require_role(*STAFF)
def index(audit_id: int) -> Page:
    audit = viewable_audit(audit_id)
    return render_template(
        "samples/index.html", audit=audit, samples=samples.list_samples(audit), refusal=read_only_reason(audit)
    )


@bp.route("/<int:audit_id>/samples/new", methods=["GET", "POST"])
@require_role(*WORKERS)
def new(audit_id: int) -> Page:
    audit = viewable_audit(audit_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, url_for("samples.index", audit_id=audit.id))
    form = SampleForm() if request.method == "POST" else SampleForm(formdata=None)
    form.set_choices(audit)
    if request.method == "GET":
        return render_template("samples/new.html", audit=audit, form=form)
    if not form.validate_on_submit():
        return render_template("samples/new.html", audit=audit, form=form), 400
    try:
        sample = samples.create_sample(audit, form.to_data(), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return render_template("samples/new.html", audit=audit, form=form), 400
    except DomainError as exc:
        return _refused(audit, exc, url_for("samples.index", audit_id=audit.id))
    reference = sample.reference
    db.session.commit()
    flash(f"Sample {reference} created. Next: define its population.", "success")
    return redirect(url_for("samples.population", audit_id=audit.id, sample_id=sample.id))


# --- The sample record ------------------------------------------------------------------------------------------


def _reperformance(sample: Sample) -> tuple[bool | None, str]:
    """Whether drawing again from the snapshot with the recorded seed gives the same selection (None: not drawn)."""
    if sample.status is SampleStatus.DRAFT:
        return None, ""
    try:
        return samples.reperform(sample), ""
    except (DomainError, OSError, ValueError) as exc:
        return False, str(exc)


def _detail_page(
    audit: Audit,
    sample: Sample,
    *,
    draw_form: DrawForm | None = None,
    failed_item: tuple[int, ItemForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    refusal = read_only_reason(audit)
    show = ItemFilter.parse(request.args.get("show"))
    listing = sample_items.items_page(sample, page=request.args.get("page", 1, type=int), show=show)
    counts = sample_items.result_counts(sample)
    same, trouble = _reperformance(sample)
    page = render_template(
        "samples/detail.html",
        audit=audit,
        sample=sample,
        listing=listing,
        filters=list(ItemFilter),
        counts=counts,
        drawn=sum(counts.values()),
        tested=counts[SampleItemResult.CONFORMING] + counts[SampleItemResult.DEVIATION],
        not_testable=sample_items.not_testable_keys(sample) if counts[SampleItemResult.NOT_TESTABLE] else [],
        statistical=samples.is_statistical(sample),
        reperformed=same,
        reperform_trouble=trouble,
        can_work=refusal is None,
        refusal=refusal,
        draw_form=draw_form or DrawForm(formdata=None),
        failed_item=failed_item,
        evidence=evidence_choices(audit) if refusal is None and sample.status is SampleStatus.SELECTED else [],
        site_kinds=SITE_KIND_LABELS,
    )
    return page, status


@bp.get("/<int:audit_id>/samples/<int:sample_id>")
@require_role(*STAFF)
def detail(audit_id: int, sample_id: int) -> Page:
    audit = viewable_audit(audit_id)
    return _detail_page(audit, _sample(audit, sample_id))


# --- Population and size ----------------------------------------------------------------------------------------


def _population_page(
    audit: Audit,
    sample: Sample,
    form: PopulationForm,
    *,
    problems: list[str] | None = None,
    columns: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "samples/population.html",
        audit=audit,
        sample=sample,
        form=form,
        problems=problems or [],
        columns=columns or [],
        source_hints=SOURCE_HINTS,
    )
    return page, status


@bp.route("/<int:audit_id>/samples/<int:sample_id>/population", methods=["GET", "POST"])
@require_role(*WORKERS)
def population(audit_id: int, sample_id: int) -> Page:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, _detail_url(sample), sample)
    if (drawn := _draft_only(audit, sample)) is not None:
        return drawn
    if request.method == "GET":
        return _population_page(audit, sample, PopulationForm(formdata=None))
    form = PopulationForm()
    if not form.validate_on_submit():
        return _population_page(audit, sample, form, status=400)
    data = form.csv_bytes()
    try:
        frozen = populations.set_population(sample, form.to_data(data), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        problems = exc.errors.get("population", [])
        show_errors(form, ValidationFailed(str(exc), {k: v for k, v in exc.errors.items() if k != "population"}))
        return _population_page(audit, sample, form, problems=problems, columns=csv_columns(data), status=400)
    except DomainError as exc:
        return _refused(audit, exc, _detail_url(sample), sample)
    db.session.commit()
    flash(f"Population frozen: {frozen.size:,} units, SHA-256 {frozen.sha256[:12]}…", "success")
    return redirect(_detail_url(sample))


@bp.route("/<int:audit_id>/samples/<int:sample_id>/size", methods=["GET", "POST"])
@require_role(*WORKERS)
def size(audit_id: int, sample_id: int) -> Page:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, _detail_url(sample), sample)
    if (drawn := _draft_only(audit, sample)) is not None:
        return drawn
    if request.method == "GET":
        return _size_page(audit, sample, SizeForm.for_sample(sample))
    form = SizeForm()
    if not form.validate_on_submit():
        return _size_page(audit, sample, form, status=400)
    try:
        n = samples.set_size(sample, form.to_data(), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        # The maths name the parameter ("confidence: must …"); next to its field the name is redundant.
        errors = {k: [m.removeprefix(f"{k}: ") for m in v] for k, v in exc.errors.items()}
        show_errors(form, ValidationFailed(str(exc), errors))
        return _size_page(audit, sample, form, status=400)
    except DomainError as exc:
        return _refused(audit, exc, _detail_url(sample), sample)
    db.session.commit()
    flash(f"Method and size set: n = {n}.", "success")
    return redirect(_detail_url(sample, "selection"))


def _size_page(audit: Audit, sample: Sample, form: SizeForm, *, status: int = 200) -> tuple[str, int]:
    page = render_template("samples/size.html", audit=audit, sample=sample, form=form, method_hints=METHOD_HINTS)
    return page, status
