"""Management reviews (ISO/IEC 42001 9.3): the list and the input pack, a review with its inputs (and where the app
holds the data for each), recording it as held, and its actions (added by admins and lead auditors, completed by
their owner, cancelled with a reason). Auditees have no access."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.models.review import ManagementReview, ReviewStatus
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reports.generate import DOCX
from audit_app.services.reviews import records
from audit_app.services.reviews.inputs import INPUT_LINKS, INPUTS, coverage_sentence, missing_inputs
from audit_app.services.reviews.pack import generate_pack
from audit_app.web.forms import form_action, form_status, render_form
from audit_app.web.reviews.forms import (
    ActionForm,
    CancelForm,
    CompleteForm,
    HeldForm,
    PackForm,
    PlanForm,
    read_revision,
)

bp = Blueprint("reviews", __name__, url_prefix="/management-reviews")


def _today() -> date:
    return local_now(current_app.config["ORG_TIMEZONE"]).date()


def _action_form() -> ActionForm:
    form = ActionForm()
    form.owner_id.choices = [("", "(choose)")] + [
        (str(u.id), f"{u.name} ({u.role.label})") for u in records.owner_candidates()
    ]
    return form


def _review_page(review: ManagementReview, **forms: object) -> tuple[str, int]:
    status = max([200, *(form_status(form) for form in forms.values() if isinstance(form, FlaskForm))])
    context = {"action_form": _action_form() if records.can_record(current_user) else None, **forms}
    return render_template(
        "reviews/review.html",
        review=review,
        missing=missing_inputs(review),
        coverage=coverage_sentence(review),
        links=INPUT_LINKS,
        inputs=INPUTS,
        by_code={item.code: item for item in review.inputs},
        can_record=records.can_record(current_user),
        can_complete=lambda action: records.can_complete(action, current_user),
        today=_today(),
        **context,
    ), status


@bp.route("/")
@require_role(*records.READERS)
def index() -> str:
    today = _today()
    pack = PackForm(formdata=None, start=date(today.year - 1, today.month, 1), end=today)
    return render_template(
        "reviews/index.html",
        reviews=records.list_reviews(current_user),
        missing_inputs=missing_inputs,
        can_record=records.can_record(current_user),
        pack_form=pack,
    )


@bp.route("/pack", methods=["GET", "POST"])
@require_role(*records.READERS)
def pack() -> Response | tuple[str, int]:
    form = PackForm()
    if done := form_action(
        form, lambda: generate_pack(current_user, form.start.data, form.end.data, form.monitoring.data or "")
    ):
        document = done.value
        response = send_file(
            io.BytesIO(document.data), mimetype=DOCX, as_attachment=True, download_name=document.file_name
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_form("reviews/pack.html", form)


@bp.route("/new", methods=["GET", "POST"])
@require_role(*records.RECORDERS)
def new() -> Response | tuple[str, int]:
    form = PlanForm()
    if done := form_action(
        form, lambda: records.plan_review(current_user, form.title.data or "", form.held_on.data, today=_today())
    ):
        flash(f"Management review “{done.value.title}” planned.", "success")
        return redirect(url_for("reviews.review", review_id=done.value.id))
    return render_form("reviews/plan.html", form, review=None)


@bp.route("/<int:review_id>")
@require_role(*records.READERS)
def review(review_id: int) -> tuple[str, int]:
    return _review_page(records.get_review(review_id, current_user))


@bp.route("/<int:review_id>/edit", methods=["GET", "POST"])
@require_role(*records.RECORDERS)
def edit(review_id: int) -> Response | tuple[str, int]:
    found = records.get_review(review_id, current_user)
    form = PlanForm(obj=found)
    if not form.is_submitted():
        form.revision.data = str(found.revision)

    def action() -> ManagementReview:
        return records.update_plan(
            found, current_user, form.title.data or "", form.held_on.data, revision=read_revision(form), today=_today()
        )

    if form_action(form, action):
        flash("Review saved.", "success")
        return redirect(url_for("reviews.review", review_id=review_id))
    return render_form("reviews/plan.html", form, review=found)


@bp.route("/<int:review_id>/record", methods=["GET", "POST"])
@require_role(*records.RECORDERS)
def record(review_id: int) -> Response | tuple[str, int]:
    found = records.get_review(review_id, current_user)
    form = HeldForm(obj=found)
    if not form.is_submitted():
        form.revision.data = str(found.revision)
        if found.status != ReviewStatus.HELD and found.held_on > _today():
            form.held_on.data = _today()
        for item in found.inputs:
            form[f"considered_{item.code}"].data = item.considered
            form[f"summary_{item.code}"].data = item.summary

    def action() -> ManagementReview:
        return records.record_held(found, current_user, form.to_data(), revision=read_revision(form), today=_today())

    if form_action(form, action):
        flash(coverage_sentence(found), "success")
        return redirect(url_for("reviews.review", review_id=review_id))
    return render_form("reviews/record.html", form, review=found, links=INPUT_LINKS)


@bp.route("/<int:review_id>/actions", methods=["POST"])
@require_role(*records.RECORDERS)
def add_action(review_id: int) -> Response | tuple[str, int]:
    found = records.get_review(review_id, current_user)
    form = _action_form()
    owner = form.owner_id.data
    if form_action(
        form,
        lambda: records.add_action(
            found,
            current_user,
            form.description.data or "",
            int(owner) if (owner or "").isdigit() else None,
            form.due_on.data,
            today=_today(),
        ),
    ):
        flash("Action added.", "success")
        return redirect(url_for("reviews.review", review_id=review_id))
    return _review_page(found, action_form=form)


@bp.route("/<int:review_id>/actions/<int:action_id>/complete", methods=["POST"])
@require_role(*records.READERS)
def complete(review_id: int, action_id: int) -> Response | tuple[str, int]:
    found = records.get_review(review_id, current_user)
    action = records.get_action(found, action_id)
    form = CompleteForm()
    if form_action(
        form,
        lambda: records.complete_action(
            action, current_user, form.note.data or "", revision=read_revision(form), today=_today()
        ),
    ):
        flash("Action completed.", "success")
        return redirect(url_for("reviews.review", review_id=review_id))
    return _review_page(found, refused_form=form, refused_action_id=action_id)


@bp.route("/<int:review_id>/actions/<int:action_id>/cancel", methods=["POST"])
@require_role(*records.RECORDERS)
def cancel(review_id: int, action_id: int) -> Response | tuple[str, int]:
    found = records.get_review(review_id, current_user)
    action = records.get_action(found, action_id)
    form = CancelForm()
    if form_action(
        form, lambda: records.cancel_action(action, current_user, form.reason.data or "", revision=read_revision(form))
    ):
        flash("Action cancelled.", "success")
        return redirect(url_for("reviews.review", review_id=review_id))
    return _review_page(found, refused_form=form, refused_action_id=action_id)
