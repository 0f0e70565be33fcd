"""The exhaustive state-machine test: every (state, action, role) combination of the finding life cycle.

The expected outcomes are written out by hand below (an independent statement of DOMAIN 4.2, not read from
flow.FLOW). Each starting state is built through the factories and the services, with its gates satisfied (a plan
written, actions implemented, verification text), in one world per state; every combination runs in a savepoint
that is rolled back afterwards. Allowed moves succeed and appear in the history (event "status", old → new, actor);
every other move is refused with a clear reason and changes nothing (status, version, history count).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.errors import InvalidTransition, NotAllowed, NotFound
from audit_app.extensions import db
from audit_app.models import (
    Consideration,
    Finding,
    FindingHistory,
    FindingStatus,
    RcaMethod,
    Role,
    User,
)
from audit_app.services.findings import capa, disputes, dues, flow, merging
from tests.fixtures.findings import Findings

S = FindingStatus
ROLES = ("raiser", "reviewer", "owner", "action_owner", "other_auditee", "off_team_auditor", "management")
AUDITORS = {"raiser", "reviewer"}
REVIEWER = {"reviewer"}
OWNER = {"owner"}

#: (state, action) -> the roles that may make the move (with the state's gates satisfied). Anything else: refused.
ALLOWED: dict[tuple[S, str], set[str]] = {
    (S.DRAFT, "submit"): AUDITORS,
    (S.DRAFT, "reject"): REVIEWER,
    (S.DRAFT, "merge"): REVIEWER,
    (S.SUBMITTED, "return"): REVIEWER,
    (S.SUBMITTED, "issue"): REVIEWER,
    (S.SUBMITTED, "reject"): REVIEWER,
    (S.SUBMITTED, "merge"): REVIEWER,
    (S.ISSUED, "acknowledge"): OWNER,
    (S.ISSUED, "dispute"): OWNER,
    (S.ISSUED, "merge"): REVIEWER,
    (S.ISSUED, "withdraw"): REVIEWER,
    (S.ISSUED, "consider"): OWNER,
    (S.ISSUED, "close"): REVIEWER,
    (S.DISPUTED, "maintain"): REVIEWER,
    (S.DISPUTED, "accept_dispute"): REVIEWER,
    (S.DISPUTED, "withdraw"): REVIEWER,
    (S.DISPUTED, "merge"): REVIEWER,
    (S.ACKNOWLEDGED, "submit_plan"): OWNER,
    (S.ACKNOWLEDGED, "withdraw"): REVIEWER,
    (S.PLAN_SUBMITTED, "accept_plan"): REVIEWER,
    (S.PLAN_SUBMITTED, "return_plan"): REVIEWER,
    (S.PLAN_SUBMITTED, "withdraw"): REVIEWER,
    (S.PLAN_ACCEPTED, "mark_implemented"): {"owner", "action_owner"},
    (S.PLAN_ACCEPTED, "withdraw"): REVIEWER,
    (S.IMPLEMENTED, "verify_implementation"): AUDITORS,
    (S.IMPLEMENTED, "reject_implementation"): AUDITORS,
    (S.VERIFIED, "close_effective"): AUDITORS,
    (S.VERIFIED, "not_effective"): AUDITORS,
    (S.REOPENED, "submit_plan"): OWNER,
    (S.CONSIDERED, "close"): AUDITORS,
    (S.CONSIDERED, "withdraw"): REVIEWER,
}

#: Grade variants of the issued state: which moves only the grade's gate refuses.
GATED_BY_GRADE = {
    "minor": {"consider", "close"},
    "observation": {"acknowledge", "close"},
    "good_practice": {"acknowledge", "consider"},
}

REASON = "Reason given for the record."


# --- building each state ---------------------------------------------------------------------------------------


class World:
    def __init__(self, fw_world) -> None:
        self.f = Findings(fw_world)
        w = fw_world
        from tests.fixtures.planning import Planning

        ava = Planning(0).user(Role.AUDITEE, name="Ava Action-Owner")  # of no unit: only her action ties her in
        self.users = {
            "raiser": w.auditor_id,
            "reviewer": w.lead_id,
            "owner": w.auditee_id,
            "action_owner": ava.id,
            "other_auditee": w.stranger_id,
            "off_team_auditor": w.loner_id,
            "management": w.viewer_id,
        }

    def user(self, role: str) -> User:
        return db.session.get(User, self.users[role])

    def plan(self, finding: Finding) -> None:
        """The plan of the current cycle, complete, with one action owned by the action owner (not submitted)."""
        capa.save_plan(
            finding,
            capa.PlanInput(
                correction="Assessments completed for the three releases.",
                rca_method=RcaMethod.FIVE_WHYS,
                rca_analysis="Why 1: no assessment. Why 2: the checklist did not ask for one.",
                root_cause="No gate in the release workflow.",
                extent_check="The batch pipeline has the same gap.",
            ),
            actor=self.user("owner"),
        )
        capa.add_action(
            finding,
            capa.ActionInput("Add the gate.", self.users["action_owner"], dues.today() + timedelta(days=20)),
            actor=self.user("owner"),
        )

    def implement(self, finding: Finding) -> None:
        for action in [a for a in finding.actions if a.cycle == finding.cycle]:
            capa.record_implementation(action, note="Gate live; change CH-88.", actor=self.user("action_owner"))

    def build(self, state: S, grade: str = "minor") -> tuple[Finding, Finding]:
        """A finding in `state` (gates of its moves satisfied), and another draft to merge into."""
        f, ava = self.f, self.users["action_owner"]
        into = f.draft()
        finding = f.draft(grade)
        if state is S.DRAFT:
            pass
        elif state in (S.SUBMITTED, S.ISSUED, S.PLAN_SUBMITTED, S.CLOSED_EFFECTIVE):
            f.to(finding, state, action_owner_id=ava)
            if state is S.ISSUED and grade == "observation":
                finding.consideration, finding.consideration_note = Consideration.DECLINED, "Not worth it now."
        elif state is S.DISPUTED:
            f.to(finding, S.ISSUED)
            disputes.dispute(finding, reason="The evidence predates the new procedure.", actor=self.user("owner"))
        elif state is S.ACKNOWLEDGED:
            f.to(finding, S.ACKNOWLEDGED)
            self.plan(finding)
        elif state is S.PLAN_ACCEPTED:
            f.to(finding, S.PLAN_ACCEPTED, action_owner_id=ava)
            self.implement(finding)
        elif state is S.IMPLEMENTED:
            f.to(finding, S.IMPLEMENTED, action_owner_id=ava)
            finding.implementation_verification = "Saw the gate in the pipeline configuration."
        elif state is S.VERIFIED:
            f.to(finding, S.VERIFIED, action_owner_id=ava)
            finding.effectiveness_review = "Re-sampled ten releases: all assessed."
            finding.effectiveness_evidence = "Re-sample RS-1"
        elif state is S.REOPENED:
            f.to(finding, S.VERIFIED, action_owner_id=ava)
            capa.review_effectiveness(
                finding,
                effective=False,
                review="Two new releases skipped it.",
                actor=self.user("raiser"),
                reason=REASON,
            )
            self.plan(finding)
        elif state in (S.CONSIDERED, S.CLOSED):
            f.to(finding, S.ISSUED)
            capa.consider(
                finding, outcome=Consideration.ACTION_TAKEN, note="Added to the backlog.", actor=self.user("owner")
            )
            if state is S.CLOSED:
                flow.act(finding, "close", actor=self.user("raiser"))
        elif state is S.WITHDRAWN:
            flow.act(finding, "reject", actor=self.user("reviewer"), reason=REASON)
        elif state is S.MERGED:
            merging.merge(finding, into, actor=self.user("reviewer"), reason=REASON)
        else:  # pragma: no cover - every state is listed in STATES
            raise AssertionError(state)
        db.session.commit()
        assert finding.status is state
        return finding, into


def perform(finding: Finding, into: Finding, action: str, actor: User) -> None:
    if action == "merge":
        merging.merge(finding, into, actor=actor, reason=REASON)
    else:
        flow.act(finding, action, actor=actor, reason=REASON)


def attempt(finding_id: int, into_id: int, action: str, actor: User) -> str | None:
    """Make the move; None when it went through, else the refusal as "ExceptionName: message"."""
    try:
        perform(db.session.get(Finding, finding_id), db.session.get(Finding, into_id), action, actor)
        db.session.flush()
    except (NotAllowed, InvalidTransition, NotFound) as exc:
        db.session.flush()
        return f"{type(exc).__name__}: {exc}"
    return None


def check_recorded(finding_id: int, state: S, action: str, actor: User, before: tuple[str, int, int]) -> None:
    """The move reached its target and the history says old → new, by whom and when."""
    target = flow.FLOW.find(state, action).target
    status, _, count = _facts(finding_id)
    assert status == target
    assert count > before[2]
    moved = db.session.scalars(
        sa.select(FindingHistory)
        .where(FindingHistory.finding_id == finding_id, FindingHistory.event == "status")
        .order_by(FindingHistory.id.desc())
        .limit(1)
    ).one()
    assert (moved.old_value, moved.new_value, moved.actor_id) == (state.value, target.value, actor.id)
    assert moved.at is not None


def _facts(finding_id: int) -> tuple[str, int, int]:
    status, version = db.session.execute(
        sa.select(Finding.status, Finding.version).where(Finding.id == finding_id)
    ).one()
    count = db.session.scalar(
        sa.select(sa.func.count(FindingHistory.id)).where(FindingHistory.finding_id == finding_id)
    )
    return status, version, count


STATES: list[tuple[S, str]] = [
    (S.DRAFT, "minor"),
    (S.SUBMITTED, "minor"),
    (S.ISSUED, "minor"),
    (S.ISSUED, "observation"),
    (S.ISSUED, "good_practice"),
    (S.DISPUTED, "minor"),
    (S.ACKNOWLEDGED, "minor"),
    (S.PLAN_SUBMITTED, "minor"),
    (S.PLAN_ACCEPTED, "minor"),
    (S.IMPLEMENTED, "minor"),
    (S.VERIFIED, "major"),
    (S.CLOSED_EFFECTIVE, "minor"),
    (S.REOPENED, "minor"),
    (S.CONSIDERED, "observation"),
    (S.CLOSED, "observation"),
    (S.WITHDRAWN, "minor"),
    (S.MERGED, "minor"),
]


def test_every_state_is_covered():
    assert {state for state, _ in STATES} == set(FindingStatus)
    assert {action for _, action in ALLOWED} <= set(flow.FLOW.actions)


@pytest.mark.parametrize(("state", "grade"), STATES, ids=[f"{s.value}-{g}" for s, g in STATES])
def test_every_action_by_every_role(app, fw_world, state, grade):
    with app.app_context():
        world = World(fw_world)
        finding, into = world.build(state, grade)
        finding_id = finding.id
        gated = GATED_BY_GRADE.get(grade, set()) if state is S.ISSUED else set()
        outcomes: dict[tuple[str, str], str] = {}
        for action in flow.FLOW.actions:
            for role in ROLES:
                before = _facts(finding_id)
                savepoint = db.session.begin_nested()
                try:
                    actor = world.user(role)
                    refusal = attempt(finding_id, into.id, action, actor)
                    where = f"{state.value}/{action}/{role}"
                    allowed = role in ALLOWED.get((state, action), set()) and action not in gated
                    if refusal is None:
                        outcomes[(action, role)] = "done"
                        assert allowed, f"{where} should be refused"
                        check_recorded(finding_id, state, action, actor, before)
                    else:
                        outcomes[(action, role)] = "refused"
                        assert not allowed, f"{where} refused: {refusal}"
                        assert refusal.strip(), "a refusal says why"
                        assert _facts(finding_id) == before, f"{where} changed something"
                        if action in gated and role in ALLOWED.get((state, action), set()):  # only the grade's gate
                            assert refusal.startswith("InvalidTransition: Not ready"), refusal
                finally:
                    savepoint.rollback()
                    db.session.expire_all()
        expected_done = {(a, r) for (s, a), roles in ALLOWED.items() if s is state and a not in gated for r in roles}
        assert {k for k, v in outcomes.items() if v == "done"} == expected_done
        assert len(outcomes) == len(flow.FLOW.actions) * len(ROLES)


def test_the_verifier_must_not_own_an_action(app, fw_world):
    with app.app_context():
        world = World(fw_world)
        f = world.f
        finding = f.draft()
        f.to(finding, S.IMPLEMENTED, action_owner_id=fw_world.second_id)  # an auditor on the team owns the action
        db.session.commit()
        second = db.session.get(User, fw_world.second_id)
        before = _facts(finding.id)
        with pytest.raises(NotAllowed, match="verifier must not be an action owner"):
            capa.verify_implementation(finding, note="I checked my own work.", actor=second)
        db.session.rollback()
        assert _facts(finding.id) == before
        with pytest.raises(NotAllowed, match="verifier must not be an action owner"):
            flow.act(finding, "reject_implementation", actor=second, reason=REASON)
        capa.verify_implementation(finding, note="Saw the gate.", actor=world.user("raiser"))
        assert finding.status is S.VERIFIED
        with pytest.raises(NotAllowed, match="verifier must not be an action owner"):
            capa.review_effectiveness(finding, effective=True, review="Fine.", evidence="RS-2", actor=second)
