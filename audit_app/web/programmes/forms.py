"""The programme form: record fields, plus one row per finding grade with its due-date policy.

The form checks shape only; `programmes.save_programme` checks the rules (codes, periods, grades, days).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from audit_app.errors import ValidationFailed
from audit_app.models import DUE_STEPS, AuditProgramme, ProgrammeStatus
from audit_app.models.programme import default_due_policy, default_grades
from audit_app.services.library import checklists
from audit_app.services.planning import programmes
from audit_app.web.forms import show_errors

#: The checklist a new programme is measured against unless the planner picks another.
DEFAULT_CHECKLIST = "iso42001"
#: Blank grade rows offered for adding grades.
BLANK_ROWS = 2
TEXT_LIMIT = [Length(max=10000)]

HINTS = {
    "objectives": (
        "What the programme must achieve (ISO 19011 5.2), e.g. confirm conformity with ISO/IEC 42001 before the "
        "stage 1 audit, or check the effectiveness of the A.7 data controls after a new model launch."
    ),
    "risks": (
        "Risks to the programme itself (ISO 19011 5.3), one per line: poor planning, too few or insufficiently "
        "competent auditors, incomplete scope, unavailable auditees, evidence confidentiality, remote-audit "
        "technology failure, lack of AI or technical expertise."
    ),
    "opportunities": (
        "One per line, e.g. combining audits with ISO/IEC 27001, sharing auditors across sites, "
        "remote sessions to reach more units."
    ),
    "extent": (
        "Number, type, duration and locations of audits. Cover all clauses and all applicable Annex A controls "
        "over the cycle, prioritised by process importance, risk, changes and previous results (42001 9.2.2)."
    ),
    "resources": (
        "Auditors and their competence in management systems and AI, technical experts, time, tools and budget."
    ),
    "methods": (
        "On-site, remote or hybrid; interviews, observation, document and record review, re-performance, data analysis."
    ),
}

STEP_LABELS = {
    "acknowledge": "Acknowledge",
    "correction": "Correction",
    "plan": "Cause analysis and plan",
    "implementation": "Implementation",
    "effectiveness": "Effectiveness review",
}


class GradeRowForm(Form):
    """One grade of the scheme and its due times; a row whose code is empty is dropped."""

    code = StringField("Code")
    label = StringField("Label")
    nonconformity = BooleanField("Is a nonconformity")
    acknowledge = StringField(STEP_LABELS["acknowledge"])
    correction = StringField(STEP_LABELS["correction"])
    plan = StringField(STEP_LABELS["plan"])
    implementation = StringField(STEP_LABELS["implementation"])
    effectiveness = StringField(STEP_LABELS["effectiveness"])


def _text(label: str, name: str) -> TextAreaField:
    return TextAreaField(label, validators=TEXT_LIMIT, render_kw={"rows": 4}, description=HINTS[name])


class ProgrammeForm(FlaskForm):
    code = StringField("Period code", validators=[InputRequired(), Length(max=20)])
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    period_start = DateField("Period start", validators=[InputRequired()])
    period_end = DateField("Period end", validators=[InputRequired()])
    status = SelectField("Status", choices=[SelectChoice(s.value, s.label) for s in ProgrammeStatus])
    checklist_version_id = SelectField("Reference checklist", choices=[])
    manager_id = SelectField("Programme manager", choices=[])
    certification_profile = BooleanField(
        "Certification-body profile",
        description="Simulates a certification body: every major nonconformity of a stage 2 simulation audit must be "
        "verified closed before the certification decision (within 90 days of the stage 2 audit's last day); a "
        "major still open six months after it means stage 2 must be repeated.",
    )
    closing_reason = TextAreaField(
        "Reason for closing although the stated extent is not met",
        validators=TEXT_LIMIT,
        render_kw={"rows": 3},
        description="Required when you close a programme whose audits are not all completed or whose clauses and "
        "controls were not all audited.",
    )
    objectives = _text("Objectives", "objectives")
    risks = _text("Risks to the programme", "risks")
    opportunities = _text("Opportunities", "opportunities")
    extent = _text("Extent", "extent")
    resources = _text("Resources", "resources")
    methods = _text("Methods", "methods")
    grades = FieldList(FormField(GradeRowForm), max_entries=40)
    submit = SubmitField("Save programme")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grade_errors: list[str] = []
        self.due_errors: list[str] = []

    # -- set up ---------------------------------------------------------------------------------------------------

    def set_managers(self, programme: AuditProgramme | None, current_user_id: int) -> None:
        """Lead auditors and administrators may manage a programme; the current manager (or you) is chosen."""
        self.manager_id.choices = [SelectChoice(str(u.id), u.name) for u in programmes.manager_candidates()]
        if self.manager_id.data is None:
            manager = programme.manager_id if programme is not None and programme.manager_id else current_user_id
            self.manager_id.data = str(manager)

    def set_versions(self) -> None:
        versions = checklists.list_versions()
        self.checklist_version_id.choices = [
            SelectChoice(str(v.id), f"{v.checklist.code}: {v.label}") for v in versions
        ]
        if self.checklist_version_id.data is None:
            preferred = next((v for v in versions if v.checklist.code == DEFAULT_CHECKLIST), None)
            chosen = preferred or (versions[0] if versions else None)
            self.checklist_version_id.data = str(chosen.id) if chosen else ""

    def load(self, programme: AuditProgramme | None) -> None:
        """Fill the grade rows (and selects) for a first GET: from the programme, or the model's defaults."""
        grades = programme.grade_scheme if programme else default_grades()
        policy = programme.due_policy if programme else default_due_policy()
        if programme is not None:
            self.status.data = programme.status.value
            self.checklist_version_id.data = str(programme.checklist_version_id)
        while self.grades.entries:
            self.grades.pop_entry()
        for grade in grades:
            steps = policy.get(grade["code"], {})
            row = {step: "" if steps.get(step) is None else str(steps[step]) for step in DUE_STEPS}
            self.grades.append_entry({**grade, **row})
        self.add_blank_rows()

    def add_blank_rows(self) -> None:
        """Keep a couple of empty rows at the end, for adding grades."""
        blank = sum(1 for entry in self.grades.entries if not (entry.form.code.data or "").strip())
        for _ in range(max(0, BLANK_ROWS - blank)):
            if len(self.grades.entries) >= (self.grades.max_entries or 40):
                break
            self.grades.append_entry()

    # -- reading ---------------------------------------------------------------------------------------------------

    def grade_rows(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]] | None:
        """The grade scheme and due policy as posted; None when the post holds no grade rows at all."""
        if not self.grades.entries:
            return None
        scheme: list[dict[str, Any]] = []
        policy: dict[str, dict[str, str]] = {}
        for entry in self.grades.entries:
            row = entry.form
            code = (row.code.data or "").strip()
            if not code:
                continue  # clearing the code removes the grade
            scheme.append({"code": code, "label": row.label.data or "", "nonconformity": bool(row.nonconformity.data)})
            policy[code] = {step: (getattr(row, step).data or "").strip() for step in DUE_STEPS}
        return scheme, policy

    def to_data(self) -> programmes.ProgrammeData:
        rows = self.grade_rows()
        return programmes.ProgrammeData(
            code=self.code.data or "",
            title=self.title.data or "",
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            checklist_version_id=int(self.checklist_version_id.data or 0),
            objectives=self.objectives.data or "",
            risks=self.risks.data or "",
            opportunities=self.opportunities.data or "",
            extent=self.extent.data or "",
            resources=self.resources.data or "",
            methods=self.methods.data or "",
            status=ProgrammeStatus(self.status.data),
            manager_id=int(self.manager_id.data) if (self.manager_id.data or "").isdigit() else None,
            closing_reason=self.closing_reason.data or "",
            certification_profile=bool(self.certification_profile.data),
            grade_scheme=rows[0] if rows else None,
            due_policy=rows[1] if rows else None,  # type: ignore[arg-type]  # the service checks the values
        )

    # -- errors ----------------------------------------------------------------------------------------------------

    def show_errors(self, exc: ValidationFailed) -> None:
        """Put the service's errors beside their fields; grade and due-policy errors beside their tables."""
        self.grade_errors = list(exc.errors.get("grade_scheme", []))
        self.due_errors = list(exc.errors.get("due_policy", []))
        rest = {k: v for k, v in exc.errors.items() if k not in ("grade_scheme", "due_policy")}
        if rest:
            show_errors(self, ValidationFailed(str(exc), rest))
        if self.grade_errors or self.due_errors:
            self.form_errors.append(str(exc))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.form_errors or self.grade_errors or self.due_errors)
