"""Finding grades: the programme's scheme (DOMAIN 2.5), what each grade asks for, and its reference prefix."""

from __future__ import annotations

from typing import Any

from audit_app.models import DEFAULT_GRADES, AuditProgramme, Finding

#: Reference prefixes of the default grades; a programme's own grades get NC (nonconformities) or their code.
PREFIXES = {
    "major": "NC",
    "minor": "NC",
    "observation": "OBS",
    "ofi": "OFI",
    "good_practice": "GP",
    "stage1_concern": "AOC",
}
#: Grades that need at least one evidence link besides nonconformities (DOMAIN 2.7).
EVIDENCED = frozenset({"observation", "stage1_concern"})
#: The grade whose closure needs effectiveness evidence (DOMAIN 4.2).
MAJOR = "major"


def scheme(programme: AuditProgramme | None) -> list[dict[str, Any]]:
    """The grades findings of this programme may take (the default scheme outside any programme)."""
    return list(programme.grade_scheme) if programme is not None and programme.grade_scheme else list(DEFAULT_GRADES)


def entry(programme: AuditProgramme | None, code: str) -> dict[str, Any] | None:
    return next((g for g in scheme(programme) if g["code"] == code), None)


def choices(programme: AuditProgramme | None) -> list[tuple[str, str]]:
    return [(g["code"], g["label"]) for g in scheme(programme)]


def label(programme: AuditProgramme | None, code: str) -> str:
    found = entry(programme, code)
    return str(found["label"]) if found else code


def is_nonconformity(finding: Finding) -> bool:
    found = entry(finding.programme, finding.grade)
    return bool(found and found.get("nonconformity"))


def needs_evidence(finding: Finding) -> bool:
    """Nonconformities and observations are never raised without at least one evidence link."""
    return is_nonconformity(finding) or finding.grade in EVIDENCED


def is_major(finding: Finding) -> bool:
    return finding.grade == MAJOR


def is_good_practice(finding: Finding) -> bool:
    return finding.grade == "good_practice"


def prefix(finding: Finding) -> str:
    if is_nonconformity(finding):
        return "NC"
    return PREFIXES.get(finding.grade) or finding.grade.upper()[:6]


def grade_label(finding: Finding) -> str:
    return label(finding.programme, finding.grade)
