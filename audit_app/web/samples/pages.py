"""What the sample views share: the sample page, its address, the form runner for its forms, template helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from audit_app.errors import ValidationFailed
from audit_app.models import Audit, Sample, SampleItemResult, SampleStatus, SizeBasis
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.sampling import maths, sample_items, samples
from audit_app.services.sampling.results import stored_results
from audit_app.services.sampling.sample_items import ItemFilter
from audit_app.web.forms import Done, refused, show_errors
from audit_app.web.samples.forms import DrawForm
from audit_app.web.samples.grid import CELL_CHOICES, Grid, GridForm
from audit_app.web.samples.inputs import SITE_KIND_LABELS
from audit_app.web.samples.result_forms import InterpretationForm, evidence_choices

T = TypeVar("T")

Page = str | Response | tuple[str, int]


def template_helpers() -> dict[str, Any]:
    """What the sample templates use besides their context (a context processor of the blueprint)."""
    return {
        "limit_percent": samples.limit_percent,
        "percent": samples.percent,
        "frequency_table": maths.FREQUENCY_TABLE,
        "frequency_note": maths.FREQUENCY_TABLE_NOTE,
        "risk_levels": maths.RISK_LEVELS,
        "SizeBasis": SizeBasis,
        "SampleStatus": SampleStatus,
        "Results": SampleItemResult,
    }


def detail_url(sample: Sample, anchor: str | None = None, **args: Any) -> str:
    """The sample page, at `anchor` (a section or an item row), with list arguments such as page and show."""
    return url_for("samples.detail", audit_id=sample.audit_id, sample_id=sample.id, _anchor=anchor, **args)


def page_action(
    form: FlaskForm, action: Callable[[], T], *, show: Callable[[FlaskForm, ValidationFailed], None] = show_errors
) -> Done[T] | None:
    """Run a form of the sample page: input refusals stay on the page (400), anything else goes to the pipeline.

    Unlike form_action, a refusal of the sample's stage (409) is not put on the form: once the sample has moved on,
    the page no longer shows that form, so the pipeline's refused page says it instead.
    """
    if not form.validate_on_submit():
        return None
    try:
        return Done(action())
    except ValidationFailed as exc:
        refused(form, exc, show=show)
        return None


def detail_page(
    audit: Audit,
    sample: Sample,
    *,
    draw_form: DrawForm | None = None,
    grid: Grid | None = None,
    grid_form: GridForm | None = None,
    grid_errors: dict[str, list[str]] | None = None,
    interpretation_form: InterpretationForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The sample record; a refused draw, grid or interpretation comes back in its form, with what was typed (the
    grid: every row as typed, and each refused row's reasons on the row)."""
    refusal = access.refusal(current_user, audit, Need.WORK)
    show = ItemFilter.parse(request.args.get("show"))
    listing = sample_items.items_page(sample, page=request.args.get("page", 1, type=int), show=show)
    counts = sample_items.result_counts(sample)
    same, trouble = samples.reperformance(sample)  # the verdict stored at the draw or the last check
    recording = refusal is None and sample.status is SampleStatus.SELECTED
    evidence = evidence_choices(audit, sample) if recording else []
    site_picks = samples.site_picks_needed(sample)  # IAF MD 1 mixed selection: sites the auditor chooses on risk
    page = render_template(
        "samples/detail.html",
        audit=audit,
        sample=sample,
        listing=listing,
        filters=list(ItemFilter),
        counts=counts,
        drawn=sum(counts.values()),
        tested=sum(counts[r] for r in samples.TESTED),
        void_keys=sample_items.void_keys(sample) if counts[SampleItemResult.VOID] else [],
        statistical=samples.is_statistical(sample),
        reperformed=same,
        reperform_trouble=trouble,
        can_recheck=samples.may_recheck(current_user, sample),
        can_work=refusal is None,
        refusal=refusal,
        draw_form=draw_form or DrawForm(formdata=None),
        grid_rows=grid.rows if grid else {},
        grid_errors=grid_errors or {},
        grid_form=grid_form or GridForm(formdata=None),
        cell_choices=CELL_CHOICES,
        stored_results=stored_results,
        attributes=sample.attribute_list,
        interpretation_form=interpretation_form or InterpretationForm(formdata=None),
        can_sign_off=samples.may_sign_off(current_user, sample),
        sign_off_blockers=samples.sign_off_blockers(sample),
        evidence=evidence,
        evidence_labels=dict(evidence),
        site_kinds=SITE_KIND_LABELS,
        site_picks=site_picks,
        random_sites=samples.random_sites(sample) if site_picks and sample.status is SampleStatus.DRAFT else [],
    )
    return page, status
