"""A large organisation built through the app's own services, for the page benchmarks.

300 org units, 500 AI systems, one programme with 300 audits (each with scope, pinned criteria of 40
clauses and controls, a team of three with declarations, an agenda session), moved to fieldwork through
the life cycle; about 12,000 checklist results and 20,000 evidence entries with a file each; and on one
audit ("the heavy audit", 2,000 of those evidence entries) three samples of 101, 2,000 and 10,000 items.

Building takes minutes, so the database is kept: an SQLite file under benchmarks/.cache/ (or the
PostgreSQL database named by AUDIT_BENCH_DATABASE_URL) plus a JSON file with the ids the benchmarks need.
Delete the cache to build again.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    Audit,
    AuditAuditee,
    AuditStatus,
    AuditType,
    ChecklistItem,
    ChecklistResponse,
    EvidenceMethod,
    EvidenceMode,
    LifecycleStage,
    PopulationSource,
    ResponseResult,
    RiskLevel,
    Role,
    SampleItemResult,
    SampleMethod,
    SessionActivity,
    SizeBasis,
    TeamRole,
    UnitKind,
    User,
)
from audit_app.services import accounts, org
from audit_app.services.fieldwork import evidence, responses
from audit_app.services.library import checklists
from audit_app.services.planning import agenda, audits, lifecycle, programmes, team
from audit_app.services.sampling import populations, samples

CACHE = Path(__file__).resolve().parent / ".cache"
PASSWORD = "benchmark password 1"  # noqa: S105  (accounts of a throw-away benchmark database)

#: The size of the organisation (the figures the hardening issue measured with).
UNITS, SYSTEMS, AUDITS, ITEMS_PER_AUDIT = 300, 500, 300, 40
EVIDENCE_PER_AUDIT, HEAVY_EVIDENCE = 60, 2_000
SAMPLE_SIZES = (101, 2_000, 10_000)
LEADS, AUDITORS, AUDITEES = 20, 60, 100
RESULTS = (ResponseResult.CONFORMING,) * 8 + (ResponseResult.NONCONFORMITY, ResponseResult.OBSERVATION)


@dataclass
class World:
    """The ids a benchmark needs; every user's password is PASSWORD."""

    admin_email: str
    lead_email: str
    auditor_email: str
    auditee_email: str
    programme_id: int
    audit_id: int
    response_id: int
    sample_ids: dict[str, int]


def _user(email: str, name: str, role: Role, unit_id: int | None = None) -> User:
    return accounts.create_user(accounts.UserData(email, name, role, unit_id), PASSWORD, actor=None)


def _fieldwork(audit: Audit, lead: User, auditors: list[User], items: list[ChecklistItem]) -> None:
    """Criteria, team, declarations, a session, then preparation and fieldwork through the life cycle."""
    audits.set_criteria(
        audit, version_ids=[items[0].version_id], item_ids=[i.id for i in items], other_criteria="", actor=lead
    )
    for auditor in auditors:
        team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=lead)
    for member in audit.team:
        team.confirm_declaration(audit, actor=member.user)
    agenda.save_session(
        audit,
        agenda.SessionData(
            audit.start_date,
            dt_time(9, 0),
            90,
            SessionActivity.INTERVIEW,
            "Opening interview",
            item_ids=tuple(i.id for i in items[:5]),
            auditor_ids=(lead.id,),
        ),
        actor=lead,
    )
    lifecycle.transition(audit, AuditStatus.PREPARATION, actor=lead)
    lifecycle.transition(audit, AuditStatus.FIELDWORK, actor=lead, confirm_warnings=True)


def _results_and_evidence(audit: Audit, auditor: User, rng: random.Random, entries: int) -> None:
    rows = list(audit_responses(audit))
    for n in range(entries):  # evidence first: a nonconformity or observation is recorded with its evidence
        response = rows[n % len(rows)]
        evidence.add_evidence(
            response,
            evidence.EvidenceData(
                EvidenceMethod.DOCUMENT_REVIEW,
                EvidenceMode.ON_SITE,
                f"Record {audit.reference}-{n:05d}",
                audit.start_date,
                "A record reviewed during fieldwork.",
            ),
            actor=auditor,
            files=[(f"record-{n:05d}.txt", f"Record {n} of {audit.reference}\n".encode())],
        )
    for index, response in enumerate(rows):
        result = rng.choice(RESULTS) if index < entries else ResponseResult.CONFORMING
        responses.save_response(
            response,
            responses.ResponseData(
                result, notes=f"Checked {response.item.ref} with the process owner.", expected_version=response.version
            ),
            actor=auditor,
        )


def audit_responses(audit: Audit) -> sa.ScalarResult[ChecklistResponse]:
    return db.session.scalars(
        sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id).order_by(ChecklistResponse.id)
    )


def _sample(audit: Audit, auditor: User, size: int) -> int:
    item = audit.scope_items[0]
    data = samples.SampleData(f"Records ({size:,})", "Each record is approved.", "records", (item.id,))
    sample = samples.create_sample(audit, data, actor=auditor)
    rows = ["id,label", *(f"REC-{size}-{n:06d},Record {n}" for n in range(size))]
    populations.set_population(
        sample,
        populations.PopulationData(
            PopulationSource.CSV,
            csv_bytes="\n".join(rows).encode(),
            id_column="id",
            completeness_check="Count reconciled to the records system.",
        ),
        actor=auditor,
    )
    samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
    items = samples.draw(sample, actor=auditor)
    for index, drawn in enumerate(items[:200]):
        result = SampleItemResult.DEVIATION if index % 17 == 0 else SampleItemResult.CONFORMING
        samples.record_result(drawn, result, actor=auditor)
    return sample.id


def build(app: Flask, *, progress: bool = True) -> World:
    """Build the organisation in the app's database (empty, migrated); return the ids the benchmarks use."""
    rng = random.Random(42)
    started = time.perf_counter()

    def say(what: str) -> None:
        if progress:
            print(f"  [{time.perf_counter() - started:6.1f} s] {what}", flush=True)

    with app.app_context():
        (loaded,) = checklists.load_built_in()
        version = loaded.version
        auditable = [i for i in version.items if i.auditable]
        admin = _user("admin@large.test", "Ada Admin", Role.ADMIN)
        db.session.commit()
        units = []
        for n in range(UNITS):
            kind = (UnitKind.DEPARTMENT, UnitKind.PROCESS, UnitKind.SITE)[n % 3]
            units.append(org.save_unit(org.UnitData(f"Unit {n:03d}", kind, "A part of the organisation."), actor=admin))
        db.session.commit()
        say(f"{UNITS} org units")
        for n in range(SYSTEMS):
            org.save_system(
                org.SystemData(
                    f"AI system {n:03d}",
                    "Scores, ranks or answers for the business.",
                    (rng.choice(list(AIRole)),),
                    rng.choice(list(RiskLevel)),
                    units[n % UNITS].id,
                    rng.choice(list(LifecycleStage)),
                ),
                actor=admin,
            )
        db.session.commit()
        say(f"{SYSTEMS} AI systems")
        leads = [_user(f"lead{n}@large.test", f"Lead {n}", Role.LEAD_AUDITOR) for n in range(LEADS)]
        auditors = [_user(f"auditor{n}@large.test", f"Auditor {n}", Role.AUDITOR) for n in range(AUDITORS)]
        auditees = [
            _user(f"auditee{n}@large.test", f"Auditee {n}", Role.AUDITEE, units[n % UNITS].id) for n in range(AUDITEES)
        ]
        _user("viewer@large.test", "Vic Viewer", Role.VIEWER)
        db.session.commit()
        today = datetime.now(UTC).date()
        programme = programmes.save_programme(
            programmes.ProgrammeData(
                "LARGE",
                "Internal audit programme (large organisation)",
                today - timedelta(days=90),
                today + timedelta(days=270),
                version.id,
                status=programmes.ProgrammeStatus.ACTIVE,
            ),
            actor=admin,
        )
        db.session.commit()
        heavy_id = 0
        for n in range(AUDITS):
            lead = leads[n % LEADS]
            start = today - timedelta(days=60) + timedelta(days=n % 200)
            audit = audits.create_audit(
                programme,
                audits.AuditDetails(
                    f"Audit {n:03d}",
                    AuditType.INTERNAL,
                    start,
                    start + timedelta(days=2),
                    lead.id,
                    objectives="Check the AI management system in this area.",
                ),
                actor=admin,
            )
            audits.set_scope(
                audit,
                unit_ids=[u.id for u in rng.sample(units, 2)],
                system_ids=[],
                actor=lead,
            )
            team_auditors = rng.sample(auditors, 2)
            _fieldwork(audit, lead, team_auditors, rng.sample(auditable, ITEMS_PER_AUDIT))
            audit.auditees.append(_auditee(rng.choice(auditees)))
            heavy = n == 0
            _results_and_evidence(audit, team_auditors[0], rng, HEAVY_EVIDENCE if heavy else EVIDENCE_PER_AUDIT)
            db.session.commit()
            if heavy:
                heavy_id = audit.id
            if n % 25 == 0:
                say(f"{n + 1} audits")
        heavy = db.session.get(Audit, heavy_id)
        worker = next(m.user for m in heavy.team if m.role is TeamRole.AUDITOR)
        sample_ids = {f"{size}": _sample(heavy, worker, size) for size in SAMPLE_SIZES}
        db.session.commit()
        say("samples")
        response_id = next(r.id for r in audit_responses(heavy))
        member = next(m.user for m in heavy.team if m.role is TeamRole.AUDITOR)
        auditee = next(a.user for a in heavy.auditees if a.user is not None)
        return World(
            admin.email, heavy.lead_auditor.email, member.email, auditee.email, programme.id, heavy_id,
            response_id, sample_ids,
        )  # fmt: skip


def _auditee(user: User) -> AuditAuditee:
    return AuditAuditee(user_id=user.id, name=user.name, org_unit_id=user.org_unit_id)


def cached(app: Flask, key: str) -> World:
    """The organisation in the app's database, built once and then reused (the ids are kept beside it)."""
    CACHE.mkdir(exist_ok=True)
    ids = CACHE / f"{key}.json"
    if ids.exists():
        return World(**json.loads(ids.read_text()))
    world = build(app)
    ids.write_text(json.dumps(asdict(world)))
    return world
