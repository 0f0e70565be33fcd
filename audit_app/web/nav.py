"""Navigation per role, declared once and used by the layout and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.authz import ADMIN_ONLY, ALL_ROLES, PLANNERS, STAFF, WORKERS
from audit_app.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[Role, ...]


NAV = (
    NavItem("Dashboard", "main.index", ALL_ROLES),
    NavItem("Programmes", "programmes.index", STAFF),
    NavItem("Audits", "audits.index", ALL_ROLES),
    NavItem("My audits", "audits.mine", ALL_ROLES),
    #: The CAPA register: every finding and corrective action the user may see (auditees: their unit's, issued).
    NavItem("Findings and CAPA", "findings.register", ALL_ROLES),
    #: Stage 1 and stage 2 verdicts with their rules and blockers (the whole AIMS: not for auditees or auditors).
    NavItem("Readiness", "readiness.dashboard", (Role.ADMIN, Role.LEAD_AUDITOR, Role.VIEWER)),
    NavItem("Calendar", "audits.calendar", ALL_ROLES),
    NavItem("Auditors", "auditors.index", PLANNERS),
    #: Everyone who audits reads their own competence profile, audits performed and evaluations.
    NavItem("My auditor profile", "auditors.mine", WORKERS),
    NavItem("Clause library", "library.index", ALL_ROLES),
    NavItem("Organisation", "org.profile", ALL_ROLES),
    NavItem("AI systems", "org.systems", ALL_ROLES),
    #: The documented-information register (7.5): everyone but auditees reads it.
    NavItem("Documents register", "docinfo.index", STAFF),
    #: The Statement of Applicability (6.1.3): admins and lead auditors edit, staff and management read.
    NavItem("Statement of Applicability", "soa.index", STAFF),
    #: Management reviews (9.3) and the input pack: admins and lead auditors record, staff and management read.
    NavItem("Management reviews", "reviews.index", STAFF),
    NavItem("Users", "admin.users", ADMIN_ONLY),
    NavItem("Checklist import", "admin.checklist_import", ADMIN_ONLY),
    NavItem("Report template", "admin.report_template", ADMIN_ONLY),
    NavItem("Activity log", "admin.activity", ADMIN_ONLY),
    NavItem("E-mail delivery", "admin.email", ADMIN_ONLY),
)


def nav_for(role: Role) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
