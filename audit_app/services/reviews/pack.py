"""Generate the management-review input pack for a period (the Word document)."""

from __future__ import annotations

from datetime import date

from audit_app.documents.control import DocumentControl
from audit_app.documents.review_pack import KIND, build_review_pack
from audit_app.models import User, utcnow
from audit_app.models.report import DEFAULT_MARKING
from audit_app.services import activity
from audit_app.services.reports.generate import GeneratedDocument, file_name, organisation_name
from audit_app.services.reports.templates import template_in_use
from audit_app.services.reviews.pack_data import pack_data
from audit_app.services.reviews.records import ensure_reader


def generate_pack(actor: User, start: date | None, end: date | None, monitoring: str | None = "") -> GeneratedDocument:
    """The pack for the period, built now; refuses roles that may not read reviews."""
    ensure_reader(actor)
    data = pack_data(actor, start, end, monitoring)
    control = DocumentControl(
        draft=False,
        version=1,
        generated_at=utcnow(),
        generated_by=actor.name,
        marking=DEFAULT_MARKING,
        organisation=organisation_name(),
    )
    content = build_review_pack(data, control, template_in_use().data)
    activity.record(actor, "review.pack_generated", actor, start=data.start.isoformat(), end=data.end.isoformat())
    return GeneratedDocument(file_name(f"{data.start:%Y%m%d}-{data.end:%Y%m%d}", KIND, ""), content)
