"""Statement of Applicability pages under /soa/.

Staff and management read every version (drafts included); auditees get 403 everywhere. Admins and lead auditors
start drafts, edit entries, add their own controls and approve. Every form carries the version's revision: a form
opened before another change to the version is refused (409) and nothing is saved. The request pipeline commits.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import PLANNERS, STAFF, require_role
from audit_app.models.soa import SoaStatus, SoaVersion
from audit_app.services.soa import compare as compare_service
from audit_app.services.soa import export, status, versions
from audit_app.services.soa.export import SoaFile
from audit_app.web.forms import form_action, form_status, render_form
from audit_app.web.soa.forms import ApproveForm, CustomControlForm, EntryForm, StartDraftForm

bp = Blueprint("soa", __name__, url_prefix="/soa")

Page = str | Response | tuple[str, int]
FILTERS = {"all": "All controls", "incomplete": "Incomplete", "flagged": "Flagged justification"}


def _attachment(document: SoaFile) -> Response:
    response = send_file(
        io.BytesIO(document.data), mimetype=document.media_type, as_attachment=True, download_name=document.file_name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@require_role(*STAFF)
def index() -> Page:
    listed = versions.list_versions(current_user)
    return render_template(
        "soa/index.html",
        versions=listed,
        draft=next((v for v in listed if v.status is SoaStatus.DRAFT), None),
        may_edit=versions.may_edit(current_user),
        start_form=StartDraftForm(formdata=None),
    )


@bp.post("/draft")
@require_role(*PLANNERS)
def start_draft() -> Page:
    form = StartDraftForm()
    if done := form_action(form, lambda: versions.start_draft(current_user)):
        flash(f"Version {done.value.number} started as a draft.", "success")
        return redirect(url_for("soa.version", soa_id=done.value.id))
    listed = versions.list_versions(current_user)
    return render_template(
        "soa/index.html",
        versions=listed,
        draft=next((v for v in listed if v.status is SoaStatus.DRAFT), None),
        may_edit=True,
        start_form=form,
    ), form_status(form)


def _version_page(version: SoaVersion, *, custom_form: CustomControlForm | None = None) -> Page:
    shown = request.args.get("show", "all")
    if shown not in FILTERS:
        shown = "all"
    entries = versions.entries_of(version)
    result = status.completeness(version)
    gaps, flagged = dict(result.incomplete), dict(result.flagged)
    if shown == "incomplete":
        entries = [e for e in entries if e.control_ref in gaps]
    elif shown == "flagged":
        entries = [e for e in entries if e.control_ref in flagged]
    editable = versions.may_edit(current_user) and version.status is SoaStatus.DRAFT
    if editable and custom_form is None:
        custom_form = CustomControlForm(formdata=None, prefix="custom")
        custom_form.revision.data = str(version.revision)
    others = [v for v in versions.list_versions(current_user) if v.id != version.id]
    return render_template(
        "soa/version.html",
        version=version,
        entries=entries,
        result=result,
        gaps=gaps,
        flagged=flagged,
        shown=shown,
        filters=FILTERS,
        editable=editable,
        custom_form=custom_form,
        others=others,
    ), form_status(custom_form) if custom_form is not None else 200


@bp.get("/<int:soa_id>")
@require_role(*STAFF)
def version(soa_id: int) -> Page:
    return _version_page(versions.get_version(current_user, soa_id))


@bp.route("/<int:soa_id>/entries/<int:soa_entry_id>", methods=["GET", "POST"])
@require_role(*PLANNERS)
def entry(soa_id: int, soa_entry_id: int) -> Page:
    soa = versions.get_version(current_user, soa_id)
    item = versions.get_entry(current_user, soa, soa_entry_id)
    versions.ensure_edit(current_user)
    if soa.status is not SoaStatus.DRAFT:
        if request.method == "POST":
            abort(409)
        return redirect(url_for("soa.version", soa_id=soa.id, _anchor=f"entry-{item.id}"))
    form = EntryForm(prefix="entry") if request.method == "POST" else EntryForm(formdata=None, prefix="entry")
    form.set_choices(versions.units(), versions.systems())
    if request.method == "GET":
        form.fill(soa, item)
    if form_action(
        form, lambda: versions.update_entry(current_user, soa, item, form.to_input(), revision=form.opened_revision)
    ):
        flash(f"{item.control_ref} saved.", "success")
        return redirect(url_for("soa.version", soa_id=soa.id, _anchor=f"entry-{item.id}"))
    reason = status.justification_flag(item.justification) if item.justification.strip() else None
    return render_form("soa/entry.html", form, version=soa, entry=item, flag=reason)


@bp.post("/<int:soa_id>/controls")
@require_role(*PLANNERS)
def add_control(soa_id: int) -> Page:
    soa = versions.get_version(current_user, soa_id)
    form = CustomControlForm(prefix="custom")
    if done := form_action(
        form,
        lambda: versions.add_custom(
            current_user, soa, form.control_ref.data or "", form.title.data or "", revision=form.opened_revision
        ),
    ):
        flash(f"{done.value.control_ref} added.", "success")
        return redirect(url_for("soa.entry", soa_id=soa.id, soa_entry_id=done.value.id))
    return _version_page(soa, custom_form=form)


@bp.route("/<int:soa_id>/approve", methods=["GET", "POST"])
@require_role(*PLANNERS)
def approve(soa_id: int) -> Page:
    soa = versions.get_version(current_user, soa_id)
    versions.ensure_edit(current_user)
    if soa.status is not SoaStatus.DRAFT:
        return redirect(url_for("soa.version", soa_id=soa.id))
    form = ApproveForm(prefix="approve") if request.method == "POST" else ApproveForm(formdata=None, prefix="approve")
    if request.method == "GET":
        form.revision.data = str(soa.revision)
    if form_action(
        form,
        lambda: versions.approve(
            current_user,
            soa,
            change_note=form.change_note.data or "",
            confirmed=bool(form.confirm.data),
            revision=form.opened_revision,
        ),
    ):
        flash(f"Version {soa.number} approved. It is now frozen.", "success")
        return redirect(url_for("soa.version", soa_id=soa.id))
    check = versions.approval_check(soa)
    return render_form(
        "soa/approve.html", form, version=soa, check=check, needs_note=soa.number > 1 and soa.based_on_id is not None
    )


@bp.get("/compare")
@require_role(*STAFF)
def compare() -> Page:
    old_id = request.args.get("old", type=int)
    new_id = request.args.get("new", type=int)
    if old_id is None or new_id is None:
        abort(400)
    old = versions.get_version(current_user, old_id)
    new = versions.get_version(current_user, new_id)
    return render_template("soa/compare.html", old=old, new=new, changes=compare_service.compare(old, new))


@bp.get("/<int:soa_id>/export.docx")
@require_role(*STAFF)
def export_word(soa_id: int) -> Response:
    soa = versions.get_version(current_user, soa_id)
    return _attachment(export.word(current_user, soa))


@bp.get("/<int:soa_id>/export.xlsx")
@require_role(*STAFF)
def export_xlsx(soa_id: int) -> Response:
    soa = versions.get_version(current_user, soa_id)
    return _attachment(export.workbook(current_user, soa))
