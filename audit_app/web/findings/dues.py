"""Due dates and extension requests on the finding page: the auditee asks to move a date, the reviewer decides.

Each view loads the finding through the access policy, checks the user's part and the request's state (403 and
409 pages), runs one service call and goes back to the finding page; refused input comes back on the form page
(400). The panel of the finding page (templates/findings/_dues.html) reads `due_panel(finding, user)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from audit_app.authz import require_role
from audit_app.extensions import db
from audit_app.models import ActionStatus, CorrectiveAction, DueDate, DueExtension, Finding, Role, User
from audit_app.services.findings import dues, extensions, flow
from audit_app.services.findings.policy import load_finding
from audit_app.web.findings import FINDING, FORM, bp
from audit_app.web.findings.dues_forms import ExtensionDecisionForm, ExtensionRequestForm
from audit_app.web.forms import form_action, render_form

Page = Response | tuple[str, int]
#: Auditees ask (the unit's people, the process owner, action owners); the reviewer decides.
ASKERS = (Role.AUDITEE,)
DECIDERS = (Role.ADMIN, Role.LEAD_AUDITOR)


def finding_url(finding: Finding) -> str:
    if "findings.detail" in current_app.view_functions:
        return url_for("findings.detail", finding_id=finding.id, _anchor="dues")
    return url_for("main.index")


def _page(form: ExtensionRequestForm | ExtensionDecisionForm, finding: Finding, title: str, **context: object) -> Page:
    return render_form(
        "findings/extension_form.html", form, finding=finding, title=title, back=finding_url(finding), **context
    )


@require_role(*ASKERS)
def request_extension(finding_id: int, due_id: int) -> Page:
    finding = load_finding(current_user, finding_id)
    due = extensions.ensure_may_request(current_user, finding, extensions.get_due(finding, due_id))
    form = ExtensionRequestForm()
    if form_action(form, lambda: extensions.request_extension(finding, due, form.to_input(), actor=current_user)):
        flash("Your request is recorded; the lead auditor will decide on it.", "success")
        return redirect(finding_url(finding))
    return _page(form, finding, f"Ask to move the date: {due.step.label}", what=due.step.label, current=due.due_on)


@require_role(*ASKERS)
def request_action_extension(finding_id: int, action_id: int) -> Page:
    finding = load_finding(current_user, finding_id)
    action = extensions.get_action(finding, action_id)
    extensions.ensure_may_request(current_user, finding, None, action)
    form = ExtensionRequestForm()
    if form_action(
        form, lambda: extensions.request_extension(finding, None, form.to_input(), actor=current_user, action=action)
    ):
        flash("Your request is recorded; the lead auditor will decide on it.", "success")
        return redirect(finding_url(finding))
    what = f"Action: {action.description}"
    return _page(form, finding, "Ask to move an action's due date", what=what, current=action.due_on)


@require_role(*DECIDERS)
def decide_extension(finding_id: int, extension_id: int) -> Page:
    finding = load_finding(current_user, finding_id)
    extension = extensions.get_extension(finding, extension_id)
    extensions.ensure_may_decide(current_user, extension)
    form = ExtensionDecisionForm()

    def decide() -> DueExtension:
        return extensions.decide(extension, approve=form.approves, actor=current_user, reason=form.reason.data or "")

    if done := form_action(form, decide):
        flash(f"The request is {done.value.status.label.lower()}.", "success")
        return redirect(finding_url(finding))
    action = extensions.get_action(finding, extension.action_id) if extension.action_id is not None else None
    what = f"Action: {action.description}" if action is not None else extension.due.step.label
    current = action.due_on if action is not None else extension.due.due_on
    return _page(form, finding, "Decide on an extension request", extension=extension, what=what, current=current)


bp.add_url_rule(f"{FINDING}/dues/<int:due_id>/extension", view_func=request_extension, methods=FORM)
bp.add_url_rule(f"{FINDING}/actions/<int:action_id>/extension", view_func=request_action_extension, methods=FORM)
bp.add_url_rule(f"{FINDING}/extensions/<int:extension_id>", view_func=decide_extension, methods=FORM)


# --- the panel on the finding page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    due: DueDate
    overdue: bool
    pending: DueExtension | None
    may_request: bool


@dataclass(frozen=True)
class ActionRow:
    action: CorrectiveAction
    overdue: bool
    pending: DueExtension | None
    may_request: bool


@dataclass(frozen=True)
class DuePanel:
    today: date
    rows: list[DueRow]
    actions: list[ActionRow]
    #: Every extension request of the finding, newest first.
    requests: list[DueExtension]
    may_decide: bool
    #: What each request is about: the step or the action.
    subjects: dict[int, str]


@bp.app_template_global()
def due_panel(finding: Finding, user: User) -> DuePanel:
    """The finding's due dates of the current cycle, its planned actions and extension requests (bounded queries)."""
    today = dues.today()
    loaded = list(
        db.session.scalars(
            sa.select(DueDate)
            .where(DueDate.finding_id == finding.id)
            .options(
                selectinload(DueDate.extensions).selectinload(DueExtension.requested_by),
                selectinload(DueDate.extensions).selectinload(DueExtension.decided_by),
            )
            .order_by(DueDate.cycle, DueDate.due_on, DueDate.id)
        )
    )
    live = {d.id for d in dues.live(finding)}
    rows = [
        DueRow(d, d.id in live and d.due_on < today, extensions.pending(d), extensions.may_request(user, finding, d))
        for d in loaded
        if d.cycle == finding.cycle
    ]
    anchor = extensions.anchor(finding)
    actions = [
        ActionRow(
            a,
            a.due_on < today,
            extensions.pending(anchor, a.id) if anchor is not None else None,
            extensions.may_request(user, finding, None, a),
        )
        for a in flow.current_actions(finding)
        if a.status is ActionStatus.PLANNED
    ]
    requests = sorted((e for d in loaded for e in d.extensions), key=lambda e: e.id, reverse=True)
    names = {a.id: a.description for a in finding.actions}
    subjects = {
        e.id: (f"Action: {names.get(e.action_id, '')}" if e.action_id is not None else e.due.step.label)
        for e in requests
    }
    return DuePanel(today, rows, actions, requests, extensions.may_decide(user, finding), subjects)
