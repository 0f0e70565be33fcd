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
    NavItem("Calendar", "audits.calendar", ALL_ROLES),
    NavItem("Auditors", "auditors.index", PLANNERS),
    #: Everyone who audits reads their own competence profile, audits performed and evaluations.
    NavItem("My auditor profile", "auditors.mine", WORKERS),
    NavItem("Clause library", "library.index", ALL_ROLES),
    NavItem("Organisation", "org.profile", ALL_ROLES),
    NavItem("AI systems", "org.systems", ALL_ROLES),
    NavItem("Users", "admin.users", ADMIN_ONLY),
    NavItem("Checklist import", "admin.checklist_import", ADMIN_ONLY),
    NavItem("Report template", "admin.report_template", ADMIN_ONLY),
    NavItem("Activity log", "admin.activity", ADMIN_ONLY),
    NavItem("E-mail delivery", "admin.email", ADMIN_ONLY),
)


def nav_for(role: Role) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
