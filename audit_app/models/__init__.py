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
from audit_app.models.fieldwork import (
    ChecklistResponse,
    Evidence,
    EvidenceDownload,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    ResponseResult,
)
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
from audit_app.models.sample import (
    PopulationSource,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    SampleStatus,
    SizeBasis,
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
    "ChecklistResponse",
    "ChecklistVersion",
    "EmailStatus",
    "Evidence",
    "EvidenceDownload",
    "EvidenceFile",
    "EvidenceMethod",
    "EvidenceMode",
    "ItemKind",
    "LifecycleStage",
    "MeetingKind",
    "Notification",
    "OrgUnit",
    "Organisation",
    "PopulationSource",
    "ProgrammeStatus",
    "ResponseResult",
    "RiskLevel",
    "Role",
    "Sample",
    "SampleItem",
    "SampleItemResult",
    "SampleMethod",
    "SampleStatus",
    "SessionActivity",
    "SizeBasis",
    "TeamRole",
    "UnitKind",
    "User",
    "hash_token",
    "utcnow",
]
