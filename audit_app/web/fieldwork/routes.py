"""Fieldwork: the working checklist, results per item, evidence entries and files.

Each view loads the audit, checks the object rule (services.fieldwork) before reading input, calls one service,
then commits and redirects. Refusals come back as pages: 403 (not on the team, or not an auditing role), 409 (the
audit is not in fieldwork, or someone else saved the item meanwhile) and 400 (input refused, shown by the field).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from audit_app.authz import STAFF, WORKERS, require_role
from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit, ChecklistResponse, Evidence
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.fieldwork import evidence, responses
from audit_app.web.fieldwork.access import read_only_reason, viewable_audit, work_refusal
from audit_app.web.fieldwork.forms import EvidenceForm, FileForm, ResponseForm
from audit_app.web.forms import show_errors

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
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


@bp.app_context_processor
def _fieldwork_links() -> dict[str, Any]:
    """Lets any page (e.g. the audit overview) ask whether to link to the working checklist."""
    return {"can_view_fieldwork": lambda user, audit: access.may(user, audit, Need.WORKING_PAPERS)}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"filesize": _filesize, "views": VIEWS, "evidence_hints": EVIDENCE_HINTS}


# --- Loading and authorizing ------------------------------------------------------------------------------------


def _response_or_404(audit: Audit, response_id: int) -> ChecklistResponse:
    try:
        return responses.get_response(audit, response_id)
    except NotFound:
        abort(404)


# --- The working checklist --------------------------------------------------------------------------------------


def _sections(checklist: responses.WorkingChecklist) -> list[tuple[responses.GroupProgress, list[responses.Row]]]:
    """The rows of the view under their clause or objective, in checklist order (groups left empty are dropped)."""
    sections: list[tuple[responses.GroupProgress, list[responses.Row]]] = [(g, []) for g in checklist.groups]
    index, previous = -1, None
    for row in checklist.rows:
        key = (row.item.version_id, row.group)
        if key != previous:
            index += 1
            while sections[index][0].ref != row.group:
                index += 1
            previous = key
        sections[index][1].append(row)
    return [s for s in sections if s[1]]


@bp.get("/<int:audit_id>/checklist")
@require_role(*STAFF)
def checklist(audit_id: int) -> Page:
    audit = viewable_audit(audit_id)
    view = request.args.get("view", "all")
    if view not in VIEWS:
        abort(400, description=f"There is no view called {view!r}. Choose one of: {', '.join(VIEWS.values())}.")
    working = responses.working_checklist(audit, current_user, view)
    return render_template(
        "fieldwork/checklist.html",
        audit=audit,
        checklist=working,
        sections=_sections(working),
        view=view,
        percent=round(100 * working.assessed / working.total) if working.total else 0,
    )


# --- One item ---------------------------------------------------------------------------------------------------


def _neighbours(audit: Audit, response: ChecklistResponse) -> tuple[responses.Row | None, responses.Row | None]:
    rows = responses.working_checklist(audit, current_user, "all").rows
    index = next((i for i, r in enumerate(rows) if r.response.id == response.id), None)
    if index is None:
        return None, None
    return (rows[index - 1] if index > 0 else None), (rows[index + 1] if index + 1 < len(rows) else None)


def _item_page(
    audit: Audit,
    response: ChecklistResponse,
    *,
    response_form: ResponseForm | None = None,
    evidence_form: EvidenceForm | None = None,
    file_errors: dict[int, list[str]] | None = None,
    conflict: responses.EditConflict | None = None,
    message: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    refusal = read_only_reason(audit)
    response = responses.load_for_page(response)
    if response_form is None:
        response_form = ResponseForm.for_response(response)
    if evidence_form is None:
        evidence_form = EvidenceForm(formdata=None)
    previous, following = _neighbours(audit, response)
    page = render_template(
        "fieldwork/item.html",
        audit=audit,
        response=response,
        item=response.item,
        form=response_form,
        evidence_form=evidence_form,
        file_errors=file_errors or {},
        can_work=refusal is None,
        refusal=refusal,
        conflict=conflict.current if conflict else None,
        message=message or (str(conflict) if conflict else None),
        previous=previous,
        following=following,
        allowed=evidence.allowed_extensions(),
        max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
    )
    return page, status


@bp.get("/<int:audit_id>/checklist/<int:response_id>")
@require_role(*STAFF)
def item(audit_id: int, response_id: int) -> Page:
    audit = viewable_audit(audit_id)
    return _item_page(audit, _response_or_404(audit, response_id))


@bp.post("/<int:audit_id>/checklist/<int:response_id>/save")
@require_role(*WORKERS)
def save_response(audit_id: int, response_id: int) -> Page:
    audit = viewable_audit(audit_id)
    response = _response_or_404(audit, response_id)
    refused = work_refusal(audit)
    if refused is not None:
        return _item_page(audit, response, message=str(refused), status=409)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _item_page(audit, response, response_form=form, status=400)
    try:
        responses.save_response(response, form.to_data(), actor=current_user)
        db.session.commit()
    except responses.EditConflict as exc:
        db.session.rollback()  # nothing was changed; their values are reloaded for the page
        return _conflict_page(audit, response, form, exc)
    except StaleDataError:  # saved by someone else between our read and our write
        db.session.rollback()
        db.session.refresh(response)
        return _conflict_page(audit, response, form, responses.EditConflict(response))
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _item_page(audit, response, response_form=form, status=400)
    except Conflict as exc:
        db.session.rollback()
        return _item_page(audit, response, message=str(exc), status=409)
    flash(f"{response.item.ref} saved: {response.result.label}.", "success")
    if form.save_next.data:
        _, following = _neighbours(audit, response)
        if following is not None:
            return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=following.response.id))
        flash("That was the last item of the checklist.", "success")
        return redirect(url_for("fieldwork.checklist", audit_id=audit.id))
    return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=response.id))


def _conflict_page(
    audit: Audit, response: ChecklistResponse, form: ResponseForm, exc: responses.EditConflict
) -> tuple[str, int]:
    """Keep what the user typed, base the form on the current version, and show the other user's values."""
    form.version.data = str(exc.current.version)
    return _item_page(audit, response, response_form=form, conflict=exc, status=409)


# --- Evidence ---------------------------------------------------------------------------------------------------


def _read(upload: FileStorage) -> tuple[str, bytes]:
    """The file's name and at most one byte more than the limit (enough to tell it is too large)."""
    return upload.filename or "", upload.read(current_app.config["EVIDENCE_MAX_BYTES"] + 1)


def _file_messages(exc: ValidationFailed) -> list[str]:
    return exc.errors.get("file") or [str(exc)]


@bp.post("/<int:audit_id>/checklist/<int:response_id>/evidence")
@require_role(*WORKERS)
def add_evidence(audit_id: int, response_id: int) -> Page:
    audit = viewable_audit(audit_id)
    response = _response_or_404(audit, response_id)
    refused = work_refusal(audit)
    if refused is not None:
        return _item_page(audit, response, message=str(refused), status=409)
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _item_page(audit, response, evidence_form=form, status=400)
    try:
        entry = evidence.add_evidence(
            response, form.to_data(), actor=current_user, files=[_read(u) for u in form.uploads()]
        )
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except evidence.UploadRefused as exc:
        db.session.rollback()
        form.files.errors = [*form.files.errors, *_file_messages(exc)]
        return _item_page(audit, response, evidence_form=form, status=400)
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _item_page(audit, response, evidence_form=form, status=400)
    except Conflict as exc:
        db.session.rollback()
        return _item_page(audit, response, message=str(exc), status=409)
    count = len(entry.files)
    db.session.commit()
    flash(f"Evidence added to {response.item.ref} with {count} file{'' if count == 1 else 's'}.", "success")
    return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=response.id) + "#evidence")


@bp.post("/<int:audit_id>/evidence/<int:evidence_id>/files")
@require_role(*WORKERS)
def add_file(audit_id: int, evidence_id: int) -> Page:
    audit = viewable_audit(audit_id)
    entry = db.session.get(Evidence, evidence_id)
    if entry is None or entry.audit_id != audit.id:
        abort(404)
    response = entry.response
    refused = work_refusal(audit)
    if refused is not None:
        return _item_page(audit, response, message=str(refused), status=409)
    form = FileForm()
    if not form.validate_on_submit():
        messages = [m for msgs in form.errors.values() for m in msgs]
        return _item_page(audit, response, file_errors={entry.id: messages}, status=400)
    name, content = _read(form.file.data)
    try:
        stored = evidence.add_file(entry, name, content, actor=current_user)
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except ValidationFailed as exc:
        db.session.rollback()
        return _item_page(audit, response, file_errors={entry.id: _file_messages(exc)}, status=400)
    except Conflict as exc:
        db.session.rollback()
        return _item_page(audit, response, message=str(exc), status=409)
    label = f"{stored.name} (version {stored.version})"
    db.session.commit()
    flash(f"{label} added to the evidence.", "success")
    return redirect(url_for("fieldwork.item", audit_id=audit.id, response_id=response.id) + f"#evidence-{entry.id}")


@bp.get("/<int:audit_id>/evidence/files/<int:file_id>")
@require_role(*STAFF)
def download(audit_id: int, file_id: int) -> Response:
    audit = viewable_audit(audit_id)
    try:
        record = evidence.get_file(file_id)
    except NotFound:
        abort(404)
    if record.evidence.audit_id != audit.id:
        abort(404)
    try:
        path = evidence.open_download(record, actor=current_user)
    except NotAllowed:
        abort(403)
    except NotFound as exc:
        abort(404, description=str(exc))
    mimetype, name = record.content_type, record.name
    db.session.commit()
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
