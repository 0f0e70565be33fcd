"""Audit pages for preparation (risks, document review), the fieldwork confirmation and the conclusions.

Registered on the audits blueprint by `register(bp)` from routes.py.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.models import Audit, AuditStatus
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.planning import conclusions, lifecycle, preparation
from audit_app.web.audits.work_forms import FULFILMENTS, ConferenceForm, ConfirmFieldworkForm, DocumentForm, RiskForm
from audit_app.web.forms import form_action, form_status, refusal_of, show_all_errors

Page = str | Response | tuple[str, int]


def _preparation_page(audit: Audit, risk_form: RiskForm, document_form: DocumentForm) -> tuple[str, int]:
    status = max(form_status(risk_form), form_status(document_form))
    page = render_template(
        "audits/preparation.html",
        audit=audit,
        risks=preparation.risks(audit),
        documents=preparation.documents(audit),
        risk_form=risk_form,
        document_form=document_form,
        manage=access.may(current_user, audit, Need.MANAGE),
        locked=lifecycle.lock_message(audit, "preparation"),
    )
    return page, status


@require_role(*STAFF)
def preparation_page(audit_id: int) -> tuple[str, int]:
    """The audit's risks and the documents reviewed before fieldwork (the team's working papers)."""
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    return _preparation_page(audit, RiskForm(formdata=None), DocumentForm(formdata=None))


@require_role(*PLANNERS)
def add_risk(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = RiskForm()
    if form_action(
        form, lambda: preparation.save_risk(audit, form.to_data(), actor=current_user), show=show_all_errors
    ):
        flash("Risk recorded.", "success")
        return redirect(url_for("audits.preparation_page", audit_id=audit.id) + "#risks")
    return _preparation_page(audit, form, DocumentForm(formdata=None))


@require_role(*PLANNERS)
def remove_risk(audit_id: int, risk_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    risk = preparation.get_risk(audit, risk_id)
    refusal = refusal_of(lambda: preparation.remove_risk(audit, risk, actor=current_user))
    flash(refusal or "Risk removed (it stays in the activity trail).", "error" if refusal else "success")
    return redirect(url_for("audits.preparation_page", audit_id=audit.id) + "#risks")


@require_role(*PLANNERS)
def add_document(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = DocumentForm()
    if form_action(
        form, lambda: preparation.save_document(audit, form.to_data(), actor=current_user), show=show_all_errors
    ):
        flash("Document review recorded.", "success")
        return redirect(url_for("audits.preparation_page", audit_id=audit.id) + "#documents")
    return _preparation_page(audit, RiskForm(formdata=None), form)


@require_role(*PLANNERS)
def remove_document(audit_id: int, review_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    review = preparation.get_document(audit, review_id)
    refusal = refusal_of(lambda: preparation.remove_document(audit, review, actor=current_user))
    flash(refusal or "Document review removed (it stays in the activity trail).", "error" if refusal else "success")
    return redirect(url_for("audits.preparation_page", audit_id=audit.id) + "#documents")


@require_role(*PLANNERS)
def confirm_fieldwork(audit_id: int) -> Page:
    """What freezes and every open warning, confirmed before fieldwork starts."""
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = ConfirmFieldworkForm()
    if form_action(
        form,
        lambda: lifecycle.transition(audit, AuditStatus.FIELDWORK, actor=current_user, confirm_warnings=True),
    ):
        flash(f"Audit {audit.reference} moved to fieldwork.", "success")
        return redirect(url_for("audits.detail", audit_id=audit.id))
    page = render_template(
        "audits/confirm_fieldwork.html",
        audit=audit,
        form=form,
        freezes=lifecycle.FREEZES_AT_FIELDWORK,
        warnings=lifecycle.fieldwork_warnings(audit),
        blockers=lifecycle.gate_blockers(audit, AuditStatus.FIELDWORK),
        in_preparation=audit.status is AuditStatus.PREPARATION,
    )
    return page, form_status(form)


def _conclusions_page(audit: Audit, form: ConferenceForm, posted: MultiDict[str, str] | None) -> tuple[str, int]:
    conference = conclusions.get_conference(audit)
    page = render_template(
        "audits/conclusions.html",
        audit=audit,
        done=conclusions.achievement(audit),
        conference=conference,
        given={a.area: a for a in conference.areas} if conference is not None else {},
        posted=posted,
        form=form,
        fulfilments=FULFILMENTS,
        manage=access.may(current_user, audit, Need.MANAGE),
        blockers=conclusions.reporting_blockers(audit) if audit.status is AuditStatus.FIELDWORK else [],
        locked=lifecycle.lock_message(audit, "conclusions"),
    )
    return page, form_status(form)


@require_role(*STAFF)
def conclusions_page(audit_id: int) -> tuple[str, int]:
    """Planned against achieved, and the team conference with the audit conclusion."""
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    return _conclusions_page(audit, ConferenceForm(formdata=None, obj=conclusions.get_conference(audit)), None)


@require_role(*PLANNERS)
def record_conference(audit_id: int) -> Page:
    """Record or change the team conference (the lead auditor or an administrator)."""
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = ConferenceForm()
    areas = [a.key for a in conclusions.achievement(audit).areas]
    if form_action(
        form,
        lambda: conclusions.save_conference(audit, form.to_data(areas, request.form), actor=current_user),
        show=show_all_errors,
    ):
        flash("Team conference recorded.", "success")
        return redirect(url_for("audits.conclusions_page", audit_id=audit.id))
    return _conclusions_page(audit, form, request.form)


def register(bp: Blueprint) -> None:
    """Add these pages to the audits blueprint."""
    bp.add_url_rule("/<int:audit_id>/preparation", view_func=preparation_page)
    bp.add_url_rule("/<int:audit_id>/preparation/risks", view_func=add_risk, methods=["POST"])
    bp.add_url_rule("/<int:audit_id>/preparation/risks/<int:risk_id>/remove", view_func=remove_risk, methods=["POST"])
    bp.add_url_rule("/<int:audit_id>/preparation/documents", view_func=add_document, methods=["POST"])
    bp.add_url_rule(
        "/<int:audit_id>/preparation/documents/<int:review_id>/remove", view_func=remove_document, methods=["POST"]
    )
    bp.add_url_rule("/<int:audit_id>/fieldwork", view_func=confirm_fieldwork, methods=["GET", "POST"])
    bp.add_url_rule("/<int:audit_id>/conclusions", view_func=conclusions_page)
    bp.add_url_rule("/<int:audit_id>/conclusions", view_func=record_conference, methods=["POST"])
