"""The auditee's answer and the corrective-action loop on the web: dispute and its answer, the plan of the current
cycle and its actions, implementation with files, verification, effectiveness review, consideration of an
observation or OFI, and CAPA file downloads.

Each view loads the finding through the visibility rule (another unit's finding is missing: 404), checks on GET
that the user may make this move now (the services check again on POST), calls one service and redirects to the
finding page; input the services refuse comes back on the form (400, nothing stored). The generic moves
(acknowledge, submit the plan, accept or return it, mark implemented, close) are the finding page's buttons.
The partials templates/findings/_dispute.html and _capa.html show this area on the finding page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import Conflict, NotFound
from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    CapaFile,
    Consideration,
    CorrectiveAction,
    FilePurpose,
    Finding,
    Role,
)
from audit_app.services.findings import capa, disputes, flow, policy, portal
from audit_app.services.findings.policy import FindingParty
from audit_app.web.findings import FINDING, FORM, GET, bp
from audit_app.web.findings.capa_forms import (
    ActionForm,
    CancelActionForm,
    CapaForm,
    ConsiderForm,
    DisputeAnswerForm,
    DisputeForm,
    EffectivenessForm,
    ImplementationForm,
    PlanForm,
    VerifyForm,
    owner_choices,
    read_uploads,
    show_action_errors,
)
from audit_app.web.findings.capa_view import capa_view
from audit_app.web.forms import form_action, render_form

Page = WerkzeugResponse | tuple[str, int]
AUDITEE = (Role.AUDITEE,)
REVIEWERS = (Role.ADMIN, Role.LEAD_AUDITOR)


def finding_url(finding: Finding, anchor: str = "capa") -> str:
    """The finding page, at this area's section."""
    return url_for("findings.detail", finding_id=finding.id, _anchor=anchor)


def _load(finding_id: int) -> Finding:
    return policy.load_finding(current_user, finding_id)


def _offered(finding: Finding, action: str, *wanted: FindingParty, refusal: str) -> None:
    """Refuse a form page the user may not use now: not their part (403), or not in this state (409)."""
    policy.ensure_party(current_user, finding, *wanted, refusal=refusal)
    if flow.FLOW.find(finding.status, action) is None:
        raise Conflict(f"Not while the finding is {finding.status.label.lower()}.")


def _page(
    form: CapaForm, finding: Finding, title: str, intro: str = "", *, verifying: bool = False, **context: Any
) -> Page:
    if verifying and policy.owns_current_action(current_user, finding):
        # Shown on the form itself (403), so the verifier reads why and whom to ask.
        form.form_errors.append(INDEPENDENCE)
        return _render(form, finding, title, intro, **context)[0], 403
    return _render(form, finding, title, intro, **context)


def _render(form: CapaForm, finding: Finding, title: str, intro: str = "", **context: Any) -> tuple[str, int]:
    return render_form(
        "findings/capa_form.html",
        form,
        finding=finding,
        title=title,
        intro=intro,
        back=finding_url(finding),
        **context,
    )


# --- the dispute ---------------------------------------------------------------------------------------------------

OWNER_ONLY = "Only the auditee unit's people or the process owner answer this finding."
REVIEWER_ONLY = "Only the audit's lead auditor or an administrator answers a dispute."


@require_role(*AUDITEE)
def dispute(finding_id: int) -> Page:
    finding = _load(finding_id)
    _offered(finding, "dispute", FindingParty.OWNER, refusal=OWNER_ONLY)
    form = DisputeForm()
    if form_action(form, lambda: disputes.dispute(finding, reason=form.reason.data or "", actor=current_user)):
        flash("Your dispute is recorded; the lead auditor will answer it.", "success")
        return redirect(finding_url(finding, "dispute"))
    return _page(form, finding, "Dispute the finding")


@require_role(*REVIEWERS)
def answer_dispute(finding_id: int) -> Page:
    finding = _load(finding_id)
    _offered(finding, "maintain", FindingParty.REVIEWER, refusal=REVIEWER_ONLY)
    form = DisputeAnswerForm()
    form.use_grades(finding)

    def answer() -> object:
        reason = form.reason.data or ""
        if form.answer.data == "maintain":
            return disputes.maintain(finding, reason=reason, actor=current_user)
        if form.answer.data == "withdraw":
            return disputes.accept(finding, reason=reason, actor=current_user, withdraw=True)
        return disputes.accept(
            finding, reason=reason, actor=current_user, grade=form.grade.data or None, rationale=form.rationale.data
        )

    if form_action(form, answer):
        flash("The dispute is answered.", "success")
        return redirect(finding_url(finding, "dispute"))
    return _page(form, finding, "Answer the dispute", dispute=disputes.open_dispute(finding))


# --- the plan and its actions --------------------------------------------------------------------------------------


def _planning(finding: Finding) -> None:
    _offered(finding, "submit_plan", FindingParty.OWNER, refusal=OWNER_ONLY)


@require_role(*AUDITEE)
def plan(finding_id: int) -> Page:
    finding = _load(finding_id)
    _planning(finding)
    form = PlanForm() if request.method == "POST" else PlanForm.for_plan(finding)
    if form_action(form, lambda: capa.save_plan(finding, form.to_data(), actor=current_user)):
        flash("The plan is saved. Add its actions, then submit it to the lead auditor.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, f"Corrective-action plan, cycle {finding.cycle}")


@require_role(*AUDITEE)
def new_action(finding_id: int) -> Page:
    finding = _load(finding_id)
    _planning(finding)
    form = ActionForm()
    form.owner.choices = owner_choices()
    if form_action(form, lambda: capa.add_action(finding, form.to_data(), actor=current_user), show=show_action_errors):
        flash("The action is added to the plan.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Add a corrective action")


def _action(finding: Finding, action_id: int) -> CorrectiveAction:
    action = capa.get_action(finding, action_id)
    if action.cycle != finding.cycle or action.status is not ActionStatus.PLANNED:
        raise Conflict("Only planned actions of the current cycle are changed.")
    return action


@require_role(*AUDITEE)
def edit_action(finding_id: int, action_id: int) -> Page:
    finding = _load(finding_id)
    _planning(finding)
    action = _action(finding, action_id)
    if request.method == "POST":
        form = ActionForm()
    else:
        form = ActionForm(description=action.description, owner=str(action.owner_id or ""), due_on=action.due_on)
    form.owner.choices = owner_choices()
    if form_action(form, lambda: capa.edit_action(action, form.to_data(), actor=current_user), show=show_action_errors):
        flash("The action is changed.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Change the corrective action")


@require_role(*AUDITEE)
def cancel_action(finding_id: int, action_id: int) -> Page:
    finding = _load(finding_id)
    _planning(finding)
    action = _action(finding, action_id)
    form = CancelActionForm()
    if form_action(form, lambda: capa.cancel_action(action, reason=form.reason.data or "", actor=current_user)):
        flash("The action is cancelled (kept in the record, marked cancelled).", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Cancel the corrective action", intro=action.description)


# --- implementation, verification, effectiveness ------------------------------------------------------------------


@require_role(*AUDITEE)
def implementation(finding_id: int, action_id: int) -> Page:
    finding = _load(finding_id)
    action = capa.get_action(finding, action_id)
    if action.owner_id != current_user.id:
        policy.ensure_party(
            current_user,
            finding,
            FindingParty.OWNER,
            refusal="Only the action's owner or the auditee unit records its implementation.",
        )
    _offered(finding, "mark_implemented", FindingParty.OWNER, FindingParty.ACTION_OWNER, refusal=OWNER_ONLY)
    form = ImplementationForm()
    if form_action(
        form,
        lambda: capa.record_implementation(
            action, note=form.note.data or "", actor=current_user, files=read_uploads(form.files)
        ),
    ):
        flash("The implementation is recorded.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Record the implementation", intro=action.description)


AUDITORS_ONLY = "Only the audit's auditors verify corrective action."
INDEPENDENCE = "The verifier must not be an action owner: ask another auditor to verify this finding."


@require_role(*WORKERS)
def verify(finding_id: int) -> Page:
    finding = _load(finding_id)
    _offered(finding, "verify_implementation", FindingParty.RAISER, FindingParty.REVIEWER, refusal=AUDITORS_ONLY)
    form = VerifyForm()
    if not policy.owns_current_action(current_user, finding) and form_action(
        form, lambda: capa.verify_implementation(finding, note=form.note.data or "", actor=current_user)
    ):
        flash("The implementation is verified. The effectiveness review follows.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Verify the implementation", verifying=True)


@require_role(*WORKERS)
def effectiveness(finding_id: int) -> Page:
    finding = _load(finding_id)
    _offered(finding, "close_effective", FindingParty.RAISER, FindingParty.REVIEWER, refusal=AUDITORS_ONLY)
    form = EffectivenessForm()

    def review() -> Finding:
        reason = form.reason_value()
        for name, content in read_uploads(form.files):
            capa.add_file(finding, name, content, purpose=FilePurpose.EFFECTIVENESS, actor=current_user)
        return capa.review_effectiveness(
            finding,
            effective=form.is_effective(),
            review=form.review.data or "",
            evidence=form.evidence.data or "",
            actor=current_user,
            reason=reason,
        )

    if not policy.owns_current_action(current_user, finding) and form_action(form, review):
        closed = finding.is_final
        flash("Closed: effective." if closed else f"Not effective: cycle {finding.cycle} starts.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Review effectiveness", verifying=True)


# --- observations and OFIs; files ----------------------------------------------------------------------------------


@require_role(*AUDITEE)
def consider(finding_id: int) -> Page:
    finding = _load(finding_id)
    _offered(finding, "consider", FindingParty.OWNER, refusal=OWNER_ONLY)
    form = ConsiderForm()
    if form_action(
        form,
        lambda: capa.consider(
            finding, outcome=Consideration(form.outcome.data), note=form.note.data or "", actor=current_user
        ),
    ):
        flash("Your consideration is recorded.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, "Record your consideration")


@require_role(*STAFF, Role.AUDITEE)
def download(finding_id: int, capa_file_id: int) -> Response:
    finding = _load(finding_id)
    record = db.session.get(CapaFile, capa_file_id) if 0 < capa_file_id <= policy.MAX_ID else None
    if record is None or record.finding_id != finding.id:
        raise NotFound("That file is not part of this finding.")
    handle = capa.open_file(record, actor=current_user)
    response = send_file(handle, mimetype=record.content_type, as_attachment=True, download_name=record.name)
    response.headers["Cache-Control"] = "no-store"
    return response


bp.add_url_rule(f"{FINDING}/dispute", "dispute", dispute, methods=FORM)
bp.add_url_rule(f"{FINDING}/dispute/answer", "answer_dispute", answer_dispute, methods=FORM)
bp.add_url_rule(f"{FINDING}/plan", "plan", plan, methods=FORM)
bp.add_url_rule(f"{FINDING}/actions/new", "new_action", new_action, methods=FORM)
bp.add_url_rule(f"{FINDING}/actions/<int:action_id>", "edit_action", edit_action, methods=FORM)
bp.add_url_rule(f"{FINDING}/actions/<int:action_id>/cancel", "cancel_action", cancel_action, methods=FORM)
bp.add_url_rule(f"{FINDING}/actions/<int:action_id>/implementation", "implementation", implementation, methods=FORM)
bp.add_url_rule(f"{FINDING}/verification", "verify", verify, methods=FORM)
bp.add_url_rule(f"{FINDING}/effectiveness", "effectiveness", effectiveness, methods=FORM)
bp.add_url_rule(f"{FINDING}/consideration", "consider", consider, methods=FORM)
bp.add_url_rule(f"{FINDING}/files/<int:capa_file_id>", "capa_file", download, methods=GET)
bp.add_app_template_global(capa_view, "capa_view")
bp.add_app_template_global(portal.diverging_for, "diverging_for")
