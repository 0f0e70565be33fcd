"""Every model, imported so Alembic and create_all see all tables."""

from audit_app.models.activity import Activity
from audit_app.models.audit import (
    INDEPENDENCE_DECLARATION,
    Audit,
    AuditAuditee,
    AuditMethod,
    AuditStatus,
    AuditTeamMember,
    AuditTransition,
    AuditType,
    TeamRole,
)
from audit_app.models.base import utcnow
from audit_app.models.checklist import Checklist, ChecklistItem, ChecklistVersion, ItemKind
from audit_app.models.notification import EmailStatus, Notification
from audit_app.models.org import AIRole, AISystem, LifecycleStage, Organisation, OrgUnit, RiskLevel, UnitKind
from audit_app.models.plan import MEETING_POINTS, AuditMeeting, AuditSession, MeetingKind, SessionActivity
from audit_app.models.programme import (
    DEFAULT_DUE_POLICY,
    DEFAULT_GRADES,
    DUE_STEPS,
    AuditProgramme,
    ProgrammeStatus,
)
from audit_app.models.user import ROLE_LABELS, ApiToken, Role, User, hash_token

__all__ = [
    "DEFAULT_DUE_POLICY",
    "DEFAULT_GRADES",
    "DUE_STEPS",
    "INDEPENDENCE_DECLARATION",
    "MEETING_POINTS",
    "ROLE_LABELS",
    "AIRole",
    "AISystem",
    "Activity",
    "ApiToken",
    "Audit",
    "AuditAuditee",
    "AuditMeeting",
    "AuditMethod",
    "AuditProgramme",
    "AuditSession",
    "AuditStatus",
    "AuditTeamMember",
    "AuditTransition",
    "AuditType",
    "Checklist",
    "ChecklistItem",
    "ChecklistVersion",
    "EmailStatus",
    "ItemKind",
    "LifecycleStage",
    "MeetingKind",
    "Notification",
    "OrgUnit",
    "Organisation",
    "ProgrammeStatus",
    "RiskLevel",
    "Role",
    "SessionActivity",
    "TeamRole",
    "UnitKind",
    "User",
    "hash_token",
    "utcnow",
]
