"""The opening every shorter document shares (audit plan, nonconformity report, CAPA register, fieldwork
checklist): properties, header and footer with the marking, the DRAFT marking on drafts, and a short cover."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import DRAFT_MARK, ReportDocument

#: What a field with nothing recorded shows.
NOTHING = "—"


def day(value: date | datetime | None) -> str:
    """ "02 Mar 2026" (a moment shows its date only), or a dash."""
    if value is None:
        return NOTHING
    return f"{value:%d %b %Y}"


def moment(value: datetime | None) -> str:
    """ "02 Mar 2026 14:05 UTC", or a dash."""
    if value is None:
        return NOTHING
    return f"{value:%d %b %Y %H:%M} UTC"


def joined(values: Iterable[str], empty: str = NOTHING) -> str:
    text = ", ".join(v for v in values if v)
    return text or empty


def start(
    template: bytes,
    control: DocumentControl,
    *,
    kind: str,
    subject: str,
    fields: Iterable[tuple[str, object]],
    page_break: bool = True,
) -> ReportDocument:
    """A document of `kind` ("Audit plan") about `subject` ("IA-2026-03 Model governance") with its cover."""
    doc = ReportDocument(template)
    doc.properties(title=f"{kind}: {subject}", subject=kind, author=control.generated_by, keywords=control.marking)
    doc.header_footer(title=f"{kind} — {subject}", marking=control.marking, draft=control.draft)
    if control.draft:
        doc.paragraph(DRAFT_MARK, "Draft Marking")
    doc.paragraph(kind, "Cover Title")
    doc.paragraph(subject, "Cover Subtitle")
    doc.labelled("Organisation", control.organisation, "Cover Field")
    for label, value in fields:
        doc.labelled(label, value, "Cover Field")
    doc.labelled("Status", control.status_label, "Cover Field")
    doc.labelled("Generated", f"{moment(control.generated_at)} by {control.generated_by}", "Cover Field")
    if control.marking:
        doc.labelled("Marking", control.marking, "Cover Field")
    if page_break:
        doc.page_break()
    return doc
