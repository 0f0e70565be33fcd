"""Audit programmes and their coverage matrix."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from flask_smorest import Blueprint

from audit_app.api.common import saved
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.api.programme_schemas import (
    CoverageQuerySchema,
    ProgrammeCoverageSchema,
    ProgrammeSchema,
    ProgrammeUpdateSchema,
)
from audit_app.authz import PLANNERS, STAFF, get_actor, require_role
from audit_app.models import AuditProgramme
from audit_app.services.planning import coverage, programmes

blp = Blueprint(
    "api_programmes", __name__, url_prefix="", description="Audit programmes: period, grades, due dates, coverage"
)


@blp.route("/programmes")
@require_role(*STAFF)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ProgrammeSchema(many=True), headers=PAGE_HEADERS)
def list_programmes(query: dict[str, Any]) -> Paged[AuditProgramme]:
    """List audit programmes, newest period first.

    Paged: `page` and `per_page` (at most 100); the total is in `X-Total-Count`, the other pages in `Link`.
    """
    return paged(programmes.programmes_page(page_request(query)))


@blp.route("/programmes", methods=["POST"])
@require_role(*PLANNERS)
@blp.arguments(ProgrammeSchema)
@blp.response(201, ProgrammeSchema)
def create_programme(data: dict[str, Any]) -> AuditProgramme:
    """Create an audit programme; grades and due-date policy default to the house defaults."""
    return saved(programmes.save_programme(programmes.ProgrammeData(**data), actor=get_actor()))


@blp.route("/programmes/<int:programme_id>")
@require_role(*STAFF)
@blp.response(200, ProgrammeSchema)
def get_programme(programme_id: int) -> AuditProgramme:
    """Return one audit programme with its grade scheme and due-date policy."""
    return programmes.get_programme(programme_id)


@blp.route("/programmes/<int:programme_id>", methods=["PATCH"])
@require_role(*PLANNERS)
@blp.arguments(ProgrammeUpdateSchema(partial=True))
@blp.response(200, ProgrammeSchema)
def update_programme(data: dict[str, Any], programme_id: int) -> AuditProgramme:
    """Change a programme; fields left out keep their value."""
    programme = programmes.get_programme(programme_id)
    keep = {"grade_scheme", "due_policy"}  # None tells the service to keep the current scheme and policy
    values: dict[str, Any] = {
        f.name: data.get(f.name, None if f.name in keep else getattr(programme, f.name, ""))
        for f in dataclass_fields(programmes.ProgrammeData)
    }
    return saved(programmes.save_programme(programmes.ProgrammeData(**values), actor=get_actor(), programme=programme))


def _rows(matrix: coverage.Coverage) -> list[dict[str, Any]]:
    return [
        {
            "ref": row.key,
            "label": row.label,
            "covered_by": list(row.covered_by),
            "covered": row.covered,
            "achieved_by": list(row.achieved_by),
            "achieved": row.achieved,
            "not_audited": [{"audit_id": audit_id, "reason": reason} for audit_id, reason in row.not_audited],
            "priority": row.suggestion.level if row.suggestion else None,
            "reasons": list(row.suggestion.reasons) if row.suggestion else [],
            "frequency": row.suggestion.frequency if row.suggestion else None,
        }
        for row in matrix.rows
    ]


@blp.route("/programmes/<int:programme_id>/coverage")
@require_role(*STAFF)
@blp.arguments(CoverageQuerySchema, location="query")
@blp.response(200, ProgrammeCoverageSchema)
def get_coverage(query: dict[str, Any], programme_id: int) -> dict[str, Any]:
    """Clauses and controls against the programme's audits, with counts of the AI systems and org units covered.

    Cancelled audits do not count. Each clause row carries a suggested priority with its reasons. The rows of
    in-scope AI systems and active org units come with `expand=systems` and `expand=units`.
    """
    programme = programmes.get_programme(programme_id)
    columns = coverage.audit_columns(programme)
    clauses = coverage.programme_coverage(programme, columns=columns)
    counts = dict(zip(("systems", "units"), coverage.scope_counts(programme), strict=True))
    scope: dict[str, Any] = {name: {"total": c.total, "uncovered": c.uncovered} for name, c in counts.items()}
    if query["expand"]:
        expanded = dict(zip(("systems", "units"), coverage.scope_coverage(programme, columns=columns), strict=True))
        for name in query["expand"]:
            scope[name]["rows"] = _rows(expanded[name])
    return {
        "total": len(clauses.rows),
        "uncovered": clauses.uncovered,
        "achieved": clauses.achieved,
        "audits": list(clauses.audits),
        "rows": _rows(clauses),
        **scope,
    }
