"""An "everything ready" organisation as of READY_DAY, built with dated records (models and services), and helpers
to break one thing, or to add a dated finding with its history.

Dated history is what the rules read, so the records are stamped in the past on purpose: a register approved in
January, the SoA approved on 1 February, an internal audit in fieldwork on 1 March, reporting on 20 March and
closed on 1 April with every clause and control concluded, a management review held on 1 May with every input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    AuditStatus,
    AuditTransition,
    ChecklistItem,
    ChecklistResponse,
    DocKind,
    DocumentedInfo,
    Finding,
    FindingHistory,
    FindingStatus,
    ResponseResult,
    Role,
)
from audit_app.models.review import ManagementReview, ReviewInput, ReviewStatus
from audit_app.models.soa import Implementation, SoaEntry, SoaStatus, SoaVersion
from audit_app.services.docinfo import status as register
from audit_app.services.reviews.inputs import INPUT_CODES
from audit_app.services.soa.status import annex_a_controls
from tests.fixtures.planning import Planning

READY_DAY = date(2026, 6, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class ReadyWorld:
    programme_id: int
    audit_id: int
    soa_id: int
    system_id: int
    review_id: int
    unit_id: int
    lead_id: int
    entries: dict[str, int]  # source key -> register entry id

    def entry(self, key: str) -> DocumentedInfo:
        return db.session.get(DocumentedInfo, self.entries[key])

    @property
    def audit(self) -> Audit:
        return db.session.get(Audit, self.audit_id)

    def response(self, ref: str) -> ChecklistResponse:
        return db.session.scalars(
            sa.select(ChecklistResponse)
            .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
            .where(ChecklistResponse.audit_id == self.audit_id, ChecklistItem.ref == ref)
        ).one()

    def transition(self, status: AuditStatus) -> AuditTransition:
        return db.session.scalars(
            sa.select(AuditTransition).where(
                AuditTransition.audit_id == self.audit_id, AuditTransition.to_status == status
            )
        ).one()

    def finding(
        self,
        grade: str,
        issued: date,
        events: list[tuple[date, str, str, str]] | None = None,
        *,
        status: FindingStatus = FindingStatus.ISSUED,
        reference: str | None = None,
    ) -> Finding:
        """A finding issued on `issued` with history events (day, field, old, new) and its current status."""
        finding = Finding(
            audit_id=self.audit_id,
            programme_id=self.programme_id,
            grade=grade,
            title=f"A {grade} finding",
            status=status,
            reference=reference or f"IA-T-NC-{db.session.scalar(sa.select(sa.func.count(Finding.id))) + 1:02d}",
            issued_at=at(issued),
            raised_at=at(issued, 9),
        )
        db.session.add(finding)
        db.session.flush()
        history = [(issued, "grade", "", grade), (issued, "status", "submitted", "issued"), *(events or [])]
        for when, field, old, new in history:
            db.session.add(
                FindingHistory(
                    finding_id=finding.id,
                    event="status" if field == "status" else "regraded",
                    field=field,
                    old_value=old,
                    new_value=new,
                    at=at(when, 11),
                )
            )
        db.session.flush()
        return finding


def build_ready(plan: Planning) -> ReadyWorld:
    """Everything every rule needs, dated before READY_DAY; returns ids (inside the caller's app context)."""
    unit = plan.unit("AI Governance")
    lead = plan.user(Role.LEAD_AUDITOR, name="Lena Lead")
    programme = plan.programme()
    programme.created_at = at(date(2026, 1, 2))
    audit = plan.audit(programme, lead=lead, title="Full AIMS audit")
    audit.status = AuditStatus.CLOSED
    for status, when in (
        (AuditStatus.FIELDWORK, date(2026, 3, 1)),
        (AuditStatus.REPORTING, date(2026, 3, 20)),
        (AuditStatus.CLOSED, date(2026, 4, 1)),
    ):
        db.session.add(
            AuditTransition(
                audit_id=audit.id, from_status=AuditStatus.PREPARATION, to_status=status, created_at=at(when)
            )
        )
    items = db.session.scalars(
        sa.select(ChecklistItem).where(ChecklistItem.version_id == plan.version_id, ChecklistItem.auditable.is_(True))
    ).all()
    for item in items:
        db.session.add(
            ChecklistResponse(audit_id=audit.id, checklist_item_id=item.id, result=ResponseResult.CONFORMING)
        )
    # The Statement of Applicability, approved on 1 February with every control complete.
    version = SoaVersion(
        number=1, status=SoaStatus.APPROVED, approved_at=at(date(2026, 2, 1)), created_at=at(date(2026, 1, 20))
    )
    db.session.add(version)
    db.session.flush()
    for position, control in enumerate(annex_a_controls()):
        db.session.add(
            SoaEntry(
                version_id=version.id,
                position=position,
                control_ref=control.ref,
                title=control.title,
                applicable=True,
                justification=f"Control {control.ref} treats risk R-{position + 1} of our credit-scoring models.",
                implementation=Implementation.IMPLEMENTED,
                owner_unit_id=unit.id,
                addresses=f"R-{position + 1}",
            )
        )
    system = plan.system("Credit scorer", owner=unit)
    system.impact_assessed_on = date(2026, 1, 20)
    # The register: every mandatory entry approved in January, next review in a year.
    entries = {}
    for key in register.MANDATORY_KEYS:
        entry = DocumentedInfo(
            refs=[key.split(":")[1]],
            title=key.split(":")[2].replace("-", " ").capitalize(),
            kind=DocKind.MAINTAIN,
            expected=True,
            source_key=key,
            location="https://dms.example.test/" + key.replace(":", "/"),
            doc_version="1.0",
            approved_by_name="Chief Executive",
            approved_on=date(2026, 1, 10),
            next_review_on=date(2027, 1, 10),
            created_at=at(date(2026, 1, 5)),
        )
        db.session.add(entry)
        db.session.flush()
        entries[key] = entry.id
    review = ManagementReview(
        title="Management review 2026",
        held_on=date(2026, 5, 1),
        status=ReviewStatus.HELD,
        attendees="Chief Executive; AIMS manager",
        decisions="Fund a second model validator; keep the AI policy as it is.",
        held_recorded_at=at(date(2026, 5, 2)),
        created_at=at(date(2026, 4, 1)),
    )
    review.inputs = [ReviewInput(code=code, considered=True, summary="Discussed.") for code in INPUT_CODES]
    db.session.add(review)
    db.session.flush()
    return ReadyWorld(programme.id, audit.id, version.id, system.id, review.id, unit.id, lead.id, entries)


def system(world: ReadyWorld) -> AISystem:
    return db.session.get(AISystem, world.system_id)


def soa_version(world: ReadyWorld) -> SoaVersion:
    return db.session.get(SoaVersion, world.soa_id)


def review(world: ReadyWorld) -> ManagementReview:
    return db.session.get(ManagementReview, world.review_id)
