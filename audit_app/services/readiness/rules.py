"""The readiness rules (DOMAIN 5.2): explicit checks for stage 1 and stage 2, each with its records and blockers.

Each rule is a function of the records as of a day (`AsOf`) that returns a `RuleResult`: whether it passed, a
sentence saying why, the records behind it (label, link) and, when it fails, one blocker per thing to fix. The
two tables `STAGE1` and `STAGE2` list the rules of each verdict in the order they are shown; a verdict is "ready"
only when every rule of its table passes, and its blockers are the rules' blockers, never a percentage.

Decisions worth knowing:
- Stage 1 reads the documented-information register for the approved scope, AI policy, methodologies, SoA and
  objectives (`STAGE1_KEYS`) and, besides, the SoA module for an approved SoA version.
- "Competence evidence for the AIMS roles" is checked on what the app holds: the register's competence-evidence
  entry (7.2, `std:7.2:competence-evidence`) approved and not past review as of the day. The mandatory-documents
  rule of stage 2 leaves that entry to this rule, so each rule can fail alone.
- Stage 2 does not repeat the stage 1 rules; the dashboard shows both verdicts side by side.
- Nonconformity grades are the default scheme's "major" and "minor".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from audit_app.models import DocStatus, ResponseResult
from audit_app.services.docinfo import status as register
from audit_app.services.readiness.asof import AsOf
from audit_app.services.reviews.inputs import missing_inputs

Record = tuple[str, str]


@dataclass(frozen=True)
class RuleResult:
    code: str
    title: str
    passed: bool
    detail: str
    records: list[Record] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["records"] = [{"label": label, "url": url} for label, url in self.records]
        return data


Rule = Callable[[AsOf], RuleResult]


def link(endpoint: str, **values: Any) -> str:
    """The page of a record, or "" when no page answers (outside a request, or a page not built yet)."""
    try:
        return url_for(endpoint, **values)
    except (BuildError, RuntimeError):
        return ""


def _result(code: str, title: str, blockers: list[str], ok: str, records: list[Record] | None = None) -> RuleResult:
    passed = not blockers
    detail = ok if passed else f"{len(blockers)} blocker{'s' if len(blockers) != 1 else ''}: " + " ".join(blockers)
    return RuleResult(code, title, passed, detail, records or [], blockers)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _register_rule(ctx: AsOf, keys: tuple[str, ...], *, allow_overdue: bool) -> tuple[list[str], list[Record]]:
    blockers: list[str] = []
    records: list[Record] = []
    accepted = {DocStatus.APPROVED} | ({DocStatus.REVIEW_OVERDUE} if allow_overdue else set())
    for key in keys:
        found = ctx.register_status(key)
        if found is None:
            blockers.append(f"The register has no entry “{key}” on {ctx.day.isoformat()}.")
            continue
        entry, status = found
        records.append((f"{entry.title}: {status.label.lower()}", link("docinfo.entry", entry_id=entry.id)))
        if status not in accepted:
            blockers.append(f"“{entry.title}” is {status.label.lower()}.")
    return blockers, records


# --- stage 1 --------------------------------------------------------------------------------------------------
def stage1_documents(ctx: AsOf) -> RuleResult:
    blockers, records = _register_rule(ctx, register.STAGE1_KEYS, allow_overdue=True)
    return _result(
        "S1-DOCS",
        "Scope, AI policy, risk and impact methodologies, SoA and objectives approved",
        blockers,
        f"All {len(register.STAGE1_KEYS)} stage 1 documents are approved in the register.",
        records,
    )


def stage1_soa(ctx: AsOf) -> RuleResult:
    version = ctx.soa
    if version is None:
        return _result("S1-SOA", "A Statement of Applicability approved", ["No SoA version was approved."], "")
    when = version.approved_at.date().isoformat() if version.approved_at else "?"
    return _result(
        "S1-SOA",
        "A Statement of Applicability approved",
        [],
        f"SoA version {version.number} was approved on {when}.",
        [(f"SoA version {version.number}", link("soa.version", soa_id=version.id))],
    )


def stage1_inventory(ctx: AsOf) -> RuleResult:
    systems = ctx.systems
    return _result(
        "S1-INVENTORY",
        "AI system inventory present",
        [] if systems else ["The AI system inventory lists no system in the AIMS scope."],
        f"The inventory lists {_plural(len(systems), 'AI system')} in scope.",
        [(s.name, link("org.system", system_id=s.id)) for s in systems[:20]],
    )


def stage1_programme(ctx: AsOf) -> RuleResult:
    blockers = []
    if not ctx.programmes:
        blockers.append("No internal audit programme exists.")
    if not ctx.started_audits:
        blockers.append("No internal audit has started (moved to fieldwork).")
    records = [
        (f"Programme {code} {title}", link("programmes.detail", programme_id=i)) for i, code, title in ctx.programmes
    ]
    records += [
        (f"{a.reference} started {a.at.date().isoformat()}", link("audits.detail", audit_id=a.id))
        for a in ctx.started_audits[:10]
    ]
    return _result(
        "S1-PROGRAMME",
        "Internal audit programme with at least one audit started",
        blockers,
        f"{_plural(len(ctx.programmes), 'programme')}; {_plural(len(ctx.started_audits), 'audit')} started.",
        records,
    )


def stage1_review_scheduled(ctx: AsOf) -> RuleResult:
    found = ctx.reviews_scheduled
    return _result(
        "S1-REVIEW",
        "Management review scheduled",
        [] if found else ["No management review is scheduled or held."],
        f"{_plural(len(found), 'management review')} scheduled or held.",
        [(f"{r.title} ({r.held_on.isoformat()})", link("reviews.review", review_id=r.id)) for r in found[:5]],
    )


# --- stage 2 --------------------------------------------------------------------------------------------------
def stage2_clauses(ctx: AsOf) -> RuleResult:
    latest = ctx.latest_results
    refs = ctx.clause_refs
    missing = [ref for ref in refs if ref not in latest]
    nonconforming = [
        latest[ref] for ref in refs if ref in latest and latest[ref].result is ResponseResult.NONCONFORMITY
    ]
    blockers = [] if refs else ["The ISO/IEC 42001 clause library is not loaded."]
    if missing:
        blockers.append(f"{_plural(len(missing), 'clause')} not assessed in a reported audit: {', '.join(missing)}.")
    blockers += [f"Clause {r.ref} was nonconforming in {r.audit_reference}." for r in nonconforming]
    records = [(f"{r.ref} in {r.audit_reference}", link("audits.detail", audit_id=r.audit_id)) for r in nonconforming]
    return _result(
        "S2-CLAUSES",
        "Every clause assessed, none nonconforming in the latest audits",
        blockers,
        f"All {len(refs)} clauses were assessed in the latest audits, none nonconforming.",
        records,
    )


def stage2_soa(ctx: AsOf) -> RuleResult:
    version, done = ctx.soa, ctx.soa_completeness
    title = "Approved SoA covering all Annex A controls, complete"
    if version is None or done is None:
        return _result("S2-SOA", title, ["No SoA version was approved."], "")
    blockers = []
    if done.missing_controls:
        blockers.append(f"The SoA lacks {', '.join(done.missing_controls)}.")
    blockers += [f"{ref}: missing {what}." for ref, what in done.incomplete]
    blockers += [f"{ref}: {why}" for ref, why in done.flagged]
    return _result(
        "S2-SOA",
        title,
        blockers,
        f"SoA version {version.number}: {done.complete} of {done.total} controls complete.",
        [(f"SoA version {version.number}", link("soa.version", soa_id=version.id))],
    )


def stage2_impact(ctx: AsOf) -> RuleResult:
    systems = ctx.systems
    lacking = [s for s in systems if s.impact_assessed_on is None or s.impact_assessed_on > ctx.day]
    blockers = [f"{s.name} has no AI system impact assessment." for s in lacking]
    if not systems:
        blockers.append("No AI system is in scope: nothing shows the impact assessments.")
    return _result(
        "S2-IMPACT",
        "Impact assessment for every in-scope AI system",
        blockers,
        f"All {_plural(len(systems), 'in-scope AI system')} have an impact assessment.",
        [(s.name, link("org.system", system_id=s.id)) for s in (lacking or systems)[:20]],
    )


def stage2_full_audit(ctx: AsOf) -> RuleResult:
    required = [r for r in ctx.clause_refs + ctx.control_refs if r not in ctx.excluded_controls]
    done = ctx.concluded_in_closed
    missing = [r for r in required if r not in done]
    blockers = []
    if not ctx.closed_audits:
        blockers.append("No internal audit is closed.")
    elif missing:
        blockers.append(f"Not concluded in a closed audit: {', '.join(missing)}.")
    return _result(
        "S2-AUDIT",
        "A completed internal audit over the whole scope",
        blockers,
        f"Closed audits concluded all {len(required)} clauses and applicable controls.",
        [
            (f"{a.reference} closed {a.at.date().isoformat()}", link("audits.detail", audit_id=a.id))
            for a in ctx.closed_audits[:10]
        ],
    )


def stage2_review_held(ctx: AsOf) -> RuleResult:
    complete = ctx.complete_review
    held = ctx.reviews_held
    blockers = []
    if complete is None:
        if not held:
            blockers.append("No management review was held.")
        for review in held[:3]:
            gaps = missing_inputs(review)
            if gaps:
                blockers.append(f"{review.title} did not consider: {'; '.join(gaps)}.")
            if not review.decisions.strip():
                blockers.append(f"{review.title} has no decisions recorded.")
    shown = [complete] if complete is not None else held[:3]
    return _result(
        "S2-REVIEW",
        "A management review held with every input and its results",
        blockers,
        f"{complete.title} ({complete.held_on.isoformat()}) considered every input." if complete else "",
        [(f"{r.title} ({r.held_on.isoformat()})", link("reviews.review", review_id=r.id)) for r in shown],
    )


def _more(n: int, stem: str) -> list[str]:
    """The blocker for the rows beyond the listed ones, so a long list never hides a failure."""
    return [f"And {n} more {stem}{'y' if n == 1 else 'ies'}."] if n > 0 else []


def stage2_majors(ctx: AsOf) -> RuleResult:
    found = ctx.open_findings
    return _result(
        "S2-MAJORS",
        "No open major nonconformity",
        [f"{f.reference} is open ({f.status.replace('_', ' ')})." for f in found.majors]
        + _more(found.major_count - len(found.majors), "open major nonconformit"),
        "No major nonconformity is open.",
        [(f.reference, link("findings.detail", finding_id=f.id)) for f in found.majors],
    )


def stage2_minors(ctx: AsOf) -> RuleResult:
    found = ctx.open_findings
    return _result(
        "S2-MINORS",
        "Every open minor nonconformity has an accepted plan",
        [f"{f.reference} has no accepted plan ({f.status.replace('_', ' ')})." for f in found.minors_without_plan]
        + _more(found.minors_without_plan_count - len(found.minors_without_plan), "minor nonconformit"),
        f"All {_plural(found.minor_count, 'open minor nonconformity')} have an accepted plan.",
        [(f.reference, link("findings.detail", finding_id=f.id)) for f in found.minors_without_plan],
    )


def stage2_documents(ctx: AsOf) -> RuleResult:
    keys = tuple(k for k in register.MANDATORY_KEYS if k != register.COMPETENCE)
    blockers, records = _register_rule(ctx, keys, allow_overdue=False)
    return _result(
        "S2-DOCS",
        "Mandatory documented information present, approved and not past review",
        blockers,
        f"All {len(keys)} mandatory documents are approved and within their review date.",
        [r for r in records if not r[0].endswith(": approved")][:20] or records[:5],
    )


def stage2_competence(ctx: AsOf) -> RuleResult:
    blockers, records = _register_rule(ctx, (register.COMPETENCE,), allow_overdue=False)
    return _result(
        "S2-COMPETENCE",
        "Competence evidence for the AIMS roles",
        blockers,
        "The competence evidence (7.2) is approved in the register and within its review date.",
        records,
    )


STAGE1: tuple[Rule, ...] = (stage1_documents, stage1_soa, stage1_inventory, stage1_programme, stage1_review_scheduled)
STAGE2: tuple[Rule, ...] = (
    stage2_clauses,
    stage2_soa,
    stage2_impact,
    stage2_full_audit,
    stage2_review_held,
    stage2_majors,
    stage2_minors,
    stage2_documents,
    stage2_competence,
)


@dataclass(frozen=True)
class Verdict:
    day: date
    stage1: list[RuleResult]
    stage2: list[RuleResult]

    @property
    def stage1_ready(self) -> bool:
        return all(r.passed for r in self.stage1)

    @property
    def stage2_ready(self) -> bool:
        return all(r.passed for r in self.stage2)

    @property
    def blockers(self) -> list[str]:
        return [f"{r.code}: {b}" for r in (*self.stage1, *self.stage2) for b in r.blockers]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.day.isoformat(),
            "stage1": {"ready": self.stage1_ready, "rules": [r.as_dict() for r in self.stage1]},
            "stage2": {"ready": self.stage2_ready, "rules": [r.as_dict() for r in self.stage2]},
            "blockers": self.blockers,
        }


def evaluate(ctx: AsOf | date) -> Verdict:
    """Both verdicts as of the context's day (a date is read as of the end of that day)."""
    ctx = ctx if isinstance(ctx, AsOf) else AsOf(ctx)
    return Verdict(ctx.day, [rule(ctx) for rule in STAGE1], [rule(ctx) for rule in STAGE2])
