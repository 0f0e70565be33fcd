"""Which Word template the documents are built from: the organisation's uploaded one, or the default.

An uploaded template is checked before it is kept: it must open as a Word document and define every style the
builders use (`documents.styles.REQUIRED_STYLES`); otherwise it is refused with the list of missing styles.
Templates are never deleted: retiring one returns to the default.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from docx import Document
from flask import current_app

from audit_app.documents.styles import REQUIRED_STYLES
from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import ReportTemplate, User, utcnow
from audit_app.services import activity, storage, text

DEFAULT_TEMPLATE_NAME = "audit_report.docx"
#: A Word template is a few hundred kilobytes; a logo may make it larger, but not this large.
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class TemplateInUse:
    name: str
    data: bytes
    sha256: str
    uploaded: ReportTemplate | None


def area() -> storage.Storage:
    return storage.area("report_templates")


def default_template_path() -> Path:
    return Path(current_app.config["REPORT_TEMPLATE_DIR"]) / DEFAULT_TEMPLATE_NAME


def current_upload() -> ReportTemplate | None:
    return db.session.scalars(
        sa.select(ReportTemplate).where(ReportTemplate.retired_at.is_(None)).order_by(ReportTemplate.id.desc()).limit(1)
    ).first()


def template_in_use() -> TemplateInUse:
    """The newest uploaded template that is not retired, else the default from REPORT_TEMPLATE_DIR."""
    uploaded = current_upload()
    if uploaded is not None:
        with area().open(uploaded.stored_name) as handle:
            data = handle.read()
        return TemplateInUse(uploaded.name, data, hashlib.sha256(data).hexdigest(), uploaded)
    data = default_template_path().read_bytes()
    return TemplateInUse(f"Default template ({DEFAULT_TEMPLATE_NAME})", data, hashlib.sha256(data).hexdigest(), None)


def missing_styles(data: bytes) -> list[str]:
    """The required styles the template lacks (or has with the wrong kind), by name; raises if it is not Word."""
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationFailed(
            "The file is not a Word document (.docx).",
            {"template": ["Save the template from Word as a .docx document (not .dotx, .doc or .odt)."]},
        ) from exc
    present = {style.name: style.type for style in document.styles}
    return [name for name, kind in REQUIRED_STYLES.items() if present.get(name) != kind]


def upload(actor: User, name: str, data: bytes) -> ReportTemplate:
    """Check and keep an organisation template; it is used from now on."""
    clean_name = text.clean(name, field="template", max_length=200, required=True)
    if not clean_name.lower().endswith(".docx"):
        raise ValidationFailed(
            "Templates are Word documents (.docx).", {"template": ["Choose a .docx file saved from Word."]}
        )
    if not data:
        raise ValidationFailed("The template file is empty.", {"template": ["Choose a non-empty .docx file."]})
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationFailed("The template is larger than 10 MB.", {"template": ["Use a template of at most 10 MB."]})
    missing = missing_styles(data)
    if missing:
        raise ValidationFailed(
            f"The template lacks styles the reports use: {', '.join(missing)}.",
            {"template": [f"Add these styles in Word, then upload again: {', '.join(missing)}."]},
        )
    template = ReportTemplate(
        name=clean_name,
        stored_name=area().put(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    db.session.add(template)
    db.session.flush()
    activity.record(actor, "report_template.uploaded", template, name=clean_name)
    return template


def retire(actor: User) -> ReportTemplate | None:
    """Stop using the uploaded template (kept for the record); the default applies again."""
    uploaded = current_upload()
    if uploaded is not None:
        uploaded.retired_at = utcnow()
        uploaded.retired_by_id = actor.id
        activity.record(actor, "report_template.retired", uploaded, name=uploaded.name)
    return uploaded
