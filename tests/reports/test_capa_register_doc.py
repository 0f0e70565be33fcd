"""The CAPA register document: counts by grade, every finding and action the reader may see (and only those), in a
number of statements that does not grow with the register."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.documents.capa_register import build_capa_register
from audit_app.documents.document import DRAFT_MARK
from audit_app.extensions import db
from audit_app.models import Audit, CorrectiveAction, Finding, User
from audit_app.services.findings.policy import visible_where
from audit_app.services.reports import generate, register_data
from audit_app.services.reports.register_data import capa_register_data
from tests.findings.register_world import build, bulk
from tests.fixtures.findings import FindingsWorld
from tests.reports.docx_read import (
    TEMPLATE,
    all_text,
    assert_hostile_text_survives,
    control,
    header_text,
    headings,
    hostile,
    reopen,
    table_with,
)


def _visible_labels(user: User) -> set[str]:
    return {f.label for f in db.session.scalars(sa.select(Finding).where(visible_where(user)))}


def _register(user: User, audit: Audit | None):  # type: ignore[no-untyped-def]
    return reopen(build_capa_register(capa_register_data(user, audit), control(), TEMPLATE))


def test_the_teams_register_lists_every_finding_counts_and_actions(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        world = build(fw_world)
        bulk(fw_world, 4, actions_each=2)
        lead = db.session.get(User, fw_world.lead_id)
        audit = db.session.get(Audit, fw_world.audit_id)
        document = _register(lead, audit)

        parts = ("Summary", "Findings", "Corrective actions")
        assert [h for h in headings(document) if h in parts] == list(parts)
        assert DRAFT_MARK in header_text(document)
        rows = table_with(document, "Reference")
        assert rows[0] == ["Reference", "Grade", "Clauses", "Unit and owner", "Status", "Next due", "Age"]
        assert all(len(row) <= 7 for table in document.tables for row in [table.rows[0].cells])
        listed = {row[0].split("\n")[0] for row in rows[1:]}
        assert listed == _visible_labels(lead)
        assert db.session.get(Finding, world.draft).label in listed  # the team sees its drafts
        assert any("OVERDUE" in row[5] for row in rows[1:])

        counts = {row[0]: row[1:] for row in table_with(document, "Grade")[1:]}
        total = len(listed)
        assert counts["All grades"][0] == str(total)
        assert int(counts["Minor nonconformity"][0]) + int(counts["Major nonconformity"][0]) == total
        assert counts["All grades"][3] == "1"  # the one closed effective
        assert f"{total} findings" in all_text(document)

        actions = table_with(document, "Finding")
        planned = db.session.scalar(sa.select(sa.func.count()).select_from(CorrectiveAction)) or 0
        assert len(actions) - 1 == planned
        assert "Add a lineage step to the pipeline template." in {row[1] for row in actions[1:]}


def test_an_auditees_register_holds_only_their_units_issued_findings(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        world = build(fw_world)
        auditee = db.session.get(User, fw_world.auditee_id)
        stranger = db.session.get(User, fw_world.stranger_id)
        audit = db.session.get(Audit, fw_world.audit_id)
        ours = {db.session.get(Finding, i).label for i in (world.issued, world.accepted, world.major, world.closed)}

        for reader, audit_or_all in ((auditee, audit), (auditee, None)):
            document = _register(reader, audit_or_all)
            text = all_text(document)
            listed = {row[0].split("\n")[0] for row in table_with(document, "Reference")[1:]}
            assert listed == ours
            assert db.session.get(Finding, world.other).label not in text
            assert "Draft about supplier review" not in text
            assert "Data lineage not recorded" not in text
            assert "Add a lineage step to the pipeline template." not in text  # the other unit's action

        stranger_doc = reopen(generate.register_document(stranger, audit).data)
        listed = {row[0].split("\n")[0] for row in table_with(stranger_doc, "Reference")[1:]}
        assert listed == {db.session.get(Finding, world.other).label}


def test_the_register_costs_the_same_statements_for_3_or_40_findings(
    app: Flask, fw_world: FindingsWorld, query_count: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        build(fw_world)
        bulk(fw_world, 3)

    def statements(who: int, audit_id: int | None) -> tuple[int, int]:
        with app.test_request_context():
            user = db.session.get(User, who)
            audit = db.session.get(Audit, audit_id) if audit_id else None
            before = query_count()
            data = capa_register_data(user, audit)
            return query_count() - before, len(data.findings)

    few = {who: statements(who, fw_world.audit_id) for who in (fw_world.lead_id, fw_world.auditee_id)}
    with app.app_context():
        bulk(fw_world, 37, start=4)
    many = {who: statements(who, fw_world.audit_id) for who in (fw_world.lead_id, fw_world.auditee_id)}
    for who in few:
        assert many[who][0] == few[who][0], who
        assert many[who][1] > few[who][1] + 15

    monkeypatch.setattr(register_data, "CHUNK", 10)
    chunked, rows = statements(fw_world.lead_id, None)
    assert rows > 40
    assert chunked - many[fw_world.lead_id][0] <= 10 * 8  # a fixed handful per extra chunk, not one per row


def test_hostile_text_in_every_field_of_the_register_comes_out_safely(app: Flask, fw_world: FindingsWorld) -> None:
    with app.app_context():
        build(fw_world)
        data = hostile(capa_register_data(db.session.get(User, fw_world.lead_id), None))
        assert data.findings[0].title == data.actions[0].description  # every text field was replaced
        assert_hostile_text_survives(build_capa_register(data, hostile(control()), TEMPLATE))
