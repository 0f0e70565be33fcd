"""Compare two versions of the Statement of Applicability control by control: what was added, removed or changed,
each change as old → new."""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.models.soa import SoaEntry, SoaVersion
from audit_app.services.soa.versions import entries_of

NOTHING = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class ControlChange:
    ref: str
    title: str
    #: "added", "removed" or "changed".
    kind: str
    changes: list[FieldChange]


def decision(value: bool | None) -> str:
    return {True: "Applicable", False: "Excluded", None: "Not decided"}[value]


def described(entry: SoaEntry) -> dict[str, str]:
    """What an entry says, field by field, in words (the compare view and the exports show the same)."""
    return {
        "Decision": decision(entry.applicable),
        "Justification": entry.justification or NOTHING,
        "Implementation": entry.implementation.label if entry.implementation else NOTHING,
        "Owner unit": entry.owner_unit.name if entry.owner_unit else NOTHING,
        "Addresses": entry.addresses or NOTHING,
        "AI systems": ", ".join(s.name for s in entry.systems) or NOTHING,
        "Evidence": entry.evidence or NOTHING,
        "Last reviewed": entry.last_reviewed_on.isoformat() if entry.last_reviewed_on else NOTHING,
        "Title": entry.title,
    }


def compare(old: SoaVersion, new: SoaVersion) -> list[ControlChange]:
    """Every control that differs between `old` and `new`, in the order of `new` (removed ones last)."""
    before = {e.control_ref: e for e in entries_of(old)}
    after = entries_of(new)
    result = []
    for entry in after:
        earlier = before.pop(entry.control_ref, None)
        if earlier is None:
            result.append(ControlChange(entry.control_ref, entry.title, "added", []))
            continue
        a, b = described(earlier), described(entry)
        changes = [FieldChange(label, a[label], b[label]) for label in b if a[label] != b[label]]
        if changes:
            result.append(ControlChange(entry.control_ref, entry.title, "changed", changes))
    result += [ControlChange(ref, e.title, "removed", []) for ref, e in before.items()]
    return result
