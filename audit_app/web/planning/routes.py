"""Audit planning: team, auditee representatives, agenda sessions and meetings.

Each view loads the audit the user may see, checks the object rule before reading input, calls one service,
then commits and redirects. Domain refusals come back as pages: 403 (someone else's audit), 409 (impartiality,
a frozen section, or the wrong stage) and 400 (input the service refused, shown next to the fields).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import INDEPENDENCE_DECLARATION, Audit, AuditSession, AuditTeamMember, MeetingKind, Role
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import agenda as agenda_service
from audit_app.services.planning import lifecycle, meetings
from audit_app.services.planning import team as team_service
from audit_app.services.planning.lifecycle import Locked
from audit_app.web.forms import attempt, show_errors
from audit_app.web.planning.forms import AuditeeForm, MeetingForm, MemberForm, SessionForm

bp = Blueprint("planning", __name__, url_prefix="/audits")

Page = str | Response | tuple[str, int]

CONFLICT_LABELS = {
    "double_booked": "Double-booked",
    "outside_dates": "Outside the audit dates",
    "uncovered": "Not covered by any session",
}


@bp.context_processor
def _planning_context() -> dict[str, bool]:
    """Planners see the team and meeting pages in the planning navigation."""
    return {"planner": current_user.is_authenticated and current_user.role in PLANNERS}


def _audit_or_404(audit_id: int) -> Audit:
    try:
        return access.load_audit(current_user, audit_id)
    except NotFound:
        abort(404)


def _ensure_manager(audit: Audit) -> None:
    try:
        access.ensure(current_user, audit, Need.MANAGE)
    except NotAllowed:
        abort(403)


def _managed_audit(audit_id: int) -> Audit:
    """The audit, if the signed-in user may change it (checked before any input is read)."""
    audit = _audit_or_404(audit_id)
    _ensure_manager(audit)
    return audit


def _lock_message(audit: Audit, section: str) -> str | None:
    try:
        lifecycle.ensure_unlocked(audit, section)
    except Locked as exc:
        return str(exc)
    return None


def _refused(audit: Audit, exc: DomainError, back: str) -> tuple[str, int]:
    """Nothing changed: say why (409 for the audit's state, 400 for input the service refused)."""
    db.session.rollback()
    status = 400 if isinstance(exc, ValidationFailed) else 409
    messages = [m for msgs in getattr(exc, "errors", {}).values() for m in msgs]
    return render_template("planning/refused.html", audit=audit, message=str(exc), details=messages, back=back), status


def _own_membership(audit: Audit) -> AuditTeamMember | None:
    return next((m for m in audit.team if m.user_id == current_user.id), None)


# --- Team and auditee representatives -------------------------------------------------------------------------


def _team_page(
    audit: Audit,
    *,
    member_form: MemberForm | None = None,
    auditee_form: AuditeeForm | None = None,
    not_impartial: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if member_form is None:
        member_form = MemberForm(formdata=None)
        member_form.set_candidates(audit)
    if auditee_form is None:
        auditee_form = AuditeeForm(formdata=None, prefix="auditee")
        auditee_form.set_choices(audit)
    page = render_template(
        "planning/team.html",
        audit=audit,
        member_form=member_form,
        auditee_form=auditee_form,
        not_impartial=not_impartial,
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=_lock_message(audit, "team"),
        own=_own_membership(audit),
        declaration=INDEPENDENCE_DECLARATION,
    )
    return page, status


@bp.route("/<int:audit_id>/team", methods=["GET", "POST"])
@require_role(*PLANNERS)
def team(audit_id: int) -> Page:
    audit = _audit_or_404(audit_id)
    if request.method == "GET":
        return _team_page(audit)
    _ensure_manager(audit)
    form = MemberForm()
    form.set_candidates(audit)
    if not form.validate_on_submit():
        return _team_page(audit, member_form=form, status=400)
    try:
        member = team_service.add_member(
            audit, form.chosen_user_id(), form.chosen_role(), actor=current_user, exception=form.exception.data or ""
        )
    except team_service.NotImpartial as exc:
        db.session.rollback()
        return _team_page(audit, member_form=form, not_impartial=exc.reasons, status=409)
    except (Locked, Conflict) as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _team_page(audit, member_form=form, status=409)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _team_page(audit, member_form=form, status=400)
    name, role = member.user.name, member.role.label.lower()
    db.session.commit()
    flash(f"{name} added to the team as {role}.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


@bp.post("/<int:audit_id>/team/<int:member_id>/remove")
@require_role(*PLANNERS)
def remove_member(audit_id: int, member_id: int) -> Page:
    audit = _managed_audit(audit_id)
    try:
        member = team_service.get_member(audit, member_id)
    except NotFound:
        abort(404)
    name = member.user.name
    try:
        team_service.remove_member(audit, member, actor=current_user)
    except DomainError as exc:
        return _refused(audit, exc, url_for("planning.team", audit_id=audit.id))
    db.session.commit()
    flash(f"{name} removed from the team.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


@bp.post("/<int:audit_id>/declaration")
@require_role(*STAFF)
def declare(audit_id: int) -> Page:
    audit = _audit_or_404(audit_id)
    try:
        team_service.confirm_declaration(audit, actor=current_user)
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        return _refused(audit, exc, url_for("planning.agenda", audit_id=audit.id))
    db.session.commit()
    flash("Your declaration of independence is confirmed.", "success")
    return redirect(url_for("planning.agenda", audit_id=audit.id))


@bp.post("/<int:audit_id>/auditees")
@require_role(*PLANNERS)
def add_auditee(audit_id: int) -> Page:
    audit = _managed_audit(audit_id)
    form = AuditeeForm(prefix="auditee")
    form.set_choices(audit)
    if not form.validate_on_submit():
        return _team_page(audit, auditee_form=form, status=400)
    auditee, status = attempt(form, lambda: team_service.add_auditee(audit, actor=current_user, **form.to_kwargs()))
    if auditee is None:
        return _team_page(audit, auditee_form=form, status=status)
    name = auditee.name
    db.session.commit()
    flash(f"{name} added as an auditee representative.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


@bp.post("/<int:audit_id>/auditees/<int:auditee_id>/remove")
@require_role(*PLANNERS)
def remove_auditee(audit_id: int, auditee_id: int) -> Page:
    audit = _managed_audit(audit_id)
    try:
        team_service.remove_auditee(audit, auditee_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _refused(audit, exc, url_for("planning.team", audit_id=audit.id))
    db.session.commit()
    flash("Auditee representative removed.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


# --- Agenda ------------------------------------------------------------------------------------------------------


@bp.route("/<int:audit_id>/agenda")
@require_role()
def agenda(audit_id: int) -> str:
    audit = _audit_or_404(audit_id)
    staff = current_user.role is not Role.AUDITEE
    own = _own_membership(audit)
    return render_template(
        "planning/agenda.html",
        audit=audit,
        conflicts=agenda_service.conflicts_for(audit) if staff else None,
        conflict_labels=CONFLICT_LABELS,
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=_lock_message(audit, "agenda"),
        to_declare=own if own is not None and not own.has_declared and audit.is_open else None,
        declaration=INDEPENDENCE_DECLARATION,
    )


def _session_or_404(audit: Audit, session_id: int) -> AuditSession:
    try:
        return agenda_service.get_session(audit, session_id)
    except NotFound:
        abort(404)


def _session_form(audit_id: int, session_id: int | None) -> Page:
    audit = _managed_audit(audit_id)
    session = _session_or_404(audit, session_id) if session_id is not None else None
    form = SessionForm(obj=session)
    form.set_choices(audit)
    if not form.is_submitted():
        if session is not None:
            form.fill_from(session)
        else:
            form.day.data = audit.start_date
    status = 200
    if form.validate_on_submit():
        try:
            saved = agenda_service.save_session(audit, form.to_data(), actor=current_user, session=session)
        except (Locked, Conflict) as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            status = 409
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
            status = 400
        else:
            title = saved.title
            db.session.commit()
            flash(f"Session {title} saved. Check the conflicts below.", "success")
            return redirect(url_for("planning.agenda", audit_id=audit.id))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "planning/session_form.html", audit=audit, session=session, form=form, locked=_lock_message(audit, "agenda")
    )
    return page, status


@bp.route("/<int:audit_id>/agenda/new", methods=["GET", "POST"])
@require_role(*PLANNERS)
def new_session(audit_id: int) -> Page:
    return _session_form(audit_id, None)


@bp.route("/<int:audit_id>/agenda/<int:session_id>/edit", methods=["GET", "POST"])
@require_role(*PLANNERS)
def edit_session(audit_id: int, session_id: int) -> Page:
    return _session_form(audit_id, session_id)


@bp.post("/<int:audit_id>/agenda/<int:session_id>/delete")
@require_role(*PLANNERS)
def delete_session(audit_id: int, session_id: int) -> Page:
    audit = _managed_audit(audit_id)
    session = _session_or_404(audit, session_id)
    title = session.title
    try:
        agenda_service.delete_session(audit, session, actor=current_user)
    except DomainError as exc:
        return _refused(audit, exc, url_for("planning.agenda", audit_id=audit.id))
    db.session.commit()
    flash(f"Session {title} removed from the agenda.", "success")
    return redirect(url_for("planning.agenda", audit_id=audit.id))


# --- Opening and closing meetings --------------------------------------------------------------------------------


@bp.route("/<int:audit_id>/meetings/<string:kind>", methods=["GET", "POST"])
@require_role(*PLANNERS)
def meeting(audit_id: int, kind: str) -> Page:
    try:
        meeting_kind = MeetingKind(kind)
    except ValueError:
        abort(404)
    audit = _audit_or_404(audit_id)
    if request.method == "POST":
        _ensure_manager(audit)
    recorded = meetings.get_meeting(audit, meeting_kind)
    form = MeetingForm()
    form.prepare(meeting_kind, recorded)
    status = 200
    if form.validate_on_submit():
        try:
            meetings.record_meeting(audit, meeting_kind, form.to_data(), actor=current_user)
        except (Locked, Conflict) as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            status = 409
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(f"{meeting_kind.label} recorded.", "success")
            return redirect(url_for("planning.meeting", audit_id=audit.id, kind=meeting_kind.value))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "planning/meeting.html",
        audit=audit,
        kind=meeting_kind,
        form=form,
        recorded=meetings.get_meeting(audit, meeting_kind),
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=_lock_message(audit, "meetings"),
    )
    return page, status
