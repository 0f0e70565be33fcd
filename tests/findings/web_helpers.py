"""Helpers of the finding page tests: the form a well-written nonconformity posts, and reading the database."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Finding, FindingHistory
from tests.fixtures.findings import FindingsWorld


def nc_form(world: FindingsWorld, **changes: object) -> dict[str, object]:
    """The finding form of a well-written minor nonconformity (evidence, item, clause, unit, owner)."""
    data: dict[str, object] = {
        "grade": "minor",
        "title": "Releases without impact assessment",
        "systemic": "isolated",
        "grade_rationale": "Isolated: the other 22 releases were assessed.",
        "clause_refs": ["4.1"],
        "requirement": "Each model release must have a documented AI system impact assessment before deployment.",
        "statement": "Three of the 25 releases in the period went live with no impact assessment on file.",
        "evidence_summary": "Register RR-7 v3 lists 25 releases; R-12, R-15 and R-19 have no assessment.",
        "evidence_ids": [str(world.evidence_id)],
        "response_ids": [str(world.responses["4.1"])],
        "auditee_unit_id": str(world.unit_id),
        "process_owner_id": str(world.auditee_id),
    }
    data.update(changes)
    return data


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def finding_id_of(response) -> int:
    match = re.search(r"/findings/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def count_findings(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Finding.id))) or 0


def finding_row(app: Flask, finding_id: int) -> Finding:
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        db.session.expunge(finding)
        return finding


def history(app: Flask, finding_id: int) -> list[tuple[str, str, str, str, str]]:
    """(event, field, old, new, reason) of every history entry, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(FindingHistory).where(FindingHistory.finding_id == finding_id).order_by(FindingHistory.id)
        )
        return [(h.event, h.field, h.old_value, h.new_value, h.reason) for h in rows]


def move(client, finding_id: int, action: str, reason: str = "", version: str = ""):
    return client.post(f"/findings/{finding_id}/move", data={"action": action, "reason": reason, "version": version})
