"""Audit programmes and their coverage matrix: staff read them, planners create and change them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.models import DUE_STEPS, AuditProgramme
from audit_app.services.access import can_manage_programme
from audit_app.services.planning import audits, coverage, programmes
from audit_app.web.forms import form_action, render_form
from audit_app.web.programmes.forms import STEP_LABELS, ProgrammeForm

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

Page = str | Response | tuple[str, int]


def plan_audit_url(programme: AuditProgramme) -> str:
    # A literal path: the audits blueprint is built alongside this one.
    return f"/audits/new?programme_id={programme.id}"


@bp.route("/")
@require_role(*STAFF)
def index() -> str:
    return render_template(
        "programmes/index.html",
        programmes=programmes.list_programmes(),
        counts=programmes.audit_counts(),
        can_manage=can_manage_programme(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new() -> Page:
    return _form_page(None)


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit(programme_id: int) -> Page:
    return _form_page(programmes.get_programme(programme_id))


def _form_page(programme: AuditProgramme | None) -> Page:
    form = ProgrammeForm(obj=programme)
    form.set_versions()
    if not form.is_submitted():
        form.load(programme)
    if done := form_action(
        form,
        lambda: programmes.save_programme(form.to_data(), actor=current_user, programme=programme),
        show=lambda _, exc: form.show_errors(exc),  # grade and due-policy errors go beside their tables
    ):
        flash(f"Audit programme {done.value.code} saved.", "success")
        return redirect(url_for("programmes.detail", programme_id=done.value.id))
    form.add_blank_rows()
    return render_form("programmes/form.html", form, programme=programme, steps=DUE_STEPS, step_labels=STEP_LABELS)


@bp.route("/<int:programme_id>")
@require_role(*STAFF)
def detail(programme_id: int) -> str:
    programme = programmes.get_programme(programme_id)
    matrix = coverage.programme_coverage(programme)
    only_gaps = request.args.get("gaps") == "1"
    rows = [row for row in matrix.rows if not row.covered] if only_gaps else list(matrix.rows)
    programme_audits = sorted(
        audits.list_audits(current_user, audits.AuditFilters(programme_id=programme.id)), key=lambda a: a.sequence
    )
    return render_template(
        "programmes/detail.html",
        programme=programme,
        matrix=matrix,
        rows=rows,
        only_gaps=only_gaps,
        audits=programme_audits,
        steps=DUE_STEPS,
        step_labels=STEP_LABELS,
        can_manage=can_manage_programme(current_user, programme),
        plan_audit_url=plan_audit_url(programme),
    )


@bp.route("/<int:programme_id>/coverage/scope")
@require_role(*STAFF)
def scope_coverage(programme_id: int) -> str:
    programme = programmes.get_programme(programme_id)
    systems, units = coverage.scope_coverage(programme)
    return render_template(
        "programmes/scope_coverage.html",
        programme=programme,
        systems=systems,
        units=units,
        can_manage=can_manage_programme(current_user, programme),
        plan_audit_url=plan_audit_url(programme),
    )
