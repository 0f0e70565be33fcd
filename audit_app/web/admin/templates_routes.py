"""The organisation's branded Word template: what is in use, downloads to brand in Word, upload and retire.

Routes of the admin blueprint (imported by web.init_app before the blueprint is registered). The service
(services/reports/templates.py) checks every upload for the styles the documents use and records the activity.
"""

from __future__ import annotations

import io

from flask import flash, redirect, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from audit_app.authz import ADMIN_ONLY, require_role
from audit_app.documents.styles import REQUIRED_STYLES
from audit_app.errors import ValidationFailed
from audit_app.models import ReportTemplate
from audit_app.services.reports import templates
from audit_app.web.admin.forms import ReportTemplateForm
from audit_app.web.admin.routes import bp
from audit_app.web.forms import form_action, render_form, show_errors

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/report-template", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def report_template() -> Response | tuple[str, int]:
    form = ReportTemplateForm()
    if done := form_action(form, lambda: _upload(form), show=_refusal):
        flash(f"The template {done.value.name} is in use from now on: every new document is built from it.", "success")
        return redirect(url_for("admin.report_template"))
    styles = [(name, kind.name.lower()) for name, kind in REQUIRED_STYLES.items()]  # "paragraph", "table", …
    return render_form(
        "admin/report_template.html",
        form,
        in_use=templates.template_in_use(),
        styles=styles,
        max_mb=templates.MAX_TEMPLATE_BYTES // (1024 * 1024),
    )


def _refusal(form: FlaskForm, exc: ValidationFailed) -> None:
    """The refusal in the summary (it names the missing styles) and what to do next to the file field."""
    form.form_errors.append(str(exc))
    show_errors(form, exc)


def _upload(form: ReportTemplateForm) -> ReportTemplate:
    upload = form.template.data
    # One byte past the limit is enough for the service to refuse a file that is too large.
    data = upload.stream.read(templates.MAX_TEMPLATE_BYTES + 1)
    return templates.upload(current_user, upload.filename or "", data)


@bp.route("/report-template/default")
@require_role(*ADMIN_ONLY)
def default_template() -> Response:
    """The default template shipped with the application, to brand in Word."""
    return _docx(templates.default_template_path().read_bytes(), templates.DEFAULT_TEMPLATE_NAME)


@bp.route("/report-template/current")
@require_role(*ADMIN_ONLY)
def current_template() -> Response:
    """The template in use now (the uploaded one, or the default)."""
    in_use = templates.template_in_use()
    name = in_use.uploaded.name if in_use.uploaded is not None else templates.DEFAULT_TEMPLATE_NAME
    return _docx(in_use.data, name)


@bp.post("/report-template/retire")
@require_role(*ADMIN_ONLY)
def retire_template() -> Response:
    retired = templates.retire(current_user)
    if retired is None:
        flash("The default template is already in use.", "info")
    else:
        flash(
            f"The template {retired.name} is retired (kept for the record); the default template applies again.",
            "success",
        )
    return redirect(url_for("admin.report_template"))


def _docx(data: bytes, name: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
