"""The evidence files an audit's report relies on: every file attached to the audit's evidence, with its hash."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Evidence, EvidenceFile


@dataclass(frozen=True)
class ManifestLine:
    evidence_file_id: int
    #: "EV-12 interview-notes.pdf (v2)": the evidence entry, the file's name and version.
    name: str
    sha256: str
    size: int


def evidence_manifest(audit_id: int) -> list[ManifestLine]:
    """Every evidence file of the audit (all versions: each was evidence when it was uploaded), oldest first."""
    rows = db.session.execute(
        sa.select(
            EvidenceFile.id,
            EvidenceFile.evidence_id,
            EvidenceFile.name,
            EvidenceFile.version,
            EvidenceFile.sha256,
            EvidenceFile.size,
        )
        .join(Evidence, Evidence.id == EvidenceFile.evidence_id)
        .where(Evidence.audit_id == audit_id)
        .order_by(EvidenceFile.evidence_id, EvidenceFile.id)
    ).all()
    return [
        ManifestLine(row.id, f"EV-{row.evidence_id} {row.name} (v{row.version})", row.sha256, row.size) for row in rows
    ]
