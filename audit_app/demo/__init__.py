"""A realistic demo organisation: a mid-size lender with three kinds of AI system."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit_app.demo import people
from audit_app.extensions import db
from audit_app.models import AIRole, AISystem, LifecycleStage, OrgUnit, RiskLevel, Role, UnitKind
from audit_app.services import accounts, org

ORG_NAME = "Northbridge Lending plc"
SCOPE = (
    "The AI management system covers the design, development, procurement, deployment and "
    "operation of AI systems used in consumer lending, customer service and recruitment at "
    "Northbridge Lending plc, at the London head office and the Leeds operations centre. "
    "The organisation acts as developer and provider of its credit-scoring and fraud models, "
    "as deployer of a third-party conversational AI service, and as user of a vendor CV-screening "
    "tool. Excluded: the marketing analytics sandbox, which has no production use."
)

UNITS = [
    ("Executive Committee", UnitKind.DEPARTMENT, "Top management; owns the AI policy.", None),
    ("Credit Risk", UnitKind.DEPARTMENT, "Owns lending decisions and the credit-scoring model.", None),
    ("Data Science", UnitKind.DEPARTMENT, "Builds, validates and monitors in-house models.", None),
    ("Customer Operations", UnitKind.DEPARTMENT, "Contact centre and digital customer service.", None),
    ("People and Talent", UnitKind.DEPARTMENT, "Recruitment and HR.", None),
    ("Technology Operations", UnitKind.DEPARTMENT, "Platforms, MLOps and IT service management.", None),
    ("Risk and Compliance", UnitKind.DEPARTMENT, "Second line: AIMS management and regulatory compliance.", None),
    ("Internal Audit", UnitKind.DEPARTMENT, "Third line: runs the internal audit programme.", None),
    ("Loan origination", UnitKind.PROCESS, "From application to credit decision.", "Credit Risk"),
    ("Model development and validation", UnitKind.PROCESS, "Model life cycle up to release.", "Data Science"),
    (
        "Complaint handling",
        UnitKind.PROCESS,
        "Customer complaints, including about automated decisions.",
        "Customer Operations",
    ),
    ("Recruitment", UnitKind.PROCESS, "Vacancy to offer.", "People and Talent"),
    ("London head office", UnitKind.SITE, "Central function; 420 staff.", None),
    ("Leeds operations centre", UnitKind.SITE, "Contact centre and operations; 310 staff.", None),
]

SYSTEMS = [
    (
        "CreditScore",
        "Scores consumer loan applications for probability of default; the score feeds "
        "an automated decision with human review of declines near the cut-off.",
        (AIRole.DEVELOPER, AIRole.USER),
        RiskLevel.HIGH,
        "Credit Risk",
        LifecycleStage.OPERATION_MONITORING,
        True,
        "",
    ),
    (
        "Ask Nora chatbot",
        "Answers customer questions on the website and app using a third-party large "
        "language model with retrieval over approved help articles; hands over to agents.",
        (AIRole.PROVIDER, AIRole.DEPLOYER),
        RiskLevel.MEDIUM,
        "Customer Operations",
        LifecycleStage.OPERATION_MONITORING,
        True,
        "",
    ),
    (
        "TalentSift CV screening",
        "Vendor SaaS that ranks applicants' CVs against role profiles for recruiters to review.",
        (AIRole.USER,),
        RiskLevel.HIGH,
        "People and Talent",
        LifecycleStage.DEPLOYMENT,
        True,
        "",
    ),
    (
        "Fraud Sentinel",
        "Flags suspicious applications and payments for the fraud team.",
        (AIRole.DEVELOPER,),
        RiskLevel.HIGH,
        "Data Science",
        LifecycleStage.VERIFICATION_VALIDATION,
        True,
        "",
    ),
    (
        "Marketing propensity sandbox",
        "Experimental propensity models on anonymised data; no production use.",
        (AIRole.DEVELOPER,),
        RiskLevel.LOW,
        "Data Science",
        LifecycleStage.INCEPTION,
        False,
        "Research sandbox with no production use or customer impact; excluded from the AIMS scope.",
    ),
]

#: Supplier, version in use, in-production date and impact-assessment reference of the demo systems.
SYSTEM_DETAILS: dict[str, dict[str, Any]] = {
    "CreditScore": {"version": "4.2", "in_production_on": date(2023, 5, 2), "impact_assessment_ref": "AISIA-2025-001"},
    "Ask Nora chatbot": {
        "supplier": "Lumen Language Models Ltd (hosted language model)",
        "version": "2.3",
        "in_production_on": date(2025, 2, 10),
        "impact_assessment_ref": "AISIA-2025-004",
    },
    "TalentSift CV screening": {
        "supplier": "TalentSift Ltd",
        "version": "2026.1",
        "impact_assessment_ref": "AISIA-2026-002",
    },
    "Fraud Sentinel": {"version": "0.9 (release candidate)", "impact_assessment_ref": "AISIA-2026-003"},
}

USERS = [
    ("admin@northbridge.example", "Alex Admin", Role.ADMIN, "Risk and Compliance"),
    ("lead.auditor@northbridge.example", "Lena Lead", Role.LEAD_AUDITOR, "Internal Audit"),
    ("auditor@northbridge.example", "Omar Auditor", Role.AUDITOR, "Internal Audit"),
    ("auditee@northbridge.example", "Priya Process-Owner", Role.AUDITEE, "Credit Risk"),
    ("viewer@northbridge.example", "Morgan Management", Role.VIEWER, "Executive Committee"),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    password: str


def load_demo(credentials_file: Path) -> list[DemoLogin]:
    """Create the demo organisation once; later runs change nothing and reuse the saved logins."""
    profile = org.get_profile()
    if profile.scope_statement == "":
        profile.name, profile.scope_statement = ORG_NAME, SCOPE
    if profile.sectors is None:  # the demo auditors know consumer lending (demo/people.py)
        profile.sectors = "Consumer lending"
    units = {u.name: u for u in db.session.scalars(sa.select(OrgUnit))}
    for name, kind, description, parent in UNITS:
        if name not in units:
            parent_id = units[parent].id if parent else None
            units[name] = org.save_unit(org.UnitData(name, kind, description, parent_id), actor=None)
            db.session.flush()
    existing = set(db.session.scalars(sa.select(AISystem.name)))
    for name, purpose, ai_role, risk, unit, stage, in_scope, note in SYSTEMS:
        if name not in existing:
            data = org.SystemData(
                name, purpose, ai_role, risk, units[unit].id, stage, in_scope, note, **SYSTEM_DETAILS.get(name, {})
            )
            org.save_system(data, actor=None)
    saved = _read_credentials(credentials_file)
    logins = []
    for email, name, role, unit in USERS:
        user = accounts.find_by_email(email)
        if user is None:
            password = saved.get(email) or secrets.token_urlsafe(12)
            user = accounts.create_user(accounts.UserData(email, name, role, units[unit].id), password, actor=None)
            saved[email] = password
        logins.append(DemoLogin(email, role, saved.get(email, "(set before this file existed)")))
    _write_credentials(credentials_file, saved)
    people.load_profiles()
    return logins


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines() if " " in line)
    return dict(pairs)


def _write_credentials(path: Path, saved: dict[str, str]) -> None:
    path.write_text("".join(f"{e} {p}\n" for e, p in saved.items()), encoding="utf-8")
    path.chmod(0o600)
