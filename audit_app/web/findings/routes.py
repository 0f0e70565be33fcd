"""Drafting, reviewing and issuing findings: the audit's findings, new findings (in an audit, outside one, from an
evaluated sample), the finding page, edit, regrade, merge, quality-flag overrides and the generic move button.

Each view loads the finding through the finding policy (an invisible finding is missing: 404), calls one service
and redirects; refusals come back on the form or the finding page and change nothing (the pipeline commits only
answers below 400).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import ALL_ROLES, WORKERS, require_role
from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Finding, Role
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.findings import flow, from_samples, merging, policy, quality, records
from audit_app.services.findings import pages as reading
from audit_app.services.findings.grades import choices as grade_choices
from audit_app.services.paging import PageRequest
from audit_app.services.sampling import samples as sample_service
from audit_app.web.findings import FINDING, FORM, GET, POST, bp
from audit_app.web.findings.finding_page import MOVES, Page, detail_page, programmes, set_form_choices, template_helpers
from audit_app.web.findings.forms import (
    FindingForm,
    MergeForm,
    MoveForm,
    OutsideFindingForm,
    OverrideForm,
    RegradeForm,
)
from audit_app.web.forms import form_action, refusal_of, render_form

REVIEWERS = (Role.ADMIN, Role.LEAD_AUDITOR)
#: Who may answer for a finding or work on it (management only reads).
MOVERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.AUDITEE)
View = Page | Response


def finding_url(finding: Finding) -> str:
    return url_for("findings.detail", finding_id=finding.id)


def ensure_current(finding: Finding, version: str | None) -> None:
    """A form built from an older version of the finding changes nothing."""
    if version and version.strip() != str(finding.version):
        raise ChangedMeanwhile(
            "The finding changed since you opened this form, so nothing was saved. Reload it and try again."
        )


# --- lists and new findings -------------------------------------------------------------------------------------


@require_role(*ALL_ROLES)
def audit_findings(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.VIEW)
    page = reading.audit_findings(current_user, audit, PageRequest.from_args(request.args))
    manage = access.MANAGE.allows(current_user, audit)
    html = render_template(
        "findings/audit_findings.html",
        audit=audit,
        page=page,
        dues=reading.next_dues(page.items),
        may_raise=policy.may_raise_in(current_user, audit),
        possible_majors=quality.possible_majors(audit.id) if manage else {},
    )
    return html, 200


@require_role(*WORKERS)
def new_in_audit(audit_id: int) -> View:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    policy.ensure_may_raise_in(current_user, audit)
    form = FindingForm()
    if request.method == "GET" and (response_id := request.args.get("response_id", type=int)):
        picked = next((r for r in reading.audit_responses(audit) if r.id == response_id), None)
        if picked is not None:
            form.response_ids.data = [picked.id]
            form.clause_refs.data = [picked.item.ref] if picked.item.auditable else []
    set_form_choices(form, audit, audit.programme)
    if done := form_action(form, lambda: records.create_in_audit(audit, form.to_input(), actor=current_user)):
        db.session.flush()
        flash("Finding drafted. Check the quality section, then submit it for review.", "success")
        return redirect(finding_url(done.value))
    return render_form("findings/form.html", form, audit=audit, finding=None, outside=False, reason_needed=False)


@require_role(*WORKERS)
def new_outside() -> View:
    form = OutsideFindingForm()
    form.set_programmes(programmes())
    chosen = reading.programme(form.programme_id.data)
    set_form_choices(form, None, chosen)
    if chosen is None:
        form.grade.choices = grade_choices(None)
    if done := form_action(form, lambda: records.create_outside_audit(form.to_input(), actor=current_user)):
        db.session.flush()
        flash("Finding drafted. Check the quality section, then submit it for review.", "success")
        return redirect(finding_url(done.value))
    return render_form("findings/form.html", form, audit=None, finding=None, outside=True, reason_needed=False)


@require_role(*WORKERS)
def raise_from_sample(audit_id: int, sample_id: int) -> Response:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    policy.ensure_may_raise_in(current_user, audit)
    sample = sample_service.get_sample(audit, sample_id)
    finding = from_samples.raise_as_finding(sample, actor=current_user)
    db.session.flush()
    flash(f"Finding drafted from sample {sample.reference}: complete the requirement and check it.", "success")
    return redirect(url_for("findings.edit", finding_id=finding.id))


# --- the finding ------------------------------------------------------------------------------------------------


@require_role(*ALL_ROLES)
def detail(finding_id: int) -> Page:
    return detail_page(reading.load_for_page(policy.load_finding(current_user, finding_id)))


@require_role(*WORKERS)
def edit(finding_id: int) -> View:
    finding = policy.load_finding(current_user, finding_id)
    if blocker := records.edit_blocker(current_user, finding):
        raise Conflict(blocker)
    outside = finding.audit_id is None
    form = OutsideFindingForm() if outside else FindingForm()
    if isinstance(form, OutsideFindingForm):
        form.set_programmes(programmes())
    if request.method == "GET":
        form.fill(finding)
    set_form_choices(form, finding.audit, finding.programme)
    links = not outside

    def save() -> Finding:
        ensure_current(finding, form.version.data)
        return records.update(finding, form.to_input(links=links), actor=current_user, reason=form.reason.data or "")

    if form_action(form, save):
        flash("Finding saved.", "success")
        return redirect(finding_url(finding))
    return render_form(
        "findings/form.html",
        form,
        audit=finding.audit,
        finding=finding,
        outside=outside,
        reason_needed=records.needs_reason(finding),
    )


@require_role(*REVIEWERS)
def regrade(finding_id: int) -> View:
    finding = policy.load_finding(current_user, finding_id)
    policy.ensure_party(current_user, finding, policy.FindingParty.REVIEWER, refusal="Only the lead auditor regrades.")
    form = RegradeForm()
    form.grade.choices = grade_choices(finding.programme)
    if request.method == "GET":
        form.version.data = str(finding.version)
        form.grade.data = finding.grade
        form.grade_rationale.data = finding.grade_rationale

    def save() -> Finding:
        ensure_current(finding, form.version.data)
        return records.regrade(
            finding,
            form.grade.data or "",
            rationale=form.grade_rationale.data or "",
            actor=current_user,
            reason=form.reason.data or "",
        )

    if form_action(form, save):
        flash("Finding regraded.", "success")
        return redirect(finding_url(finding))
    return render_form("findings/regrade.html", form, finding=finding)


@require_role(*REVIEWERS)
def merge(finding_id: int) -> View:
    finding = policy.load_finding(current_user, finding_id)
    policy.ensure_party(current_user, finding, policy.FindingParty.REVIEWER, refusal="Only the lead auditor merges.")
    form = MergeForm()
    form.into.choices = [
        ("", "Choose a finding"),
        *((str(f.id), f.label + " " + f.title) for f in reading.merge_candidates(finding)),
    ]
    if request.method == "GET":
        form.version.data = str(finding.version)

    def save() -> Finding:
        ensure_current(finding, form.version.data)
        into = _merge_target(form.into.data)
        return merging.merge(finding, into, actor=current_user, reason=form.reason.data or "")

    if form_action(form, save):
        flash("Finding merged.", "success")
        return redirect(finding_url(finding))
    return render_form("findings/merge.html", form, finding=finding)


def _merge_target(value: str | None) -> Finding:
    try:
        return policy.load_finding(current_user, int(value or "0"))
    except (NotFound, ValueError):
        raise ValidationFailed.on("into", "Choose another open finding of the same audit.") from None


@require_role(*WORKERS)
def override(finding_id: int) -> View:
    finding = policy.load_finding(current_user, finding_id)
    form = OverrideForm()
    code = form.code.data or ""
    if form_action(
        form, lambda: records.override_flag(finding, code, reason=form.reason.data or "", actor=current_user)
    ):
        flash("Flag overridden; the reason is kept with the finding.", "success")
        return redirect(finding_url(finding) + "#quality")
    field_errors = [m for field in form for m in field.errors]
    message = "; ".join([*field_errors, *form.form_errors]) or "The flag was not overridden."
    return detail_page(finding, refusal=message, status=400 if field_errors else 409, override_form=form)


@require_role(*MOVERS)
def move(finding_id: int) -> View:
    finding = policy.load_finding(current_user, finding_id)
    form = MoveForm()
    action = form.action.data or ""
    if action not in MOVES:
        return detail_page(finding, refusal="Choose one of the moves offered on this page.", status=400)
    if not form.validate_on_submit():
        return detail_page(finding, refusal="The form expired or was sent twice. Please try again.", status=400)

    def act() -> Any:
        ensure_current(finding, form.version.data)
        return flow.act(finding, action, actor=current_user, reason=form.reason.data or "")

    try:
        refusal = refusal_of(act)
    except NotAllowed as exc:
        db.session.rollback()
        return detail_page(finding, refusal=str(exc), status=403)
    if refusal:
        db.session.refresh(finding)
        return detail_page(finding, refusal=refusal, status=409)
    db.session.flush()
    flash(f"{flow.ACTION_LABELS[action]}: done. The finding is now {finding.status.label.lower()}.", "success")
    return redirect(finding_url(finding))


bp.app_context_processor(template_helpers)
bp.add_url_rule("/audits/<int:audit_id>/findings", "audit_findings", audit_findings, methods=GET)
bp.add_url_rule("/audits/<int:audit_id>/findings/new", "new_in_audit", new_in_audit, methods=FORM)
bp.add_url_rule("/findings/new", "new_outside", new_outside, methods=FORM)
bp.add_url_rule(
    "/audits/<int:audit_id>/samples/<int:sample_id>/raise-finding", "raise_from_sample", raise_from_sample, methods=POST
)
bp.add_url_rule(FINDING, "detail", detail, methods=GET)
bp.add_url_rule(f"{FINDING}/edit", "edit", edit, methods=FORM)
bp.add_url_rule(f"{FINDING}/regrade", "regrade", regrade, methods=FORM)
bp.add_url_rule(f"{FINDING}/merge", "merge", merge, methods=FORM)
bp.add_url_rule(f"{FINDING}/overrides", "override", override, methods=POST)
bp.add_url_rule(f"{FINDING}/move", "move", move, methods=POST)
