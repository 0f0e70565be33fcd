"""Fieldwork: the working checklist, results per item, evidence entries and files.

Each view loads the audit with the access it needs (the team's working papers to read; an auditing role during
fieldwork before any input is read), calls one service and redirects; the request pipeline commits and answers
refusals (403, 404, 409 on its refused page). Input the services refuse comes back on the item page, next to the
field or file it concerns (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit, ChecklistResponse, Evidence, Role
from audit_app.models.fieldwork import DERIVATION_ORDER
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.fieldwork import evidence, responses, verdicts, working
from audit_app.web.fieldwork.forms import BY_SUBJECT_LABEL, EvidenceForm, FileForm, ResponseForm
from audit_app.web.forms import form_action, form_status, show_errors

bp = Blueprint("fieldwork", __name__, url_prefix="/audits")

Page = str | Response | tuple[str, int]

VIEWS = {
    "all": "All items",
    "not_assessed": "Not yet assessed",
    "nonconformities": "Nonconformities",
    "mine": "Mine",
}
EVIDENCE_HINTS = {
    "documents": "Documents to review",
    "records": "Records to sample",
    "interviews": "People to interview (by role)",
    "observations": "Things to observe or test",
}


def _filesize(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    kilobytes = size / 1024
    return f"{kilobytes:.1f} KB" if kilobytes < 1024 else f"{kilobytes / 1024:.1f} MB"


@bp.app_context_processor
def _fieldwork_links() -> dict[str, Any]:
    """Lets any page (e.g. the audit overview) ask whether to link to the working checklist."""
    return {"can_view_fieldwork": lambda user, audit: access.may(user, audit, Need.WORKING_PAPERS)}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "filesize": _filesize,
        "views": VIEWS,
        "evidence_hints": EVIDENCE_HINTS,
        "by_subject_label": BY_SUBJECT_LABEL,
        "derivation": [r.label.lower() for r in DERIVATION_ORDER],
    }


# --- The working checklist --------------------------------------------------------------------------------------


@bp.get("/<int:audit_id>/checklist")
@require_role(*STAFF)
def checklist(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    view = request.args.get("view", "all")
    if view not in VIEWS:
        abort(400, description=f"There is no view called {view!r}. Choose one of: {', '.join(VIEWS.values())}.")
    checklist = working.working_checklist(audit, current_user, view)
    return render_template(
        "fieldwork/checklist.html", audit=audit, checklist=checklist, sections=checklist.sections(), view=view
    )


# --- One item ---------------------------------------------------------------------------------------------------


def _item_page(
    audit: Audit,
    response: ChecklistResponse,
    *,
    response_form: ResponseForm | None = None,
    evidence_form: EvidenceForm | None = None,
    file_errors: dict[int, list[str]] | None = None,
    conflict: responses.EditConflict | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The item with its form (result, results per subject, a new evidence entry), evidence and files; a refused
    submission comes back with everything the user typed."""
    refusal = access.refusal(current_user, audit, Need.WORK)
    response = responses.load_for_page(response)
    subjects = verdicts.subjects_of(audit)
    previous, following = working.neighbours(audit, response)
    form = response_form or ResponseForm.for_response(response, subjects)
    if evidence_form is None:
        evidence_form = EvidenceForm(formdata=None)
        evidence_form.use_subjects(subjects)
    named = {s.key: s for s in subjects}
    page = render_template(
        "fieldwork/item.html",
        audit=audit,
        response=response,
        item=response.item,
        form=form,
        evidence_form=evidence_form,
        subjects=subjects,
        parts=[(named[p.key], p) for p in response.recorded_parts if p.key in named],
        file_errors=file_errors or {},
        can_work=refusal is None,
        refusal=refusal,
        conflict=conflict.current if conflict else None,
        message=str(conflict) if conflict else None,
        previous=previous,
        following=following,
        allowed=evidence.allowed_extensions(),
        max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
    )
    return page, status


@bp.get("/<int:audit_id>/checklist/<int:response_id>")
@require_role(*STAFF)
def item(audit_id: int, response_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORKING_PAPERS)
    return _item_page(audit, responses.get_response(audit, response_id))


def _save(response: ChecklistResponse, data: responses.ResponseData) -> responses.EditConflict | None:
    """Save the result; an edit conflict is returned, not raised, for the page that shows both versions."""
    try:
        responses.save_response(response, data, actor=current_user)
        db.session.flush()  # a write that raced ours fails here (StaleDataError), not at the pipeline's commit
    except responses.EditConflict as exc:
        db.session.rollback()
        return exc
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(response)
        return responses.EditConflict(response)
    return None


@dataclass
class Saved:
    conflict: responses.EditConflict | None
    entry: Evidence | None


@bp.post("/<int:audit_id>/checklist/<int:response_id>/save")
@require_role(*WORKERS)
def save_response(audit_id: int, response_id: int) -> Page:
    """Save the item's form: the result (and results per subject), with the new evidence entry if one was begun.

    The entry is recorded first, so a nonconformity and the evidence that supports it can be saved in one go; a
    refusal of either keeps everything typed in both (a chosen file has to be chosen again).
    """
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    response = responses.get_response(audit, response_id)
    subjects = verdicts.subjects_of(audit)
    form, evidence_form = ResponseForm(), EvidenceForm()
    form.use_subjects(subjects)
    evidence_form.use_subjects(subjects)
    adding = evidence_form.is_filled() or "add_evidence" in request.form
    valid = form.validate_on_submit()
    valid = (evidence_form.validate() if adding else True) and valid

    def act() -> Saved:
        entry = None
        if adding:
            files = [_read(upload) for upload in evidence_form.uploads()]
            entry = evidence.add_evidence(response, evidence_form.to_data(), actor=current_user, files=files)
        return Saved(_save(response, form.to_data()), entry)

    def show(_: FlaskForm, exc: ValidationFailed) -> None:
        if not form.show(exc):
            _show_entry_errors(evidence_form, exc)

    done = form_action(form, act, validate=False, show=show) if valid else None
    if done is None:
        if adding and evidence_form.uploads():
            evidence_form.files.errors = [*evidence_form.files.errors, "Nothing was saved: choose the files again."]
        status = max(form_status(form), 400)  # 409 when the audit's state refused it
        return _item_page(audit, response, response_form=form, evidence_form=evidence_form, status=status)
    if (conflict := done.value.conflict) is not None:  # saved meanwhile: show theirs and keep the user's text
        form.version.data = str(conflict.current.version)  # a deliberate re-save replaces their version
        if adding:
            evidence_form.form_errors.append(
                "The evidence entry was not added either: it is kept below (choose any files again); save again."
            )
        return _item_page(
            audit, response, response_form=form, evidence_form=evidence_form, conflict=conflict, status=409
        )
    added = f" with a new evidence entry ({len(done.value.entry.files)} file(s))" if done.value.entry else ""
    flash(f"{response.item.ref} saved: {response.result.label}{added}.", "success")
    if form.save_next.data:
        _, following = working.neighbours(audit, response)
        if following is not None:
            return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=following.response_id))
        flash("That was the last item of the checklist.", "success")
        return redirect(url_for("fieldwork.checklist", audit_id=audit.id))
    anchor = f"#evidence-{done.value.entry.id}" if done.value.entry else ""
    return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=response.id) + anchor)


# --- Evidence ---------------------------------------------------------------------------------------------------


def _read(upload: FileStorage) -> tuple[str, bytes]:
    """The file's name as sent and at most one byte more than the limit (enough to tell it is too large)."""
    name = evidence.name_as_sent(upload.filename, upload.headers.get("Content-Disposition"))
    return name, upload.read(current_app.config["EVIDENCE_MAX_BYTES"] + 1)


def _show_entry_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """A refused upload is shown by the files field (the service names it `file`); other errors by their field."""
    if isinstance(exc, evidence.UploadRefused):
        form.files.errors = [*form.files.errors, *(exc.errors.get("file") or [str(exc)])]
    else:
        show_errors(form, exc)


@bp.post("/<int:audit_id>/checklist/<int:response_id>/evidence")
@require_role(*WORKERS)
def add_evidence(audit_id: int, response_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    response = responses.get_response(audit, response_id)
    form = EvidenceForm()
    form.use_subjects(verdicts.subjects_of(audit))

    def add() -> Evidence:
        files = [_read(upload) for upload in form.uploads()]
        return evidence.add_evidence(response, form.to_data(), actor=current_user, files=files)

    if not (added := form_action(form, add, show=_show_entry_errors)):
        return _item_page(audit, response, evidence_form=form, status=form_status(form))
    count = len(added.value.files)
    flash(f"Evidence added to {response.item.ref} with {count} file{'' if count == 1 else 's'}.", "success")
    return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=response.id) + "#evidence")


@bp.post("/<int:audit_id>/evidence/<int:evidence_id>/files")
@require_role(*WORKERS)
def add_file(audit_id: int, evidence_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.WORK)
    entry = evidence.get_entry(audit, evidence_id)
    form = FileForm()
    if not (done := form_action(form, lambda: evidence.add_file(entry, *_read(form.file.data), actor=current_user))):
        # The errors go next to this entry's file input, one of several on the item page.
        messages = [m for msgs in form.errors.values() for m in msgs]
        return _item_page(audit, entry.response, file_errors={entry.id: messages}, status=form_status(form))
    stored = done.value
    flash(f"{stored.name} (version {stored.version}) added to the evidence.", "success")
    url = url_for("fieldwork.item", audit_id=audit.id, response_id=entry.response_id)
    return redirect(f"{url}#evidence-{entry.id}")


@bp.get("/<int:audit_id>/evidence/files/<int:file_id>")
@require_role(*STAFF, Role.AUDITEE)
def download(audit_id: int, file_id: int) -> Response:
    record = evidence.file_for_download(current_user, audit_id, file_id)  # auditees: files their findings cite
    handle = evidence.open_download(record, actor=current_user)
    return send_file(handle, mimetype=record.content_type, as_attachment=True, download_name=record.name)
