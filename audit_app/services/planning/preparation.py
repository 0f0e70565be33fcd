"""Preparing the audit (ISO 19011 6.3.1, 6.3.2.1): the risks to achieving its objectives, each rated and
treated, and the review of the auditee's documented information before fieldwork.

Both are working papers of the team; the lead auditor (or an administrator) records them until the report is
being written. Nothing is deleted: removal stamps removed_at, and every change is in the activity trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Adequacy,
    Audit,
    AuditRisk,
    AuditRiskKind,
    DocumentReview,
    Rating,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.text import clean

TEXT_MAX = 4000


@dataclass(frozen=True)
class RiskData:
    kind: AuditRiskKind
    description: str
    likelihood: Rating
    impact: Rating
    treatment: str


@dataclass(frozen=True)
class DocumentData:
    document: str
    adequacy: Adequacy
    reviewed_on: date
    version: str = ""
    notes: str = ""


def risks(audit: Audit) -> list[AuditRisk]:
    """The audit's current risks, highest level first (one query)."""
    rows = db.session.scalars(
        sa.select(AuditRisk)
        .where(AuditRisk.audit_id == audit.id, AuditRisk.removed_at.is_(None))
        .order_by(AuditRisk.id)
    )
    return sorted(rows, key=lambda r: -r.level.score)


def documents(audit: Audit) -> list[DocumentReview]:
    """The documents reviewed for the audit, in the order recorded, with their reviewers (two queries)."""
    return list(
        db.session.scalars(
            sa.select(DocumentReview)
            .options(selectinload(DocumentReview.reviewed_by))
            .where(DocumentReview.audit_id == audit.id, DocumentReview.removed_at.is_(None))
            .order_by(DocumentReview.id)
        )
    )


def get_risk(audit: Audit, risk_id: int) -> AuditRisk:
    risk = db.session.get(AuditRisk, risk_id) if 0 < risk_id <= access.MAX_ID else None
    if risk is None or risk.audit_id != audit.id or risk.removed_at is not None:
        raise NotFound("That risk is not recorded for this audit.")
    return risk


def get_document(audit: Audit, review_id: int) -> DocumentReview:
    review = db.session.get(DocumentReview, review_id) if 0 < review_id <= access.MAX_ID else None
    if review is None or review.audit_id != audit.id or review.removed_at is not None:
        raise NotFound("That document review is not recorded for this audit.")
    return review


def _may_change(audit: Audit, actor: User) -> None:
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "preparation")


def save_risk(audit: Audit, data: RiskData, *, actor: User, risk: AuditRisk | None = None) -> AuditRisk:
    """Record or change a risk to the audit's objectives: what it is, how likely, how bad, and its treatment."""
    _may_change(audit, actor)
    description = clean(data.description, field="description", max_length=TEXT_MAX, multiline=True)
    treatment = clean(data.treatment, field="treatment", max_length=TEXT_MAX, multiline=True)
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = ["Say what could stop the audit reaching its objectives."]
    if not treatment:
        errors["treatment"] = ["Say how the risk is treated (for example more time, a remote session, an expert)."]
    if errors:
        raise ValidationFailed("The risk is not complete.", errors)
    created = risk is None
    if risk is None:
        risk = AuditRisk(audit_id=audit.id)
        db.session.add(risk)
    risk.kind, risk.description = AuditRiskKind(data.kind), description
    risk.likelihood, risk.impact, risk.treatment = Rating(data.likelihood), Rating(data.impact), treatment
    risk.recorded_by_id = actor.id
    db.session.flush()
    activity.record(
        actor,
        "audit.risk_recorded" if created else "audit.risk_changed",
        audit,
        risk_id=risk.id,
        kind=risk.kind.value,
        level=risk.level.value,
    )
    return risk


def remove_risk(audit: Audit, risk: AuditRisk, *, actor: User) -> None:
    _may_change(audit, actor)
    risk.removed_at, risk.removed_by_id = utcnow(), actor.id
    activity.record(actor, "audit.risk_removed", audit, risk_id=risk.id)


def save_document(
    audit: Audit, data: DocumentData, *, actor: User, review: DocumentReview | None = None
) -> DocumentReview:
    """Record or change the review of one document: its version, whether it is adequate, and notes."""
    _may_change(audit, actor)
    document = clean(data.document, field="document", max_length=200, required=True)
    version = clean(data.version, field="version", max_length=60)
    notes = clean(data.notes, field="notes", max_length=TEXT_MAX, multiline=True)
    adequacy = Adequacy(data.adequacy)
    if adequacy is not Adequacy.ADEQUATE and not notes:
        raise ValidationFailed.on("notes", "Say what is missing or inadequate, so fieldwork can follow it up.")
    if data.reviewed_on > audit.end_date:
        raise ValidationFailed.on("reviewed_on", "The documents are reviewed before the audit ends.")
    created = review is None
    if review is None:
        review = DocumentReview(audit_id=audit.id)
        db.session.add(review)
    review.document, review.version, review.adequacy, review.notes = document, version, adequacy, notes
    review.reviewed_on, review.reviewed_by_id = data.reviewed_on, actor.id
    db.session.flush()
    activity.record(
        actor,
        "audit.document_reviewed" if created else "audit.document_review_changed",
        audit,
        review_id=review.id,
        adequacy=adequacy.value,
    )
    return review


def remove_document(audit: Audit, review: DocumentReview, *, actor: User) -> None:
    _may_change(audit, actor)
    review.removed_at, review.removed_by_id = utcnow(), actor.id
    activity.record(actor, "audit.document_review_removed", audit, review_id=review.id)
