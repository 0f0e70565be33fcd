"""The finding life cycle (DOMAIN 4.2) as one transition table: review and issue, the auditee's answer, the
clause 10.2 corrective-action loop to verified effectiveness, and the lighter path of observations and OFIs.

    draft ─submit→ submitted ─issue→ issued ─acknowledge→ acknowledged ─submit plan→ plan submitted
      ↑ return ─────┘  (reject → withdrawn)   │ dispute → disputed (maintain / accept → issued; withdraw)
    plan submitted ─accept plan→ plan accepted ─mark implemented→ implemented ─verify implementation→ verified
                   ─return plan→ acknowledged                      (reject implementation → plan accepted)
    verified ─close effective→ closed effective │ ─not effective→ reopened ─submit plan→ … (a new cycle)
    observation / OFI: issued ─consider→ considered ─close→ closed;  good practice: issued ─close→ closed

Every move is checked for role (policy.FindingParty) and state on the server, written as a compare-and-set on
the status (one winner when requests race), and kept in the finding's history with who, when and why. The
verifier of implementation and effectiveness must not own an action of the cycle.
"""

from __future__ import annotations

from audit_app.errors import InvalidTransition, NotAllowed
from audit_app.models import (
    ActionStatus,
    CapaPlan,
    CorrectiveAction,
    DueStep,
    Finding,
    FindingStatus,
    PlanDecision,
    User,
    utcnow,
)
from audit_app.services import activity
from audit_app.services.findings import dues, grades, history, notices, numbering, quality
from audit_app.services.findings.policy import FindingParty, owns_current_action, parties
from audit_app.workflow import Effect, Option, Transition, Wording, Workflow, move

S = FindingStatus
P = FindingParty
AUDITORS = (P.RAISER, P.REVIEWER)
#: Moves the verifier makes: never by someone who owns an action of the cycle (independence, DOMAIN 4.2).
VERIFYING = frozenset({"verify_implementation", "reject_implementation", "close_effective", "not_effective"})


# --- gates ------------------------------------------------------------------------------------------------------


def _nonconformity(finding: Finding) -> list[str]:
    if grades.is_nonconformity(finding):
        return []
    return ["Only nonconformities are acknowledged and corrected; observations and OFIs are considered."]


def _not_nonconformity(finding: Finding) -> list[str]:
    if not grades.is_nonconformity(finding):
        return []
    return ["A nonconformity is acknowledged and corrected, not merely considered."]


def _considered(finding: Finding) -> list[str]:
    problems = _not_nonconformity(finding)
    if finding.consideration is None:
        problems.append("Say whether action was taken or the suggestion declined.")
    elif not finding.consideration_note.strip():
        problems.append("Say what was done, or why it was declined.")
    return problems


def _good_practice(finding: Finding) -> list[str]:
    if grades.is_good_practice(finding):
        return []
    return ["Only good practice closes without the auditee's answer."]


def _ready_to_issue(finding: Finding) -> list[str]:
    problems = quality.submission_blockers(finding)
    if finding.auditee_unit_id is None:
        problems.append("Choose the auditee org unit the finding is issued to.")
    return problems


def _merged_into(finding: Finding) -> list[str]:
    return [] if finding.merged_into_id is not None else ["Choose the finding to merge into."]


def current_plan(finding: Finding) -> CapaPlan | None:
    return next((p for p in reversed(finding.plans) if p.cycle == finding.cycle), None)


def current_actions(finding: Finding) -> list[CorrectiveAction]:
    return [a for a in finding.actions if a.cycle == finding.cycle and a.status is not ActionStatus.CANCELLED]


def _plan_complete(finding: Finding) -> list[str]:
    plan = current_plan(finding)
    if plan is None:
        return ["Write the correction, the root-cause analysis, the extent check and the actions."]
    problems = []
    if not plan.correction.strip():
        problems.append("Write the correction (what was done about this instance).")
    if plan.rca_method is None or not plan.rca_analysis.strip() or not plan.root_cause.strip():
        problems.append("Record the root-cause analysis: its method, the analysis and the root cause found.")
    if not plan.extent_check.strip():
        problems.append("Record the extent check: can the same cause exist elsewhere?")
    actions = current_actions(finding)
    if not actions:
        problems.append("Plan at least one corrective action with an owner and a due date.")
    elif any(a.owner_id is None for a in actions):
        problems.append("Give every action an owner.")
    return problems


def _implemented(finding: Finding) -> list[str]:
    actions = current_actions(finding)
    if not actions:
        return ["There are no actions to implement."]
    waiting = [a for a in actions if a.status is not ActionStatus.IMPLEMENTED]
    if waiting:
        return [f"{len(waiting)} action(s) are not implemented yet."]
    unevidenced = [a for a in actions if not a.implementation_note.strip() and not a.files]
    if unevidenced:
        return [f"{len(unevidenced)} implemented action(s) have no implementation evidence."]
    return []


def _implementation_verified(finding: Finding) -> list[str]:
    if finding.implementation_verification.strip():
        return []
    return ["Record what you checked to verify the implementation."]


def _effective(finding: Finding) -> list[str]:
    problems = []
    if not finding.effectiveness_review.strip():
        problems.append("Record the effectiveness review (what showed the cause is removed).")
    if grades.is_major(finding) and not finding.effectiveness_evidence.strip():
        problems.append("A major nonconformity closes only with effectiveness evidence (re-sample, records seen).")
    return problems


# --- effects ----------------------------------------------------------------------------------------------------


def _submitted(finding: Finding, actor: User, reason: str) -> None:
    finding.submitted_at = utcnow()


def _issued(finding: Finding, actor: User, reason: str) -> None:
    finding.issued_at = utcnow()
    finding.issued_by_id = actor.id
    numbering.number(finding)
    history.add(finding.id, "numbered", actor=actor, field="reference", new=finding.reference)
    dues.set_on_issue(finding, actor)


def _acknowledged(finding: Finding, actor: User, reason: str) -> None:
    finding.acknowledged_at = utcnow()
    finding.acknowledged_by_id = actor.id
    dues.mark_met(finding, DueStep.ACKNOWLEDGE, actor=actor)


def _plan_submitted(finding: Finding, actor: User, reason: str) -> None:
    plan = current_plan(finding)
    if plan is not None:
        plan.submitted_by_id = actor.id
        plan.submitted_at = utcnow()
        plan.decision = None
    dues.mark_met(finding, DueStep.CORRECTION, DueStep.PLAN, actor=actor)


def _plan_decided(accepted: bool) -> Effect:
    def effect(finding: Finding, actor: User, reason: str) -> None:
        plan = current_plan(finding)
        if plan is None:
            return
        before = history.snapshot(plan, ("decision", "decision_reason"))
        plan.decision = PlanDecision.ACCEPTED if accepted else PlanDecision.RETURNED
        plan.decision_reason = reason
        plan.decided_by_id = actor.id
        plan.decided_at = utcnow()
        history.changes(
            finding.id,
            before,
            history.snapshot(plan, ("decision", "decision_reason")),
            actor=actor,
            event="plan",
            reason=reason,
        )

    return effect


def _marked_implemented(finding: Finding, actor: User, reason: str) -> None:
    dues.mark_met(finding, DueStep.IMPLEMENTATION, actor=actor)


def _verified(finding: Finding, actor: User, reason: str) -> None:
    finding.verified_by_id = actor.id
    finding.verified_at = utcnow()
    dues.set_on_verified(finding, actor)


def _closed_effective(finding: Finding, actor: User, reason: str) -> None:
    finding.effectiveness_by_id = actor.id
    finding.effectiveness_at = utcnow()
    finding.closed_at = utcnow()
    dues.mark_met(finding, DueStep.EFFECTIVENESS, actor=actor)


def _reopened(finding: Finding, actor: User, reason: str) -> None:
    finding.effectiveness_by_id = actor.id
    finding.effectiveness_at = utcnow()
    dues.mark_met(finding, DueStep.EFFECTIVENESS, actor=actor)
    before = finding.cycle
    finding.cycle = before + 1
    history.add(finding.id, "cycle", actor=actor, field="cycle", old=before, new=finding.cycle, reason=reason)
    finding.implementation_verification = ""
    dues.set_on_reopen(finding, actor)


def _considered_effect(finding: Finding, actor: User, reason: str) -> None:
    dues.mark_met(finding, DueStep.CONSIDER, actor=actor)


def _closed(finding: Finding, actor: User, reason: str) -> None:
    finding.closed_at = utcnow()


def _withdrawn(finding: Finding, actor: User, reason: str) -> None:
    finding.withdrawn_reason = reason


# --- the table --------------------------------------------------------------------------------------------------


def _record(
    finding: Finding, transition: Transition[FindingStatus], source: FindingStatus, actor: User, reason: str
) -> None:
    history.add(finding.id, "status", actor=actor, field="status", old=source, new=transition.target, reason=reason)
    activity.record(actor, f"finding.{transition.action}", finding, reference=finding.label, reason=reason)
    notices.tell(finding, transition.action, actor)


FLOW: Workflow[FindingStatus] = Workflow(
    "finding",
    [
        move(S.DRAFT, "submit", S.SUBMITTED, roles=AUDITORS, gates=[quality.submission_blockers], effects=[_submitted]),
        move(S.SUBMITTED, "return", S.DRAFT, roles=[P.REVIEWER], needs_reason=True),
        move(S.SUBMITTED, "issue", S.ISSUED, roles=[P.REVIEWER], gates=[_ready_to_issue], effects=[_issued]),
        move(
            [S.DRAFT, S.SUBMITTED], "reject", S.WITHDRAWN, roles=[P.REVIEWER], needs_reason=True, effects=[_withdrawn]
        ),
        move(
            [S.DRAFT, S.SUBMITTED, S.ISSUED, S.DISPUTED],
            "merge",
            S.MERGED,
            roles=[P.REVIEWER],
            needs_reason=True,
            gates=[_merged_into],
        ),
        move(S.ISSUED, "acknowledge", S.ACKNOWLEDGED, roles=[P.OWNER], gates=[_nonconformity], effects=[_acknowledged]),
        move(S.ISSUED, "dispute", S.DISPUTED, roles=[P.OWNER], needs_reason=True),
        move(S.DISPUTED, "maintain", S.ISSUED, roles=[P.REVIEWER], needs_reason=True),
        move(S.DISPUTED, "accept_dispute", S.ISSUED, roles=[P.REVIEWER], needs_reason=True),
        move(
            [S.ISSUED, S.DISPUTED, S.ACKNOWLEDGED, S.PLAN_SUBMITTED, S.PLAN_ACCEPTED, S.CONSIDERED],
            "withdraw",
            S.WITHDRAWN,
            roles=[P.REVIEWER],
            needs_reason=True,
            effects=[_withdrawn],
        ),
        move(
            [S.ACKNOWLEDGED, S.REOPENED],
            "submit_plan",
            S.PLAN_SUBMITTED,
            roles=[P.OWNER],
            gates=[_plan_complete],
            effects=[_plan_submitted],
        ),
        move(S.PLAN_SUBMITTED, "accept_plan", S.PLAN_ACCEPTED, roles=[P.REVIEWER], effects=[_plan_decided(True)]),
        move(
            S.PLAN_SUBMITTED,
            "return_plan",
            S.ACKNOWLEDGED,
            roles=[P.REVIEWER],
            needs_reason=True,
            effects=[_plan_decided(False)],
        ),
        move(
            S.PLAN_ACCEPTED,
            "mark_implemented",
            S.IMPLEMENTED,
            roles=[P.OWNER, P.ACTION_OWNER],
            gates=[_implemented],
            effects=[_marked_implemented],
        ),
        move(
            S.IMPLEMENTED,
            "verify_implementation",
            S.VERIFIED,
            roles=AUDITORS,
            gates=[_implementation_verified],
            effects=[_verified],
        ),
        move(S.IMPLEMENTED, "reject_implementation", S.PLAN_ACCEPTED, roles=AUDITORS, needs_reason=True),
        move(
            S.VERIFIED,
            "close_effective",
            S.CLOSED_EFFECTIVE,
            roles=AUDITORS,
            gates=[_effective],
            effects=[_closed_effective],
        ),
        move(S.VERIFIED, "not_effective", S.REOPENED, roles=AUDITORS, needs_reason=True, effects=[_reopened]),
        move(S.ISSUED, "consider", S.CONSIDERED, roles=[P.OWNER], gates=[_considered], effects=[_considered_effect]),
        move(S.CONSIDERED, "close", S.CLOSED, roles=AUDITORS, effects=[_closed]),
        move(S.ISSUED, "close", S.CLOSED, roles=[P.REVIEWER], gates=[_good_practice], effects=[_closed]),
    ],
    states=FindingStatus,
    wording=Wording(not_allowed="You may not do that with this finding."),
    record=_record,
)

#: The moves that carry no data besides a reason: one generic route (web) and operation (API) makes them; the others
#: (dispute and its answer, verification, effectiveness, consideration, merge) have their own forms and operations.
GENERIC_MOVES = (
    "submit",
    "return",
    "issue",
    "reject",
    "withdraw",
    "acknowledge",
    "submit_plan",
    "accept_plan",
    "return_plan",
    "mark_implemented",
    "reject_implementation",
    "close",
)

#: How each action is offered on a page and in the API.
ACTION_LABELS = {
    "submit": "Submit for review",
    "return": "Return to the auditor",
    "issue": "Issue to the auditee",
    "reject": "Reject",
    "merge": "Merge into another finding",
    "acknowledge": "Acknowledge",
    "dispute": "Dispute",
    "maintain": "Maintain the finding",
    "accept_dispute": "Accept the dispute",
    "withdraw": "Withdraw",
    "submit_plan": "Submit the plan",
    "accept_plan": "Accept the plan",
    "return_plan": "Return the plan",
    "mark_implemented": "Mark implemented",
    "verify_implementation": "Verify implementation",
    "reject_implementation": "Implementation not verified",
    "close_effective": "Close: effective",
    "not_effective": "Not effective: reopen",
    "consider": "Record consideration",
    "close": "Close",
}


def roles_of(user: User, finding: Finding) -> frozenset[str]:
    return frozenset(parties(user, finding))


def check_independence(user: User, finding: Finding, action: str) -> None:
    if action in VERIFYING and owns_current_action(user, finding):
        raise NotAllowed("The verifier must not be an action owner: ask another auditor to verify this finding.")


def act(finding: Finding, action: str, *, actor: User, reason: str = "") -> Transition[FindingStatus]:
    """Make one move of the finding's life cycle, if the actor's relation to it, its state and gates allow it."""
    roles = roles_of(actor, finding)
    if action in VERIFYING and FLOW.find(finding.status, action) is not None and roles & set(AUDITORS):
        check_independence(actor, finding, action)
    return FLOW.apply(finding, action, roles=roles, actor=actor, reason=reason)


def options(finding: Finding, user: User) -> list[Option[FindingStatus]]:
    """The moves the user may make now, each with what still blocks it."""
    if finding.status in (S.CLOSED, S.CLOSED_EFFECTIVE, S.WITHDRAWN, S.MERGED):
        return []
    return FLOW.options(finding, roles_of(user, finding))


__all__ = ["ACTION_LABELS", "FLOW", "GENERIC_MOVES", "InvalidTransition", "act", "options", "roles_of"]
