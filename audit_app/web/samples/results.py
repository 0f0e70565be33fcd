"""Working a sample: the draw, per-item results, the evaluation and the export of the items.

The draw and the item results are forms of the sample page: input the services refuse comes back on that page
(the draw form, or the item's own row), while a refusal of the sample's stage goes to the pipeline's refused page
(409). The views are registered in the package's __init__.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request
from flask_login import current_user

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.extensions import db
from audit_app.models import Sample, SampleItem, SampleItemResult
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.sampling import sample_items, samples
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.sample_items import ItemFilter
from audit_app.web.forms import form_status
from audit_app.web.samples.forms import DrawForm, ItemForm
from audit_app.web.samples.pages import Page, detail_page, detail_url, page_action

EXPORT_HEADER = ["draw order", "id", "label", "stratum", "result", "note", "replaces", "tested by", "tested at"]


@require_role(*WORKERS)
def draw(audit_id: int, sample_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    form = DrawForm()
    if not (
        done := page_action(
            form, lambda: samples.draw(sample, actor=current_user, seed=form.seed_value(), picks=form.pick_map())
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


def _at(sample: Sample, item: SampleItem, show: ItemFilter, page: int | None = None) -> str:
    """The sample page at `item`: on the list page given, or else on the page the item is on."""
    page = page or sample_items.page_of(item, show)
    args: dict[str, object] = {"page": page} if page > 1 else {}
    if show is not ItemFilter.ALL:
        args["show"] = show.value
    return detail_url(sample, f"item-{item.id}", **args)


@require_role(*WORKERS)
def record_item(audit_id: int, sample_id: int, item_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    sample = samples.get_sample(audit, sample_id)
    item = sample_items.get_item(sample, item_id)
    form = ItemForm()

    def record() -> SampleItem | None:
        result = SampleItemResult(form.result.data)
        note, evidence_id = form.note.data or "", form.evidence_value()
        return samples.record_result(item, result, actor=current_user, note=note, evidence_id=evidence_id)

    if not (done := page_action(form, record)):
        return detail_page(audit, sample, failed_item=(item.id, form), status=form_status(form))
    flash(f"{item.key}: {item.result.label.lower()}.", "success")
    show = ItemFilter.parse(request.args.get("show"))
    db.session.flush()  # the page an item is on counts the rows just written
    if (replacement := done.value) is not None:
        flash(f"Replacement drawn from the same seeded stream: {replacement.key}", "success")
        return redirect(_at(sample, replacement, show))
    return redirect(_at(sample, item, show, request.args.get("page", type=int)))


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
        ]
        for order, key, label, stratum, result, note, replaced, tester, tested_at in sample_items.export_rows(sample)
    ]
    return Response(
        sel.export_csv(EXPORT_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{sample.reference}-items.csv"'},
    )
