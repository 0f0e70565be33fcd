"""The blank fieldwork checklist: every item in scope with our questions and guidance, the documented information it
expects and space to write, for auditors working offline; built in the same statements for 4 or 70 items."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.documents.fieldwork_checklist import RESULT_CHOICES, build_fieldwork_checklist
from audit_app.errors import NotAllowed
from audit_app.extensions import db
from audit_app.models import Audit, ChecklistItem, Role, User
from audit_app.services.reports import generate
from audit_app.services.reports.checklist_data import fieldwork_checklist_data
from tests.fixtures.planning import Planning
from tests.reports.docx_read import (
    TEMPLATE,
    all_text,
    assert_hostile_text_survives,
    control,
    headings,
    hostile,
    reopen,
    styled,
)

FEW = ("4.1", "4.3", "6.1.3", "A.6.2.8")


def _all_refs(plan: Planning) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(ChecklistItem.ref)
            .where(ChecklistItem.version_id == plan.version_id, ChecklistItem.auditable.is_(True))
            .order_by(ChecklistItem.position)
        )
    )


def _audit(plan: Planning, refs: tuple[str, ...] | list[str], tag: str = "") -> Audit:
    audit = plan.audit(title="Model governance")
    unit = plan.unit(f"Credit Risk{tag}")
    audit.scope_units.append(unit)
    audit.scope_systems.extend(
        [plan.system(f"ScoreCard v4{tag}", owner=unit), plan.system(f"FraudNet{tag}", owner=unit)]
    )
    items = plan.pin(audit, *refs)
    plan.member(audit, plan.user(Role.AUDITOR, name="Alma Auditor"))
    plan.session(audit, items=items[:1], auditors=[audit.lead_auditor], title="Context interview")
    db.session.commit()
    return audit


def test_every_item_in_scope_has_its_prompts_and_space_to_write(plan: Planning) -> None:
    refs = _all_refs(plan)
    assert len(refs) >= 60  # every auditable clause and control of the library
    audit = _audit(plan, refs)
    document = reopen(build_fieldwork_checklist(fieldwork_checklist_data(audit), control(), TEMPLATE))

    titles = {i.ref: i for i in audit.scope_items}
    found = headings(document)
    for ref in refs:
        assert f"{ref} {titles[ref].title}" in found, ref
    assert sum(1 for h in found if "42001" in h) == 1  # one part per pinned checklist version

    bullets = styled(document, "List Bullet")
    for ref in ("4.1", "A.6.2.8"):
        item = titles[ref]
        for question in item.questions:
            assert question in bullets, (ref, question)
    text = all_text(document)
    context = titles["4.1"]
    assert f"Guidance: {context.summary}" in text
    assert any(b.startswith("Documents to review: ") and context.evidence["documents"][0] in b for b in bullets)
    assert any(b.startswith("People to interview (roles): ") for b in bullets)
    assert any(b.startswith("Maintain: Scope statement for the AIMS") for b in bullets)  # 4.3's documented information
    assert "None named for this item in the library." in bullets
    assert "Context interview" in text  # where 4.1 is planned

    body = [p.text for p in document.paragraphs]
    assert body.count(RESULT_CHOICES) == len(refs)
    assert "Conforming / Nonconforming / Observation / Not audited" in RESULT_CHOICES
    spaces = styled(document, "Response Space")
    assert spaces.count("") == 2 * len(refs)  # evidence seen and notes, per item
    assert spaces.count("ScoreCard v4:") == len(refs)
    assert spaces.count("FraudNet:") == len(refs)
    assert "Alma Auditor (auditor)" in text


def test_the_checklist_costs_the_same_statements_for_4_or_81_items(
    app: Flask, library: int, query_count: Callable[[], int]
) -> None:
    with app.app_context():
        plan = Planning(library)
        small, large = _audit(plan, FEW).id, _audit(plan, _all_refs(plan), " (large)").id

    def statements(audit_id: int) -> int:
        with app.test_request_context():
            audit = db.session.get(Audit, audit_id)
            before = query_count()
            fieldwork_checklist_data(audit)
            return query_count() - before

    assert statements(small) == statements(large)


def test_only_the_team_generates_the_checklist(plan: Planning) -> None:
    audit = _audit(plan, FEW)
    auditee = plan.user(Role.AUDITEE, name="Ada Auditee")
    plan.auditee(audit, auditee)
    db.session.commit()
    got = generate.draft(audit.lead_auditor, audit, generate.DocumentKind.FIELDWORK_CHECKLIST)
    assert got.file_name.startswith(f"{audit.reference} Fieldwork checklist draft-")
    assert "4.1 Understanding the organization and its context" in headings(reopen(got.data))
    with pytest.raises(NotAllowed):
        generate.draft(db.session.get(User, auditee.id), audit, generate.DocumentKind.FIELDWORK_CHECKLIST)


def test_hostile_text_in_every_field_of_the_checklist_comes_out_safely(plan: Planning) -> None:
    data = hostile(fieldwork_checklist_data(_audit(plan, FEW)))
    assert data.parts[0].entries[0].questions[0] == data.title  # every text field was replaced
    assert_hostile_text_survives(build_fieldwork_checklist(data, hostile(control()), TEMPLATE))
