"""What the finding page's dispute and CAPA partials show: the cycles with their plans and actions, and which of
this area's forms the user may open now (the services check again when the form is sent).

Registered as the template global `capa_view(finding, user)` by capa.py; the partials call it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    AuditMeeting,
    CapaFile,
    CapaPlan,
    CorrectiveAction,
    Dispute,
    FilePurpose,
    Finding,
    FindingStatus,
    User,
)
from audit_app.services.findings import grades, policy
from audit_app.services.findings.policy import FindingParty

S = FindingStatus


@dataclass
class Cycle:
    number: int
    plan: CapaPlan | None
    actions: list[CorrectiveAction]
    current: bool

    @property
    def label(self) -> str:
        return f"Cycle {self.number}" if self.current else f"Cycle {self.number} (not effective)"


@dataclass
class CapaView:
    finding: Finding
    nonconformity: bool
    good_practice: bool
    cycles: list[Cycle]
    may_dispute: bool
    may_answer: bool
    may_plan: bool
    may_verify: bool
    may_review: bool
    may_consider: bool
    independence: str
    implementer_of: set[int] = field(default_factory=set)
    effectiveness_files: list[CapaFile] = field(default_factory=list)

    def may_implement(self, action: CorrectiveAction) -> bool:
        return action.id in self.implementer_of

    def meeting(self, dispute: Dispute) -> AuditMeeting | None:
        if dispute.diverging_meeting_id is None:
            return None
        return db.session.get(AuditMeeting, dispute.diverging_meeting_id)


def capa_view(finding: Finding, user: User) -> CapaView:
    held = policy.parties(user, finding)
    owner = FindingParty.OWNER in held
    auditor = bool(held & {FindingParty.RAISER, FindingParty.REVIEWER})
    cycles = [
        Cycle(
            number=n,
            plan=next((p for p in finding.plans if p.cycle == n), None),
            actions=[a for a in finding.actions if a.cycle == n],
            current=n == finding.cycle,
        )
        for n in range(1, finding.cycle + 1)
    ]
    independent = not policy.owns_current_action(user, finding)
    implementer_of: set[int] = set()
    if finding.status is S.PLAN_ACCEPTED:
        implementer_of = {
            a.id
            for a in finding.actions
            if a.cycle == finding.cycle and a.status is not ActionStatus.CANCELLED and (owner or a.owner_id == user.id)
        }
    verifying = auditor and finding.status in (S.IMPLEMENTED, S.VERIFIED)
    return CapaView(
        finding=finding,
        nonconformity=grades.is_nonconformity(finding),
        good_practice=grades.is_good_practice(finding),
        cycles=cycles,
        may_dispute=owner and finding.status is S.ISSUED,
        may_answer=FindingParty.REVIEWER in held and finding.status is S.DISPUTED,
        may_plan=owner and finding.status in (S.ACKNOWLEDGED, S.REOPENED),
        may_verify=auditor and independent and finding.status is S.IMPLEMENTED,
        may_review=auditor and independent and finding.status is S.VERIFIED,
        may_consider=owner
        and finding.status is S.ISSUED
        and not grades.is_nonconformity(finding)
        and not grades.is_good_practice(finding),
        independence=""
        if independent or not verifying
        else "You own an action of this cycle: another auditor verifies it (the verifier must be independent).",
        implementer_of=implementer_of,
        effectiveness_files=[
            f
            for f in db.session.scalars(db.select(CapaFile).where(CapaFile.finding_id == finding.id))
            if f.purpose is FilePurpose.EFFECTIVENESS
        ],
    )
