"""Declarative state machines: one table of transitions drives every move, its checks and its effects.

A `Workflow` holds rows of (source states, action, target, roles allowed, gates, effects). `apply` refuses a
move that is not in the table (InvalidTransition), one the actor's roles do not allow (NotAllowed), one
without a reason where a reason is needed, and one whose gates report blockers — each with a sentence the
user can act on, and without changing anything. An allowed move is a compare-and-set on the state column,
so two requests racing for the same move cannot both succeed (the loser gets ChangedMeanwhile), then its
effects run and the `record` hook writes the history with who, when and why.

Roles are whatever the caller's access policy says the actor is towards the record (a set of names), so
one table serves account roles and relationships alike ("the audit's lead", "an auditor on the team").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import attributes, object_session

from audit_app.errors import ChangedMeanwhile, InvalidTransition, NotAllowed
from audit_app.services.text import clean

S = TypeVar("S", bound=enum.Enum)

#: The longest reason a move keeps (the forms and the API allow as much).
REASON_MAX_LENGTH = 4000

#: What blocks a move: a list of sentences (empty when the gate holds).
Gate = Callable[[Any], list[str]]
#: Runs after the state has changed, in the same transaction: (record, actor, reason).
Effect = Callable[[Any, Any, str], None]
#: Writes the history of one move: (record, transition, source, actor, reason).
Recorder = Callable[[Any, "Transition[Any]", Any, Any, str], None]


@dataclass(frozen=True)
class Transition(Generic[S]):
    sources: frozenset[S]
    action: str
    target: S
    roles: frozenset[str]
    needs_reason: bool = False
    gates: tuple[Gate, ...] = ()
    effects: tuple[Effect, ...] = ()


def move(
    sources: Iterable[S] | S,
    action: str,
    target: S,
    *,
    roles: Iterable[str],
    needs_reason: bool = False,
    gates: Iterable[Gate] = (),
    effects: Iterable[Effect] = (),
) -> Transition[S]:
    """One row of a transition table."""
    source_set = frozenset([sources]) if isinstance(sources, enum.Enum) else frozenset(sources)
    return Transition(source_set, action, target, frozenset(roles), needs_reason, tuple(gates), tuple(effects))


@dataclass(frozen=True)
class Option(Generic[S]):
    """A move offered from the current state, with what still blocks it."""

    transition: Transition[S]
    blockers: tuple[str, ...]

    @property
    def target(self) -> S:
        return self.transition.target

    @property
    def needs_reason(self) -> bool:
        return self.transition.needs_reason


@dataclass(frozen=True)
class Wording:
    """The sentences a workflow refuses with; each receives the record's noun and the states or action."""

    not_allowed: str = "You may not change the status of this {noun}."
    #: (noun, state, action, the moves the state allows) -> sentence
    not_in_table: Callable[[str, Any, str, list[Transition[Any]]], str] = lambda noun, state, action, moves: (
        f"A {noun} in {_word(state)} cannot {action.replace('_', ' ')}. "
        f"Allowed: {', '.join(t.action.replace('_', ' ') for t in moves) or 'none: it is final'}."
    )
    needs_reason: Callable[[str, Transition[Any]], str] = lambda noun, t: (
        f"Give a reason to {t.action.replace('_', ' ')} the {noun}."
    )
    blocked: Callable[[str, Transition[Any], list[str]], str] = lambda noun, t, blockers: (
        f"Not ready to {t.action.replace('_', ' ')}: " + " ".join(blockers)
    )
    changed_meanwhile: str = (
        "The {noun} changed state while you were working; nothing was changed. Reload and try again."
    )


def _word(state: Any) -> str:
    label = getattr(state, "label", None)
    return str(label if label is not None else state).lower()


class Workflow(Generic[S]):
    """A transition table for records whose state lives in one column (`state`)."""

    def __init__(
        self,
        noun: str,
        transitions: Iterable[Transition[S]],
        *,
        states: type[S],
        state: str = "status",
        wording: Wording | None = None,
        record: Recorder | None = None,
    ) -> None:
        self.noun = noun
        self.transitions = tuple(transitions)
        self.states = states
        self.state = state
        self.wording = wording or Wording()
        self._record = record
        seen: set[tuple[S, str]] = set()
        for t in self.transitions:
            for source in t.sources:
                if (source, t.action) in seen:
                    raise ValueError(f"{noun}: two rows for {source} / {t.action}")
                seen.add((source, t.action))

    # --- reading the table -------------------------------------------------------------------------------

    @property
    def actions(self) -> list[str]:
        return list(dict.fromkeys(t.action for t in self.transitions))

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for t in self.transitions for role in t.roles)

    def find(self, state: S, action: str) -> Transition[S] | None:
        return next((t for t in self.transitions if state in t.sources and t.action == action), None)

    def from_state(self, state: S) -> list[Transition[S]]:
        return [t for t in self.transitions if state in t.sources]

    def is_final(self, state: S) -> bool:
        return not self.from_state(state)

    def blockers(self, record: Any, transition: Transition[S]) -> list[str]:
        return [blocker for gate in transition.gates for blocker in gate(record)]

    def options(self, record: Any, roles: Iterable[str]) -> list[Option[S]]:
        """The moves `roles` may make from the record's state, each with its blockers."""
        held = frozenset(roles)
        return [
            Option(t, tuple(self.blockers(record, t)))
            for t in self.from_state(getattr(record, self.state))
            if t.roles & held
        ]

    # --- moving ------------------------------------------------------------------------------------------

    def check(self, record: Any, action: str, *, roles: Iterable[str], reason: str = "") -> Transition[S]:
        """The transition `action` would take, or the refusal (nothing is changed either way)."""
        held = frozenset(roles)
        if not any(t.roles & held for t in self.transitions if t.action == action):
            raise NotAllowed(self.wording.not_allowed.format(noun=self.noun))
        state = getattr(record, self.state)
        transition = self.find(state, action)
        if transition is None:
            raise InvalidTransition(self.wording.not_in_table(self.noun, state, action, self.from_state(state)))
        if not transition.roles & held:
            raise NotAllowed(self.wording.not_allowed.format(noun=self.noun))
        if transition.needs_reason and not reason.strip():
            raise InvalidTransition(self.wording.needs_reason(self.noun, transition))
        blockers = self.blockers(record, transition)
        if blockers:
            raise InvalidTransition(self.wording.blocked(self.noun, transition, blockers))
        return transition

    def apply(self, record: Any, action: str, *, roles: Iterable[str], actor: Any, reason: str = "") -> Transition[S]:
        """Make the move if the table, the roles, the reason and the gates allow it; record who, when and why.

        Once the move itself is allowed, the reason is cleaned like every user text before anything is stored
        (a NUL, a control character or an over-long reason is refused with ValidationFailed naming `reason`).
        """
        transition = self.check(record, action, roles=roles, reason=reason or "")
        reason = clean(reason, field="reason", max_length=REASON_MAX_LENGTH, multiline=True)
        source = getattr(record, self.state)
        self._swap(record, source, transition.target)
        for effect in transition.effects:
            effect(record, actor, reason)
        if self._record is not None:
            self._record(record, transition, source, actor, reason)
        return transition

    def _swap(self, record: Any, source: S, target: S) -> None:
        """Set the state only if it is still `source` in the database (one winner when requests race)."""
        session = object_session(record)
        identity = sa.inspect(record).identity
        if session is None or identity is None:
            setattr(record, self.state, target)
            return
        mapper = sa.inspect(type(record))
        (key_column,) = mapper.primary_key
        state_column = mapper.columns[self.state]
        result = session.execute(
            sa.update(mapper.local_table)
            .where(key_column == identity[0], state_column == source)
            .values({state_column.key: target})
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise ChangedMeanwhile(self.wording.changed_meanwhile.format(noun=self.noun))
        attributes.set_committed_value(record, self.state, target)
