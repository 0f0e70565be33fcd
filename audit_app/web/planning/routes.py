"""Audit planning: team, auditee representatives, agenda sessions and meetings.

Each view loads the audit with the access it needs (checked before any input is read), calls one service and
redirects; the request pipeline commits, and answers refusals: 403 (someone else's audit), 404, and the
"nothing was changed" page for a frozen section or the wrong stage (409) or refused input (400). Forms show
their refusals beside the fields.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.errors import DomainError, NotFound
from audit_app.models import INDEPENDENCE_DECLARATION, Audit, MeetingKind, Role
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import agenda as agenda_service
from audit_app.services.planning import competence, lifecycle, meetings
from audit_app.services.planning import team as team_service
from audit_app.web.forms import form_action, form_status, refused, render_form
from audit_app.web.planning.forms import AuditeeForm, ExceptionForm, MeetingForm, MemberForm, SessionForm

bp = Blueprint("planning", __name__, url_prefix="/audits")

Page = str | Response | tuple[str, int]

CONFLICT_LABELS = {
    "double_booked": "Double-booked",
    "outside_dates": "Outside the audit dates",
    "uncovered": "Not covered by any session",
    "not_impartial": "Not impartial",
}


@bp.context_processor
def _planning_context() -> dict[str, bool]:
    """Planners see the team and meeting pages in the planning navigation."""
    return {"planner": current_user.is_authenticated and current_user.role in PLANNERS}


def _change_need() -> Need:
    """Pages anyone on the planning side may read but only the audit's manager may post to."""
    return Need.MANAGE if request.method == "POST" else Need.VIEW


# --- Team and auditee representatives -------------------------------------------------------------------------


def _team_page(
    audit: Audit,
    *,
    member_form: MemberForm | None = None,
    auditee_form: AuditeeForm | None = None,
    exception_form: ExceptionForm | None = None,
    not_impartial: list[str] | None = None,
) -> str:
    if exception_form is None:
        exception_form = ExceptionForm(formdata=None, prefix="exc")
        exception_form.set_choices(audit)
    if member_form is None:
        member_form = MemberForm(formdata=None)
        member_form.set_candidates(audit)
    if auditee_form is None:
        auditee_form = AuditeeForm(formdata=None, prefix="auditee")
        auditee_form.set_choices(audit)
    return render_template(
        "planning/team.html",
        audit=audit,
        member_form=member_form,
        auditee_form=auditee_form,
        exception_form=exception_form,
        coverage=competence.team_coverage(audit),
        own_work=team_service.own_work(audit),
        not_impartial=not_impartial,
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=lifecycle.lock_message(audit, "team"),
        own=access.membership(current_user, audit),
        declaration=INDEPENDENCE_DECLARATION,
    )


@bp.route("/<int:audit_id>/team", methods=["GET", "POST"])
@require_role(*PLANNERS)
def team(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, _change_need())
    form = MemberForm()
    form.set_candidates(audit)
    if form.validate_on_submit():
        try:
            member = team_service.add_member(
                audit,
                form.chosen_user_id(),
                form.chosen_role(),
                actor=current_user,
                exception=form.exception.data or "",
            )
        except team_service.NotImpartial as exc:  # the page lists each impartiality reason above the form
            return _team_page(audit, member_form=form, not_impartial=exc.reasons), 409
        except DomainError as exc:
            refused(form, exc)
        else:
            flash(f"{member.user.name} added to the team as {member.role.label.lower()}.", "success")
            return redirect(url_for("planning.team", audit_id=audit.id))
    return _team_page(audit, member_form=form), form_status(form)


@bp.post("/<int:audit_id>/team/exception")
@require_role(*PLANNERS)
def record_exception(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = ExceptionForm(prefix="exc")
    form.set_choices(audit)
    if done := form_action(
        form,
        lambda: team_service.record_exception(
            audit,
            team_service.get_member(audit, form.chosen_member_id()),
            form.exception.data or "",
            actor=current_user,
        ),
    ):
        flash(f"Impartiality exception recorded for {done.value.user.name}.", "success")
        return redirect(url_for("planning.team", audit_id=audit.id))
    return _team_page(audit, exception_form=form), form_status(form)


@bp.post("/<int:audit_id>/team/<int:member_id>/remove")
@require_role(*PLANNERS)
def remove_member(audit_id: int, member_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    member = team_service.get_member(audit, member_id)
    name = member.user.name
    team_service.remove_member(audit, member, actor=current_user)
    flash(f"{name} removed from the team.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


@bp.post("/<int:audit_id>/declaration")
@require_role(*STAFF)
def declare(audit_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id)
    team_service.confirm_declaration(audit, actor=current_user)
    flash("Your declaration of independence is confirmed.", "success")
    return redirect(url_for("planning.agenda", audit_id=audit.id))


@bp.post("/<int:audit_id>/auditees")
@require_role(*PLANNERS)
def add_auditee(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = AuditeeForm(prefix="auditee")
    form.set_choices(audit)
    if done := form_action(form, lambda: team_service.add_auditee(audit, actor=current_user, **form.to_kwargs())):
        flash(f"{done.value.name} added as an auditee representative.", "success")
        return redirect(url_for("planning.team", audit_id=audit.id))
    return _team_page(audit, auditee_form=form), form_status(form)


@bp.post("/<int:audit_id>/auditees/<int:auditee_id>/remove")
@require_role(*PLANNERS)
def remove_auditee(audit_id: int, auditee_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    team_service.remove_auditee(audit, auditee_id, actor=current_user)
    flash("Auditee representative removed.", "success")
    return redirect(url_for("planning.team", audit_id=audit.id))


# --- Agenda ------------------------------------------------------------------------------------------------------


@bp.route("/<int:audit_id>/agenda")
@require_role()
def agenda(audit_id: int) -> str:
    audit = agenda_service.load_sessions(access.load_audit(current_user, audit_id))
    staff = current_user.role is not Role.AUDITEE
    own = access.membership(current_user, audit)
    return render_template(
        "planning/agenda.html",
        audit=audit,
        conflicts=agenda_service.conflicts_for(audit) if staff else None,
        conflict_labels=CONFLICT_LABELS,
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=lifecycle.lock_message(audit, "agenda"),
        to_declare=own if own is not None and not own.has_declared and audit.is_open else None,
        declaration=INDEPENDENCE_DECLARATION,
    )


def _session_form(audit_id: int, session_id: int | None) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    session = agenda_service.get_session(audit, session_id) if session_id is not None else None
    form = SessionForm(obj=session)
    form.set_choices(audit)
    if not form.is_submitted():
        if session is not None:
            form.fill_from(session)
        else:
            form.day.data = audit.start_date
    if done := form_action(
        form, lambda: agenda_service.save_session(audit, form.to_data(), actor=current_user, session=session)
    ):
        flash(f"Session {done.value.title} saved. Check the conflicts below.", "success")
        return redirect(url_for("planning.agenda", audit_id=audit.id))
    return render_form(
        "planning/session_form.html", form, audit=audit, session=session, locked=lifecycle.lock_message(audit, "agenda")
    )


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
def delete_session(audit_id: int, session_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    session = agenda_service.get_session(audit, session_id)
    title = session.title
    agenda_service.delete_session(audit, session, actor=current_user)
    flash(f"Session {title} removed from the agenda.", "success")
    return redirect(url_for("planning.agenda", audit_id=audit.id))


# --- Opening and closing meetings --------------------------------------------------------------------------------


@bp.route("/<int:audit_id>/meetings/<string:kind>", methods=["GET", "POST"])
@require_role(*PLANNERS)
def meeting(audit_id: int, kind: str) -> Page:
    meeting_kind = next((k for k in MeetingKind if k.value == kind), None)
    if meeting_kind is None:
        raise NotFound(f"There is no {kind[:20]!r} meeting.")
    audit = access.load_audit(current_user, audit_id, _change_need())
    form = MeetingForm()
    form.prepare(meeting_kind, meetings.get_meeting(audit, meeting_kind))
    if form_action(form, lambda: meetings.record_meeting(audit, meeting_kind, form.to_data(), actor=current_user)):
        flash(f"{meeting_kind.label} recorded.", "success")
        return redirect(url_for("planning.meeting", audit_id=audit.id, kind=meeting_kind.value))
    return render_form(
        "planning/meeting.html",
        form,
        audit=audit,
        kind=meeting_kind,
        recorded=meetings.get_meeting(audit, meeting_kind),
        can_manage=access.may(current_user, audit, Need.MANAGE),
        locked=lifecycle.lock_message(audit, "meetings"),
    )
