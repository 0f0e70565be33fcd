"""Audit programmes and their coverage matrix: staff read them, planners create and change them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.models import DUE_STEPS, AuditProgramme
from audit_app.services import paging
from audit_app.services.access import can_manage_programme
from audit_app.services.findings import certification
from audit_app.services.planning import audits, coverage, programmes
from audit_app.web.forms import form_action, render_form
from audit_app.web.programmes.forms import STEP_LABELS, ProgrammeForm

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

Page = str | Response | tuple[str, int]

#: Audits (columns) a coverage matrix shows at a time; the Coverage column counts every audit of the programme.
MATRIX_COLUMNS = 10
#: AI systems, and org units, a page of the scope coverage shows at a time.
SCOPE_ROWS = 25


def plan_audit_url(programme: AuditProgramme) -> str:
    # A literal path: the audits blueprint is built alongside this one.
    return f"/audits/new?programme_id={programme.id}"


@bp.route("/")
@require_role(*STAFF)
def index() -> str:
    listing = programmes.programmes_page(paging.PageRequest.from_args(request.args), clamp=True)
    return render_template(
        "programmes/index.html",
        listing=listing,
        counts=programmes.audit_counts([p.id for p in listing.items]),
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
    form.set_managers(programme, current_user.id)
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
    listing = audits.audits_page(
        current_user, audits.AuditFilters(programme_id=programme.id), _asked(), clamp=True, by_sequence=True
    )
    return render_template(
        "programmes/detail.html",
        programme=programme,
        matrix=matrix,
        columns=_columns(matrix),
        rows=rows,
        only_gaps=only_gaps,
        listing=listing,
        steps=DUE_STEPS,
        step_labels=STEP_LABELS,
        can_manage=can_manage_programme(current_user, programme),
        plan_audit_url=plan_audit_url(programme),
        closures=programmes.closures(programme),
        certification=certification.certification_status(programme),
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
        columns=_columns(systems),
        system_rows=paging.page_of_list(systems.rows, _asked("systems_page", SCOPE_ROWS), clamp=True),
        unit_rows=paging.page_of_list(units.rows, _asked("units_page", SCOPE_ROWS), clamp=True),
        can_manage=can_manage_programme(current_user, programme),
        plan_audit_url=plan_audit_url(programme),
    )


def _asked(param: str = "page", size: int = paging.DEFAULT_PER_PAGE) -> paging.PageRequest:
    """The page of one list of a programme page asks for (the main list alone takes per_page)."""
    return paging.PageRequest.from_args(
        request.args, param=param, size_param="per_page" if param == "page" else None, default_size=size
    )


def _columns(matrix: coverage.Coverage) -> paging.Page[coverage.AuditColumn]:
    """The audits a coverage matrix shows as columns on this page (`?columns=2` for the next ones)."""
    return paging.page_of_list(matrix.audits, _asked("columns", MATRIX_COLUMNS), clamp=True)
