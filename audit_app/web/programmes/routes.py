"""Audit programmes and their coverage matrix: staff read them, planners create and change them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.errors import NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import DUE_STEPS, Audit, AuditProgramme
from audit_app.services.access import can_manage_programme
from audit_app.services.planning import audits, coverage, programmes
from audit_app.web.programmes.forms import STEP_LABELS, ProgrammeForm

bp = Blueprint("programmes", __name__, url_prefix="/programmes")


def _programme_or_404(programme_id: int) -> AuditProgramme:
    try:
        return programmes.get_programme(programme_id)
    except NotFound:
        abort(404)


def _audit_counts() -> dict[int, int]:
    """Number of audits per programme, in one query."""
    stmt = sa.select(Audit.programme_id, sa.func.count(Audit.id).label("audits")).group_by(Audit.programme_id)
    return {row.programme_id: row.audits for row in db.session.execute(stmt)}


def plan_audit_url(programme: AuditProgramme) -> str:
    # A literal path: the audits blueprint is built alongside this one.
    return f"/audits/new?programme_id={programme.id}"


@bp.route("/")
@require_role(*STAFF)
def index() -> str:
    return render_template(
        "programmes/index.html",
        programmes=programmes.list_programmes(),
        counts=_audit_counts(),
        can_manage=can_manage_programme(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new() -> str | Response | tuple[str, int]:
    return _form_page(None)


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit(programme_id: int) -> str | Response | tuple[str, int]:
    return _form_page(_programme_or_404(programme_id))


def _form_page(programme: AuditProgramme | None) -> Response | tuple[str, int]:
    form = ProgrammeForm(obj=programme)
    form.set_versions()
    if not form.is_submitted():
        form.load(programme)
    if form.validate_on_submit():
        try:
            saved = programmes.save_programme(form.to_data(), actor=current_user, programme=programme)
        except NotAllowed:
            abort(403)
        except ValidationFailed as exc:
            db.session.rollback()
            form.show_errors(exc)
        else:
            db.session.commit()
            flash(f"Audit programme {saved.code} saved.", "success")
            return redirect(url_for("programmes.detail", programme_id=saved.id))
    form.add_blank_rows()
    page = render_template(
        "programmes/form.html", form=form, programme=programme, steps=DUE_STEPS, step_labels=STEP_LABELS
    )
    return page, 400 if form.has_errors else 200


@bp.route("/<int:programme_id>")
@require_role(*STAFF)
def detail(programme_id: int) -> str:
    programme = _programme_or_404(programme_id)
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
    programme = _programme_or_404(programme_id)
    systems, units = coverage.scope_coverage(programme)
    return render_template(
        "programmes/scope_coverage.html",
        programme=programme,
        systems=systems,
        units=units,
        can_manage=can_manage_programme(current_user, programme),
        plan_audit_url=plan_audit_url(programme),
    )
