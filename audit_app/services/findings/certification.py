"""The certification-body profile of a programme (DOMAIN 2.8; ISO/IEC 17021-1 practice, simulated).

With the profile, every major nonconformity of the programme's stage 2 simulation audits must be verified
closed (closed: effective) before the simulated certification decision. Each open major has a hard deadline
(the stage 2 audit's last day + 90 days); a major still open more than six months (183 days) after that last day
means stage 2 must be repeated. Without the profile nothing is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from audit_app.extensions import db
from audit_app.models import Audit, AuditProgramme, AuditStatus, AuditType, Finding, FindingStatus
from audit_app.services.findings import dues, grades

#: A CB's usual limit for verifying a major's correction and corrective action, from the last stage 2 day.
VERIFY_WITHIN_DAYS = 90
#: Past this many days after the last stage 2 day with a major still open, stage 2 is repeated.
REPEAT_STAGE2_AFTER_DAYS = 183
#: A major in these states no longer blocks: verified closed, or no longer a finding of its own.
NOT_BLOCKING = (FindingStatus.CLOSED_EFFECTIVE, FindingStatus.WITHDRAWN, FindingStatus.MERGED)


@dataclass(frozen=True)
class Blocker:
    """An open major of a stage 2 simulation audit, with its deadlines."""

    finding_id: int
    reference: str
    status: FindingStatus
    audit_id: int
    audit_reference: str
    stage2_end: date
    hard_deadline: date
    repeat_after: date
    past_deadline: bool
    repeat_stage2: bool


@dataclass(frozen=True)
class CertificationStatus:
    blockers: list[Blocker]
    #: Stage 2 simulation audits of the programme.
    stage2_audits: int

    @property
    def ready(self) -> bool:
        """A decision could be taken: there was a stage 2 and none of its majors is still open."""
        return self.stage2_audits > 0 and not self.blockers

    @property
    def repeat_stage2(self) -> list[str]:
        """References of the stage 2 audits that must be repeated."""
        return sorted({b.audit_reference for b in self.blockers if b.repeat_stage2})


def decision_blockers(programme: AuditProgramme, today: date | None = None) -> list[Blocker]:
    """Each major of the programme's stage 2 simulation audits not yet verified closed (empty without the profile)."""
    if not programme.certification_profile:
        return []
    day = today or dues.today()
    stmt = (
        sa.select(Finding)
        .join(Audit, Finding.audit_id == Audit.id)
        .where(
            Audit.programme_id == programme.id,
            Audit.audit_type == AuditType.STAGE2_SIMULATION,
            Audit.status != AuditStatus.CANCELLED,
            Finding.grade == grades.MAJOR,
            Finding.status.not_in(NOT_BLOCKING),
        )
        .options(contains_eager(Finding.audit))
        .order_by(Audit.end_date, Audit.id, Finding.reference, Finding.id)
    )
    blockers = []
    for finding in db.session.scalars(stmt):
        audit = finding.audit
        assert audit is not None  # noqa: S101  (joined above)
        repeat_after = audit.end_date + timedelta(days=REPEAT_STAGE2_AFTER_DAYS)
        deadline = audit.end_date + timedelta(days=VERIFY_WITHIN_DAYS)
        blockers.append(
            Blocker(
                finding_id=finding.id,
                reference=finding.label,
                status=finding.status,
                audit_id=audit.id,
                audit_reference=audit.reference,
                stage2_end=audit.end_date,
                hard_deadline=deadline,
                repeat_after=repeat_after,
                past_deadline=day > deadline,
                repeat_stage2=day > repeat_after,
            )
        )
    return blockers


def certification_status(programme: AuditProgramme, today: date | None = None) -> CertificationStatus | None:
    """What stands before the simulated certification decision; None when the programme has no CB profile."""
    if not programme.certification_profile:
        return None
    stage2 = db.session.scalar(
        sa.select(sa.func.count(Audit.id)).where(
            Audit.programme_id == programme.id,
            Audit.audit_type == AuditType.STAGE2_SIMULATION,
            Audit.status != AuditStatus.CANCELLED,
        )
    )
    return CertificationStatus(decision_blockers(programme, today), stage2 or 0)
