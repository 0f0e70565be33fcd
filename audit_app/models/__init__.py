"""Every model, imported so Alembic and create_all see all tables."""

from audit_app.models.activity import Activity
from audit_app.models.base import utcnow
from audit_app.models.checklist import Checklist, ChecklistItem, ChecklistVersion, ItemKind
from audit_app.models.org import AIRole, AISystem, LifecycleStage, Organisation, OrgUnit, RiskLevel, UnitKind
from audit_app.models.user import ROLE_LABELS, ApiToken, Role, User, hash_token

__all__ = [
    "ROLE_LABELS",
    "AIRole",
    "AISystem",
    "Activity",
    "ApiToken",
    "Checklist",
    "ChecklistItem",
    "ChecklistVersion",
    "ItemKind",
    "LifecycleStage",
    "OrgUnit",
    "Organisation",
    "RiskLevel",
    "Role",
    "UnitKind",
    "User",
    "hash_token",
    "utcnow",
]
