"""Demo auditor profiles (ISO 19011 7) and the evaluation that follows the closed audit."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Audit, AuditorEvaluation, CompetenceArea, EvaluationRating, OrgUnit, Role, User
from audit_app.services.planning import competence

A = CompetenceArea

#: email -> profile. Alex Admin runs AIMS management in Risk and Compliance and wrote the AI risk method (6.1.2),
#: so an agenda session where he audits it would be flagged.
PROFILES: dict[str, competence.ProfileData] = {
    "lead.auditor@northbridge.example": competence.ProfileData(
        qualifications="ISO/IEC 42001 lead auditor certificate (2025)\nISO 9001 lead auditor (2019)",
        training="ISO 19011 auditing principles and methods\nISO/IEC 42001 lead auditor course (5 days)",
        areas=(A.AUDITING, A.ISO42001, A.INFOSEC),
        sectors="Consumer lending\nRetail banking",
    ),
    "auditor@northbridge.example": competence.ProfileData(
        qualifications="ISO/IEC 42001 internal auditor (2025)",
        training="ISO/IEC 42001 internal auditor course\nMachine learning for auditors (2 days)",
        areas=(A.AUDITING, A.ISO42001, A.AI_ML, A.DATA),
        ai_knowledge="Four years in model validation before joining internal audit: credit-risk scorecards, "
        "gradient-boosted models, drift monitoring.",
        sectors="Consumer lending",
    ),
    "admin@northbridge.example": competence.ProfileData(
        qualifications="ISO/IEC 42001 foundation",
        areas=(A.ISO42001,),
        sectors="Consumer lending",
        responsible_refs=("6.1.2", "6.1.3"),
    ),
}


def load_profiles() -> None:
    """Give each demo auditor a profile once (recorded by the administrator)."""
    users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(list(PROFILES))))}
    admin = next((u for u in users.values() if u.role is Role.ADMIN), None)
    if admin is None:
        return
    for email, data in PROFILES.items():
        user = users.get(email)
        if user is not None and competence.get_profile(user) is None:
            units: tuple[int, ...] = ()
            if email.startswith("admin@"):  # he owns the AIMS management process of Risk and Compliance
                unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name == "Risk and Compliance"))
                units = (unit.id,) if unit is not None else ()
            competence.save_profile(
                user, competence.ProfileData(**{**data.__dict__, "responsible_unit_ids": units}), actor=admin
            )
    db.session.flush()


def evaluate_closed_audit(audit: Audit, lead: User, auditor: User) -> AuditorEvaluation | None:
    """The lead evaluates the auditor after the closed demo audit (ISO 19011 7.6)."""
    if lead.id == auditor.id:
        return None
    return competence.record_evaluation(
        auditor,
        audit.id,
        EvaluationRating.MEETS,
        "Sound sampling of training records; interview notes complete. Next: lead a session under supervision.",
        actor=lead,
    )
