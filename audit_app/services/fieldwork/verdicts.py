"""What a result needs before it can be recorded (ISO 19011 6.4.7-6.4.8), and the subjects an item is judged for.

- A nonconformity or an observation needs a written statement and at least one evidence entry on the item.
- "Conforming" with no evidence entry needs a note saying how conformity was established.
- "Not applicable" is for Annex A controls only (clauses 4 to 10 cannot be excluded; exclusions come from the
  Statement of Applicability) and, like "not audited", needs a reason.

The same rules apply to an item's result as a whole and to its result for one AI system, unit or site, where the
evidence that counts is the item's entries that concern that subject or the item as a whole. The web form and the
API both reach them through responses.save_response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit_app.models import (
    Audit,
    ChecklistItem,
    Evidence,
    ResponseResult,
    SubjectKind,
    UnitKind,
)

NEEDS_EVIDENCE = (ResponseResult.NONCONFORMITY, ResponseResult.OBSERVATION)


@dataclass(frozen=True)
class Subject:
    """An in-scope AI system, unit or site that an item can have its own result for."""

    kind: SubjectKind
    id: int
    name: str
    #: "AI system", "Site", "Department" or "Process".
    label: str

    @property
    def key(self) -> tuple[SubjectKind, int]:
        return self.kind, self.id

    @property
    def token(self) -> str:
        """A form value naming the subject, e.g. "ai_system:3"."""
        return f"{self.kind.value}:{self.id}"

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label.lower()})"


def subjects_of(audit: Audit) -> list[Subject]:
    """The audit's in-scope AI systems, then its units and sites, by name."""
    systems = [Subject(SubjectKind.AI_SYSTEM, s.id, s.name, "AI system") for s in audit.scope_systems]
    units = [
        Subject(SubjectKind.ORG_UNIT, u.id, u.name, "Site" if u.kind is UnitKind.SITE else u.kind.label)
        for u in audit.scope_units
    ]
    return systems + units


def parse_token(token: str) -> tuple[SubjectKind, int] | None:
    """The subject a form value names ("" for the item as a whole); None when it is not a subject token."""
    kind, _, number = token.partition(":")
    if kind not in {k.value for k in SubjectKind} or not number.isdigit() or len(number) > 12:
        return None
    return SubjectKind(kind), int(number)


def evidence_for(entries: Iterable[Evidence], subject: tuple[SubjectKind, int] | None) -> int:
    """How many entries support a result: all of them for the item as a whole; for a subject, those that concern
    it or the item as a whole."""
    return sum(1 for e in entries if subject is None or e.subject in (None, subject))


def refusals(
    item: ChecklistItem, result: ResponseResult, statement: str, reason: str, evidence: int
) -> dict[str, list[str]]:
    """Why `result` cannot be recorded for `item` with this text and this many evidence entries, by field.

    `statement` is the written statement or note (the item's notes, or a subject's statement); `reason` the reason
    for "not applicable" / "not audited" (a subject's statement serves as both).
    """
    errors: dict[str, list[str]] = {}
    if result is ResponseResult.NOT_APPLICABLE and not item.ref.startswith("A."):
        errors["result"] = [
            f"{item.ref} is a requirement of clauses 4 to 10, which cannot be excluded: only Annex A controls can be "
            "not applicable. If it could not be audited, record “Not audited” with the reason."
        ]
    if result in NEEDS_EVIDENCE:
        if not statement:
            errors["statement"] = [
                f"Write the statement of the {result.label.lower()}: the requirement, what was found and where."
            ]
        if evidence == 0:
            errors.setdefault("result", []).append(
                f"A result of “{result.label}” needs at least one evidence entry on the item: add the evidence "
                "that supports it first (or with this save)."
            )
    if result is ResponseResult.CONFORMING and evidence == 0 and not statement:
        errors["statement"] = [
            "No evidence entry supports “Conforming”: add one, or say in the notes how conformity was established."
        ]
    if result.needs_reason and not reason:
        errors["reason"] = [f"Say why the item is {result.label.lower()}."]
    return errors
