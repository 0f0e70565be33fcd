"""Audits: list, my audits, calendar, overview, details, scope, criteria and life cycle."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, require_role
from audit_app.models import Audit, AuditStatus, Role
from audit_app.services import access, org, paging
from audit_app.services.access import Need
from audit_app.services.library import checklists
from audit_app.services.notifications.reminders import local_now
from audit_app.services.planning import agenda, audits, conclusions, lifecycle, overview, programmes
from audit_app.services.planning import schedule as cal
from audit_app.web.audits import working
from audit_app.web.audits.forms import (
    AuditDetailsForm,
    AuditFilterForm,
    CriteriaForm,
    NewAuditForm,
    ScopeForm,
    TransitionForm,
)
from audit_app.web.forms import form_action, refusal_of, render_form, show_all_errors

bp = Blueprint("audits", __name__, url_prefix="/audits")
working.register(bp)  # preparation, fieldwork confirmation and conclusions pages

Page = str | Response | tuple[str, int]


@bp.route("/")
@require_role()
def index() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    form.set_choices()
    valid = form.validate()
    asked = paging.PageRequest.from_args(request.args)
    listing = audits.audits_page(current_user, form.to_filters(), asked, clamp=True)
    page = render_template("audits/index.html", form=form, listing=listing, can_plan=current_user.role in PLANNERS)
    return page, 200 if valid else 400


def _my_role(audit: Audit) -> tuple[str, bool]:
    """The signed-in user's role on an audit of theirs, and whether their declaration is still pending."""
    member = access.membership(current_user, audit)
    if member is not None:
        return member.role.label, not member.has_declared
    if audit.lead_auditor_id == current_user.id:
        return "Lead auditor", False
    return "Auditee representative", False  # my_audits returns only audits I lead, serve on, or represent


@bp.route("/mine")
@require_role()
def mine() -> str:
    rows = []
    for audit in audits.my_audits(current_user):
        role, pending = _my_role(audit)
        rows.append((audit, role, pending and audit.is_open))
    return render_template("audits/mine.html", rows=rows)


@bp.route("/calendar")
@require_role()
def calendar() -> str:
    now = local_now(current_app.config["ORG_TIMEZONE"])
    text = request.args.get("month")
    month = cal.Month.parse(text) if text else cal.Month(now.year, now.month)
    sessions = cal.month_sessions(current_user, month)
    return render_template("audits/calendar.html", month=month, sessions=sessions, today=now.date())


@bp.route("/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new() -> Page:
    form = NewAuditForm()
    form.set_choices()
    if not form.is_submitted():
        form.lead_auditor_id.data = current_user.id
        programme_id = request.args.get("programme_id", type=int)
        if programme_id in {value for value, _ in form.programme_id.choices}:
            form.programme_id.data = programme_id
    done = form_action(
        form,
        lambda: audits.create_audit(
            programmes.get_programme(form.programme_id.data), form.to_command(), actor=current_user
        ),
        show=show_all_errors,
    )
    if done:
        flash(f"Audit {done.value.reference} planned.", "success")
        return redirect(url_for("audits.detail", audit_id=done.value.id))
    return render_form("audits/form.html", form, audit=None, locked=None)


@bp.route("/<int:audit_id>")
@require_role()
def detail(audit_id: int) -> str:
    audit = access.load_audit(current_user, audit_id)
    staff = current_user.role is not Role.AUDITEE
    manage = access.may(current_user, audit, Need.MANAGE)
    return render_template(
        "audits/detail.html",
        audit=audit,
        overview=overview.audit_overview(audit),
        staff=staff,
        manage=manage,
        conflicts=len(agenda.conflicts_for(audit)) if staff else None,
        options=lifecycle.options(audit) if manage else [],
        achieved=conclusions.achievement(audit) if staff else None,
    )


@bp.route("/<int:audit_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = AuditDetailsForm(obj=audit)
    form.set_choices()
    # Locked, or a new lead who is not impartial (without an exception), comes back as 409.
    if form_action(form, lambda: form.save(audit, actor=current_user), show=show_all_errors):
        flash(f"Audit {audit.reference} saved.", "success")
        return redirect(url_for("audits.detail", audit_id=audit.id))
    return render_form("audits/form.html", form, audit=audit, locked=lifecycle.lock_message(audit, "details"))


@bp.route("/<int:audit_id>/scope", methods=["GET", "POST"])
@require_role(*PLANNERS)
def scope(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    units = [u for u in org.list_units() if u.active or u in audit.scope_units]
    systems = sorted(org.list_systems(), key=lambda s: (not s.in_scope, s.name.lower()))
    form = ScopeForm()
    form.set_choices(units, systems)
    if not form.is_submitted():
        form.unit_ids.data = [u.id for u in audit.scope_units]
        form.system_ids.data = [s.id for s in audit.scope_systems]
    if form_action(
        form,
        lambda: audits.set_scope(
            audit,
            unit_ids=form.unit_ids.data or [],
            system_ids=form.system_ids.data or [],
            actor=current_user,
            exception=form.exception.data or "",
        ),
        show=show_all_errors,
    ):
        flash(f"Scope of {audit.reference} saved.", "success")
        return redirect(url_for("audits.detail", audit_id=audit.id))
    return render_form(
        "audits/scope.html",
        form,
        audit=audit,
        units=units,
        systems=systems,
        selected_units=set(form.unit_ids.data or []),
        selected_systems=set(form.system_ids.data or []),
        locked=lifecycle.lock_message(audit, "scope"),
    )


@bp.route("/<int:audit_id>/criteria", methods=["GET", "POST"])
@require_role(*PLANNERS)
def criteria(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    versions = checklists.list_versions()
    form = CriteriaForm()
    form.set_choices(versions)
    pinned_before = [v.id for v in audit.criteria]
    if not form.is_submitted():
        form.version_ids.data = pinned_before
        form.item_ids.data = [i.id for i in audit.scope_items]
        form.other_criteria.data = audit.other_criteria
    if form_action(
        form,
        lambda: audits.set_criteria(
            audit,
            version_ids=form.ticked(),
            item_ids=form.items_in_scope(versions, pinned_before),
            other_criteria=form.other_criteria.data or "",
            actor=current_user,
        ),
        show=show_all_errors,
    ):
        labels = {v.id: v.label for v in versions}
        added = [labels[v] for v in form.ticked() if v not in pinned_before]
        if added and not form.select_all.data:
            flash(f"Pinned {', '.join(added)}. Now choose its clauses and controls in scope.", "success")
            return redirect(url_for("audits.criteria", audit_id=audit.id))
        flash(f"Criteria of {audit.reference} saved.", "success")
        return redirect(url_for("audits.detail", audit_id=audit.id))
    selected_versions = set(form.version_ids.data or []) & {v.id for v in versions}
    return render_form(
        "audits/criteria.html",
        form,
        audit=audit,
        versions=versions,
        trees=[(v, checklists.version_items(v)) for v in versions if v.id in selected_versions],
        selected_versions=selected_versions,
        selected_items=set(form.item_ids.data or []),
        locked=lifecycle.lock_message(audit, "criteria"),
    )


@bp.route("/<int:audit_id>/status", methods=["POST"])
@require_role(*PLANNERS)
def transition(audit_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = TransitionForm()
    target = form.target_status()
    if target is AuditStatus.FIELDWORK and audit.status is AuditStatus.PREPARATION:
        # Fieldwork starts from its confirmation page: what freezes and every open warning.
        return redirect(url_for("audits.confirm_fieldwork", audit_id=audit_id))
    # The overview shows a refused move (wrong state, gate, missing reason) as a message above the buttons.
    refusal = refusal_of(lambda: lifecycle.transition(audit, target, actor=current_user, reason=form.reason.data or ""))
    if refusal:
        flash(refusal, "error")
    else:
        flash(f"Audit {audit.reference} moved to {target.label.lower()}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit_id))
