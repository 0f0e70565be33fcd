"""Sample draw, per-item results, evaluation and export (endpoints on the samples blueprint)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request
from flask_login import current_user

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import DomainError, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Sample, SampleItem, SampleItemResult
from audit_app.services.sampling import sample_items, samples
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.sample_items import ItemFilter
from audit_app.web.fieldwork.access import viewable_audit, work_refusal
from audit_app.web.forms import show_errors
from audit_app.web.samples.forms import DrawForm, ItemForm, evidence_choices
from audit_app.web.samples.routes import (
    EXPORT_HEADER,
    Page,
    _detail_page,
    _detail_url,
    _refused,
    _sample,
    bp,
)

# --- Draw, results, evaluation ----------------------------------------------------------------------------------


@bp.post("/<int:audit_id>/samples/<int:sample_id>/draw")
@require_role(*WORKERS)
def draw(audit_id: int, sample_id: int) -> Page:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, _detail_url(sample), sample)
    form = DrawForm()
    if not form.validate_on_submit():
        return _detail_page(audit, sample, draw_form=form, status=400)
    try:
        drawn = samples.draw(sample, actor=current_user, seed=form.seed_value(), picks=form.pick_map())
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _detail_page(audit, sample, draw_form=form, status=400)
    except DomainError as exc:
        return _refused(audit, exc, _detail_url(sample), sample)
    count, seed = len(drawn), sample.seed
    db.session.commit()
    flash(f"{count} items drawn" + (f" with seed {seed}." if seed is not None else "."), "success")
    return redirect(_detail_url(sample, "items"))


def _item(sample: Sample, item_id: int) -> SampleItem:
    item = db.session.get(SampleItem, item_id)
    if item is None or item.sample_id != sample.id:
        abort(404)
    return item


def _at(sample: Sample, item: SampleItem, show: ItemFilter, page: int | None = None) -> str:
    """The sample page at `item`: on the list page given, or else on the page the item is on."""
    page = page or sample_items.page_of(item, show)
    args: dict[str, object] = {"page": page} if page > 1 else {}
    if show is not ItemFilter.ALL:
        args["show"] = show.value
    return _detail_url(sample, f"item-{item.id}", **args)


@bp.post("/<int:audit_id>/samples/<int:sample_id>/items/<int:item_id>")
@require_role(*WORKERS)
def record_item(audit_id: int, sample_id: int, item_id: int) -> Page:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, _detail_url(sample), sample)
    item = _item(sample, item_id)
    form = ItemForm()
    form.set_evidence(evidence_choices(audit))
    if not form.validate_on_submit():
        return _detail_page(audit, sample, failed_item=(item.id, form), status=400)
    try:
        replacement = samples.record_result(
            item,
            SampleItemResult(form.result.data),
            actor=current_user,
            note=form.note.data or "",
            evidence_id=form.evidence_value(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _detail_page(audit, sample, failed_item=(item_id, form), status=400)
    except DomainError as exc:
        return _refused(audit, exc, _detail_url(sample, f"item-{item_id}"), sample)
    key, label = item.key, item.result.label.lower()
    show = ItemFilter.parse(request.args.get("show"))
    db.session.flush()
    if replacement is not None:
        new_key, back = replacement.key, _at(sample, replacement, show)
    else:
        new_key, back = None, _at(sample, item, show, request.args.get("page", type=int))
    db.session.commit()
    flash(f"{key}: {label}.", "success")
    if new_key is not None:
        flash(f"Replacement drawn from the same seeded stream: {new_key}", "success")
    return redirect(back)


@bp.post("/<int:audit_id>/samples/<int:sample_id>/evaluate")
@require_role(*WORKERS)
def evaluate(audit_id: int, sample_id: int) -> Page:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    if (refused := work_refusal(audit)) is not None:
        return _refused(audit, refused, _detail_url(sample), sample)
    try:
        result = samples.evaluate(sample, actor=current_user)
    except DomainError as exc:
        return _refused(audit, exc, _detail_url(sample, "evaluation"), sample)
    db.session.commit()
    flash(result.conclusion, "success")
    return redirect(_detail_url(sample, "evaluation"))


@bp.get("/<int:audit_id>/samples/<int:sample_id>/export.csv")
@require_role(*STAFF)
def export(audit_id: int, sample_id: int) -> Response:
    audit = viewable_audit(audit_id)
    sample = _sample(audit, sample_id)
    keys = {i.id: i.key for i in sample.items}
    rows = [
        [
            str(i.draw_order),
            i.key,
            i.label,
            i.stratum,
            i.result.label,
            i.note,
            keys.get(i.replaces_id, "") if i.replaces_id else "",
            i.tested_by.name if i.tested_by else "",
            i.tested_at.isoformat() if i.tested_at else "",
        ]
        for i in sample.items
    ]
    return Response(
        sel.export_csv(EXPORT_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{sample.reference}-items.csv"'},
    )
