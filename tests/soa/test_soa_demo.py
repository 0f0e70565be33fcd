"""The demo SoA: an approved version 1 that is complete, a draft version 2 with a flag and an own control; loading
twice changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from audit_app import demo
from audit_app.demo.soa import load_demo_soa
from audit_app.extensions import db
from audit_app.models.soa import SoaStatus, SoaVersion
from audit_app.services.soa import compare, status


def test_demo_soa(app: Flask, library: int, tmp_path: Path) -> None:
    with app.app_context():
        demo.load_demo(tmp_path / "credentials.txt")
        assert load_demo_soa(date(2026, 12, 8)) is True
        db.session.commit()
        assert load_demo_soa(date(2026, 12, 8)) is False
        first, second = db.session.scalars(sa.select(SoaVersion).order_by(SoaVersion.number)).all()
        assert first.status is SoaStatus.APPROVED
        assert first.approved_at.date() == date(2026, 10, 9)
        assert status.completeness(first).is_complete
        assert status.approved_as_of(date(2026, 10, 9)).id == first.id
        draft = status.completeness(second)
        assert second.status is SoaStatus.DRAFT
        assert [ref for ref, _ in draft.flagged] == ["A.8.3", "NB-1"]
        assert [ref for ref, _ in draft.incomplete] == ["NB-1"]
        changes = compare.compare(first, second)
        assert [(c.ref, c.kind) for c in changes] == [("A.4.5", "changed"), ("A.8.3", "changed"), ("NB-1", "added")]
