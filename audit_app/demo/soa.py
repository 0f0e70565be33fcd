"""The demo's Statement of Applicability: version 1 approved two months ago (every control decided and justified,
A.10.4 excluded), and version 2 a draft in progress with one changed owner, one own control and one justification
still a stock phrase, so the pages show a comparison, a flag and a draft."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import AISystem, OrgUnit, Role, User
from audit_app.models.soa import Implementation, SoaEntry, SoaVersion
from audit_app.services.soa import versions
from audit_app.services.soa.versions import EntryInput

#: Objective -> (owner unit, what the controls of that objective do for Northbridge, AI systems addressed).
OBJECTIVES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "A.2": ("Risk and Compliance", "sets the direction every AI use at Northbridge follows", ()),
    "A.3": ("Risk and Compliance", "makes clear who answers for each AI system and how staff raise concerns", ()),
    "A.4": ("Technology Operations", "keeps the data, tools, computing and people our models need on record",
            ("CreditScore",)),
    "A.5": ("Risk and Compliance", "assesses what our lending, service and hiring models do to customers and staff",
            ("CreditScore", "Ask Nora chatbot", "TalentSift CV screening")),
    "A.6": ("Data Science", "governs how we build, validate, release and monitor the in-house credit model",
            ("CreditScore", "Fraud Sentinel")),
    "A.7": ("Data Science", "controls the bureau and application data that trains and feeds the credit model",
            ("CreditScore",)),
    "A.8": ("Customer Operations", "tells applicants and users how our AI systems work and what to do when they fail",
            ("Ask Nora chatbot",)),
    "A.9": ("Credit Risk", "keeps each AI system to its intended use in lending decisions", ("CreditScore",)),
    "A.10": ("Risk and Compliance", "covers the suppliers of the chatbot and the CV screening service",
             ("Ask Nora chatbot", "TalentSift CV screening")),
}  # fmt: skip
EXCLUDED = {
    "A.10.4": "Northbridge supplies no AI system or AI-based service to other organisations: our customers are "
    "consumers who borrow from us, so there are no customer obligations for AI systems to allocate (scope 2.1).",
}


def _objective(ref: str) -> str:
    return ".".join(ref.split(".")[:2])


def load_demo_soa(today: date) -> bool:
    """Create the two demo versions once (nothing when any version exists); whether it created them."""
    if db.session.scalar(sa.select(SoaVersion.id).limit(1)) is not None:
        return False
    admin = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN).order_by(User.id)).first()
    if admin is None:
        return False
    units = {u.name: u.id for u in db.session.scalars(sa.select(OrgUnit))}
    systems = {s.name: s.id for s in db.session.scalars(sa.select(AISystem))}
    first = versions.start_draft(admin)
    for entry in versions.entries_of(first):
        unit, purpose, names = OBJECTIVES[_objective(entry.control_ref)]
        if entry.control_ref in EXCLUDED:
            data = EntryInput(applicable=False, justification=EXCLUDED[entry.control_ref], owner_unit_id=units[unit])
        else:
            data = EntryInput(
                applicable=True,
                justification=f"{entry.control_ref} ({entry.title}) {purpose}; it treats risk AIR-"
                f"{entry.position + 1:02d} of the 2026 AI risk register.",
                implementation=Implementation.IMPLEMENTED if entry.position % 4 else Implementation.IN_PROGRESS,
                owner_unit_id=units[unit],
                addresses=f"AIR-{entry.position + 1:02d}",
                system_ids=[systems[n] for n in names if n in systems],
                evidence=f"https://intranet.northbridge.example/aims/soa/{entry.control_ref}",
                last_reviewed_on=today - timedelta(days=65),
            )
        versions.update_entry(admin, first, entry, data, revision=None)
    versions.approve(admin, first, change_note="", confirmed=False, revision=None)
    first.approved_at = datetime.combine(today - timedelta(days=60), time(10, 0), tzinfo=UTC)
    db.session.flush()

    second = versions.start_draft(admin)
    entries = {e.control_ref: e for e in versions.entries_of(second)}
    moved = entries["A.4.5"]
    versions.update_entry(
        admin, second, moved, EntryInput(**{**_input(moved), "owner_unit_id": units["Data Science"]}), revision=None
    )
    stock = entries["A.8.3"]
    versions.update_entry(admin, second, stock, EntryInput(**{**_input(stock), "justification": "As required."}),
                          revision=None)  # fmt: skip
    versions.add_custom(admin, second, "NB-1", "Model cards for every model in production", revision=None)
    return True


def _input(e: SoaEntry) -> dict[str, Any]:
    """What an entry says now, as the keyword arguments of an EntryInput."""
    return {
        "applicable": e.applicable,
        "justification": e.justification,
        "implementation": e.implementation,
        "owner_unit_id": e.owner_unit_id,
        "addresses": e.addresses,
        "system_ids": [s.id for s in e.systems],
        "evidence": e.evidence,
        "last_reviewed_on": e.last_reviewed_on,
    }
