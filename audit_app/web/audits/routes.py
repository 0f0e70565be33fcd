"""Audits: list, my audits, calendar, overview, details, scope, criteria and life cycle."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, require_role
from audit_app.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import MEETING_POINTS, Audit, AuditStatus, MeetingKind, Role
from audit_app.services import access, org
from audit_app.services.access import Need
from audit_app.services.library import checklists
from audit_app.services.notifications.reminders import local_now
from audit_app.services.planning import agenda, audits, lifecycle, meetings, programmes
from audit_app.services.planning import schedule as cal
from audit_app.web.audits.forms import (
    AuditFilterForm,
    AuditForm,
    CriteriaForm,
    NewAuditForm,
    ScopeForm,
    TransitionForm,
    show_all_errors,
)
from audit_app.web.forms import attempt

bp = Blueprint("audits", __name__, url_prefix="/audits")

S = AuditStatus
#: The life-cycle stages shown as progress (cancelled is shown apart).
STAGES = (S.PLANNED, S.PREPARATION, S.FIELDWORK, S.REPORTING, S.FOLLOW_UP, S.CLOSED)


@dataclass(frozen=True)
class Stage:
    status: AuditStatus
    state: str  # words shown to the user: "done", "current stage", "next", …

    @property
    def is_current(self) -> bool:
        return self.state == "current stage"


def _stages(audit: Audit) -> list[Stage]:
    """Each stage marked in words: done, skipped, current stage, next, later (or not reached if cancelled)."""
    visited = {S.PLANNED} | {t.to_status for t in audit.transitions} | {t.from_status for t in audit.transitions}
    if audit.status is S.CANCELLED:
        stopped = next((t.from_status for t in reversed(audit.transitions) if t.to_status is S.CANCELLED), S.PLANNED)
        at = STAGES.index(stopped) if stopped in STAGES else 0
        return [
            Stage(s, "cancelled here" if i == at else ("done" if i < at and s in visited else "not reached"))
            for i, s in enumerate(STAGES)
        ]
    at = STAGES.index(audit.status)
    states = []
    for i, status in enumerate(STAGES):
        if i < at:
            states.append(Stage(status, "done" if status in visited else "skipped"))
        elif i == at:
            states.append(Stage(status, "done" if status is S.CLOSED else "current stage"))
        else:
            states.append(Stage(status, "next" if i == at + 1 else "later"))
    if audit.status is S.CLOSED:
        states[-1] = Stage(S.CLOSED, "current stage")
    return states


def _visible(audit_id: int) -> Audit:
    try:
        return access.load_audit(current_user, audit_id)
    except NotFound:
        abort(404)


def _manageable(audit_id: int) -> Audit:
    audit = _visible(audit_id)
    try:
        access.ensure(current_user, audit, Need.MANAGE)
    except NotAllowed:
        abort(403)
    return audit


def _lock_message(audit: Audit, section: str) -> str | None:
    try:
        lifecycle.ensure_unlocked(audit, section)
    except lifecycle.Locked as exc:
        return str(exc)
    return None


@bp.route("/")
@require_role()
def index() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    form.set_choices()
    valid = form.validate()
    found = audits.list_audits(current_user, form.to_filters())
    page = render_template("audits/index.html", form=form, audits=found, can_plan=current_user.role in PLANNERS)
    return page, 200 if valid else 400


@bp.route("/mine")
@require_role()
def mine() -> str:
    rows = []
    for audit in audits.my_audits(current_user):
        member = next((m for m in audit.team if m.user_id == current_user.id), None)
        if member is not None:
            role, pending = member.role.label, not member.has_declared
        elif audit.lead_auditor_id == current_user.id:
            role, pending = "Lead auditor", False
        else:  # my_audits returns only audits I lead, serve on, or represent the auditee in
            role, pending = "Auditee representative", False
        rows.append((audit, role, pending and audit.is_open))
    return render_template("audits/mine.html", rows=rows)


@bp.route("/calendar")
@require_role()
def calendar() -> str:
    now = local_now(current_app.config["ORG_TIMEZONE"])
    text = request.args.get("month")
    if text:
        try:
            month = cal.Month.parse(text)
        except ValidationFailed as exc:
            abort(400, description=str(exc))
    else:
        month = cal.Month(now.year, now.month)
    sessions = cal.month_sessions(current_user, month)
    return render_template("audits/calendar.html", month=month, sessions=sessions, today=now.date())


@bp.route("/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new() -> tuple[str, int] | Response:
    form = NewAuditForm()
    form.set_choices()
    if not form.is_submitted():
        form.lead_auditor_id.data = current_user.id
        programme_id = request.args.get("programme_id", type=int)
        if programme_id in {value for value, _ in form.programme_id.choices}:
            form.programme_id.data = programme_id
    if form.validate_on_submit():
        try:
            programme = programmes.get_programme(form.programme_id.data)
            audit = audits.create_audit(programme, form.to_command(), actor=current_user)
        except NotFound:
            db.session.rollback()
            form.programme_id.errors.append("Choose an existing programme.")
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except ValidationFailed as exc:
            db.session.rollback()
            show_all_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Audit {audit.reference} planned.", "success")
            return redirect(url_for("audits.detail", audit_id=audit.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("audits/form.html", form=form, audit=None, locked=None), status


@bp.route("/<int:audit_id>")
@require_role()
def detail(audit_id: int) -> str:
    audit = _visible(audit_id)
    staff = current_user.role is not Role.AUDITEE
    manage = access.may(current_user, audit, Need.MANAGE)
    order = list(lifecycle.SECTION_LABELS)
    locked = sorted(lifecycle.LOCKED[audit.status], key=order.index)
    return render_template(
        "audits/detail.html",
        audit=audit,
        stages=_stages(audit),
        staff=staff,
        manage=manage,
        declared=sum(1 for m in audit.team if m.has_declared),
        conflicts=len(agenda.conflicts_for(audit)) if staff else None,
        items_per_version=Counter(item.version_id for item in audit.scope_items),
        opening=meetings.get_meeting(audit, MeetingKind.OPENING),
        closing=meetings.get_meeting(audit, MeetingKind.CLOSING),
        points={kind: dict(points) for kind, points in MEETING_POINTS.items()},
        locked=[lifecycle.SECTION_LABELS[s] for s in locked],
        lock_reason=lifecycle.LOCK_REASONS.get(audit.status, ""),
        options=lifecycle.options(audit) if manage else [],
    )


@bp.route("/<int:audit_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit(audit_id: int) -> tuple[str, int] | Response:
    audit = _manageable(audit_id)
    form = AuditForm(obj=audit)
    form.set_choices()
    status = 200
    if form.validate_on_submit():
        # Locked, or a new lead who is not impartial, comes back as 409.
        _, status = attempt(
            form, lambda: audits.update_details(audit, form.to_command(), actor=current_user), show=show_all_errors
        )
        if status == 200:
            db.session.commit()
            flash(f"Audit {audit.reference} saved.", "success")
            return redirect(url_for("audits.detail", audit_id=audit.id))
    if status == 200 and (form.errors or form.form_errors):
        status = 400
    locked = _lock_message(audit, "details")
    return render_template("audits/form.html", form=form, audit=audit, locked=locked), status


@bp.route("/<int:audit_id>/scope", methods=["GET", "POST"])
@require_role(*PLANNERS)
def scope(audit_id: int) -> tuple[str, int] | Response:
    audit = _manageable(audit_id)
    units = [u for u in org.list_units() if u.active or u in audit.scope_units]
    systems = sorted(org.list_systems(), key=lambda s: (not s.in_scope, s.name.lower()))
    form = ScopeForm()
    form.set_choices(units, systems)
    if not form.is_submitted():
        form.unit_ids.data = [u.id for u in audit.scope_units]
        form.system_ids.data = [s.id for s in audit.scope_systems]
    status = 200
    if form.validate_on_submit():
        _, status = attempt(
            form,
            lambda: audits.set_scope(
                audit, unit_ids=form.unit_ids.data or [], system_ids=form.system_ids.data or [], actor=current_user
            ),
            show=show_all_errors,
        )
        if status == 200:
            db.session.commit()
            flash(f"Scope of {audit.reference} saved.", "success")
            return redirect(url_for("audits.detail", audit_id=audit.id))
    if status == 200 and (form.errors or form.form_errors):
        status = 400
    return render_template(
        "audits/scope.html",
        form=form,
        audit=audit,
        units=units,
        systems=systems,
        selected_units=set(form.unit_ids.data or []),
        selected_systems=set(form.system_ids.data or []),
        locked=_lock_message(audit, "scope"),
    ), status


@bp.route("/<int:audit_id>/criteria", methods=["GET", "POST"])
@require_role(*PLANNERS)
def criteria(audit_id: int) -> tuple[str, int] | Response:
    audit = _manageable(audit_id)
    versions = checklists.list_versions()
    form = CriteriaForm()
    form.set_choices(versions)
    pinned_before = [v.id for v in audit.criteria]
    if not form.is_submitted():
        form.version_ids.data = pinned_before
        form.item_ids.data = [i.id for i in audit.scope_items]
        form.other_criteria.data = audit.other_criteria
    status = 200
    if form.validate_on_submit():
        ticked = list(dict.fromkeys(form.version_ids.data or []))
        known = {v.id: v for v in versions}
        shown = {vid: checklists.version_items(known[vid]) for vid in dict.fromkeys([*pinned_before, *ticked])}
        version_of = {item.id: vid for vid, items in shown.items() for item in items}
        if form.select_all.data:
            item_ids = [item.id for vid in ticked for item in shown[vid] if item.auditable]
        else:  # items of a version no longer ticked go with it; the service refuses unknown or stray items
            item_ids = [i for i in form.item_ids.data or [] if version_of.get(i) in (None, *ticked)]
        _, status = attempt(
            form,
            lambda: audits.set_criteria(
                audit,
                version_ids=ticked,
                item_ids=list(dict.fromkeys(item_ids)),
                other_criteria=form.other_criteria.data or "",
                actor=current_user,
            ),
            show=show_all_errors,
        )
        if status == 200:
            db.session.commit()
            added = [known[v].label for v in ticked if v not in pinned_before]
            if added and not form.select_all.data:
                flash(f"Pinned {', '.join(added)}. Now choose its clauses and controls in scope.", "success")
                return redirect(url_for("audits.criteria", audit_id=audit.id))
            flash(f"Criteria of {audit.reference} saved.", "success")
            return redirect(url_for("audits.detail", audit_id=audit.id))
    if status == 200 and (form.errors or form.form_errors):
        status = 400
    selected_versions = set(form.version_ids.data or []) & {v.id for v in versions}
    trees = [(v, checklists.version_items(v)) for v in versions if v.id in selected_versions]
    return render_template(
        "audits/criteria.html",
        form=form,
        audit=audit,
        versions=versions,
        trees=trees,
        selected_versions=selected_versions,
        selected_items=set(form.item_ids.data or []),
        locked=_lock_message(audit, "criteria"),
    ), status


@bp.route("/<int:audit_id>/status", methods=["POST"])
@require_role(*PLANNERS)
def transition(audit_id: int) -> Response:
    audit = _manageable(audit_id)
    form = TransitionForm()
    if not form.validate():
        abort(400, description=" ".join(m for messages in form.errors.values() for m in messages))
    target = form.target_status()
    if target is None:
        allowed = ", ".join(s.value for s in AuditStatus)
        abort(400, description=f"Unknown status {form.target.data[:40]!r}. Use one of: {allowed}.")
    try:
        lifecycle.transition(audit, target, actor=current_user, reason=form.reason.data or "")
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except DomainError as exc:  # InvalidTransition, Locked, ValidationFailed: nothing changes
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Audit {audit.reference} moved to {target.label.lower()}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit_id))
