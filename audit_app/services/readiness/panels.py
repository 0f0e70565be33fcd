"""The readiness dashboard's panels as plain data, from the same `AsOf` the rules read (no extra per-row queries).

- heat map: per clause (4 … 10) and Annex A objective (A.2 … A.10), how many of its items the latest audits found
  conforming, with observations or OFIs ("partially"), nonconforming, or did not assess;
- open findings by grade and age band; overdue corrective and review actions;
- SoA completeness, register completeness (entries per status), programme coverage achieved by closed audits;
- in-scope AI systems without a recent impact assessment (none, or older than a year before the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from audit_app.models import DocStatus, ResponseResult
from audit_app.services.readiness.asof import AGE_BANDS, RECENT_IMPACT_DAYS, AsOf
from audit_app.services.readiness.rows import ActionRow, OpenFindings, SystemRow
from audit_app.services.readiness.rules import Verdict, evaluate

#: Heat map columns, in order: (key, heading).
HEAT_COLUMNS = (
    ("conformant", "Conformant"),
    ("partially", "Partially (observation or OFI)"),
    ("nonconformant", "Nonconformant"),
    ("not_assessed", "Not assessed"),
)
_CATEGORY = {
    ResponseResult.CONFORMING: "conformant",
    ResponseResult.NOT_APPLICABLE: "conformant",
    ResponseResult.OBSERVATION: "partially",
    ResponseResult.OFI: "partially",
    ResponseResult.NONCONFORMITY: "nonconformant",
}


@dataclass(frozen=True)
class HeatRow:
    ref: str
    title: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """The row in one word, for the cell text (never colour alone)."""
        if self.counts["nonconformant"]:
            return "nonconformant"
        if self.counts["not_assessed"] == self.total:
            return "not_assessed"
        if self.counts["partially"] or self.counts["not_assessed"]:
            return "partially"
        return "conformant"


@dataclass(frozen=True)
class Coverage:
    required: int
    achieved: int
    missing: list[str]


@dataclass(frozen=True)
class Dashboard:
    verdict: Verdict
    heat_clauses: list[HeatRow]
    heat_objectives: list[HeatRow]
    findings: OpenFindings
    grades: list[str]
    overdue_total: int
    overdue: list[ActionRow]
    soa_complete: int | None
    soa_total: int | None
    register_counts: dict[DocStatus, int]
    coverage: Coverage
    stale_systems: list[SystemRow]


def heat_map(ctx: AsOf) -> tuple[list[HeatRow], list[HeatRow]]:
    titles = {i.ref: i.title for i in ctx.library}
    latest = ctx.latest_results
    groups: dict[str, dict[str, int]] = {}
    order: list[str] = []
    for item in ctx.library:
        if not item.auditable:
            continue
        if item.group not in groups:
            groups[item.group] = {key: 0 for key, _ in HEAT_COLUMNS}
            order.append(item.group)
        found = latest.get(item.ref)
        groups[item.group][_CATEGORY.get(found.result, "not_assessed") if found else "not_assessed"] += 1
    rows = [HeatRow(ref, titles.get(ref, ref), groups[ref]) for ref in order]
    return [r for r in rows if not r.ref.startswith("A.")], [r for r in rows if r.ref.startswith("A.")]


def build(ctx: AsOf) -> Dashboard:
    verdict = evaluate(ctx)
    clauses, objectives = heat_map(ctx)
    findings = ctx.open_findings
    grades = sorted({g for g, _ in findings.by_grade_age}, key=lambda g: (g not in ("major", "minor"), g))
    overdue_total, overdue = ctx.overdue_actions
    done = ctx.soa_completeness
    counts = dict.fromkeys(DocStatus, 0)
    for _, status in ctx.register:
        counts[status] += 1
    required = [r for r in ctx.clause_refs + ctx.control_refs if r not in ctx.excluded_controls]
    missing = [r for r in required if r not in ctx.concluded_in_closed]
    limit = ctx.day - timedelta(days=RECENT_IMPACT_DAYS)
    stale = [
        s
        for s in ctx.systems
        if s.impact_assessed_on is None or s.impact_assessed_on < limit or s.impact_assessed_on > ctx.day
    ]
    return Dashboard(
        verdict=verdict,
        heat_clauses=clauses,
        heat_objectives=objectives,
        findings=findings,
        grades=grades,
        overdue_total=overdue_total,
        overdue=overdue,
        soa_complete=done.complete if done else None,
        soa_total=done.total if done else None,
        register_counts=counts,
        coverage=Coverage(len(required), len(required) - len(missing), missing),
        stale_systems=stale,
    )


AGE_LABELS = [label for label, _ in AGE_BANDS]
