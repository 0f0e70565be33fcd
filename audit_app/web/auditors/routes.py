"""Auditor profiles (ISO 19011 5.4.2, 7): competence, responsibilities, audits performed and evaluations.

Planners read and keep every profile and evaluate after each audit; an auditor reads their own profile.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, WORKERS, require_role
from audit_app.models import CompetenceArea, User
from audit_app.services import paging
from audit_app.services.planning import competence
from audit_app.web.auditors.forms import EvaluationForm, ProfileForm
from audit_app.web.forms import form_action, render_form

bp = Blueprint("auditors", __name__, url_prefix="/auditors")

Page = str | Response | tuple[str, int]


@bp.route("/")
@require_role(*PLANNERS)
def index() -> str:
    listing = competence.auditors_page(paging.PageRequest.from_args(request.args), clamp=True)
    return render_template("auditors/index.html", listing=listing, areas=list(CompetenceArea))


def _detail(user: User, evaluation_form: EvaluationForm | None = None) -> tuple[str, int]:
    if evaluation_form is None:
        evaluation_form = EvaluationForm(formdata=None)
        evaluation_form.set_choices(competence.evaluable_audits(user))
    return render_form(
        "auditors/detail.html",
        evaluation_form,
        auditor=user,
        profile=competence.get_profile(user),
        performed=competence.audits_performed(user),
        evaluations=competence.evaluations(user),
        planner=current_user.role in PLANNERS,
        areas=list(CompetenceArea),
    )


@bp.route("/me")
@require_role(*WORKERS)
def mine() -> Page:
    """The signed-in person's own auditor profile (the navigation links here)."""
    return _detail(competence.get_auditor(current_user.id))


@bp.route("/<int:auditor_id>")
@require_role(*WORKERS)
def detail(auditor_id: int) -> Page:
    user = competence.get_auditor(auditor_id)
    competence.ensure_may_read(current_user, user)
    return _detail(user)


@bp.route("/<int:auditor_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit(auditor_id: int) -> Page:
    user = competence.get_auditor(auditor_id)
    profile = competence.get_profile(user)
    form = ProfileForm(obj=profile)
    form.set_choices(profile)
    if form_action(form, lambda: competence.save_profile(user, form.to_data(), actor=current_user)):
        flash(f"Profile of {user.name} saved.", "success")
        return redirect(url_for("auditors.detail", auditor_id=user.id))
    return render_form("auditors/form.html", form, auditor=user)


@bp.post("/<int:auditor_id>/evaluations")
@require_role(*PLANNERS)
def evaluate(auditor_id: int) -> Page:
    user = competence.get_auditor(auditor_id)
    form = EvaluationForm()
    form.set_choices(competence.evaluable_audits(user))
    if form_action(form, lambda: competence.record_evaluation(user, actor=current_user, **form.to_kwargs())):
        flash(f"Evaluation of {user.name} recorded.", "success")
        return redirect(url_for("auditors.detail", auditor_id=user.id))
    return _detail(user, form)
