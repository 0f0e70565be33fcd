"""Finding forms: they check the shape of the input; the services (services/findings/) hold the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from audit_app.models import (
    Audit,
    AuditProgramme,
    ChecklistResponse,
    Evidence,
    Finding,
    FindingSource,
    Sample,
    SampleStatus,
    User,
)
from audit_app.services.findings import grades
from audit_app.services.findings.records import FindingInput
from audit_app.web.forms import optional_id
from audit_app.web.planning.forms import CheckboxListField

NONE = ("", "Not given")
SYSTEMIC = [SelectChoice("isolated", "Isolated"), SelectChoice("systemic", "Systemic")]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _whole(value: str | None) -> int | None:
    return optional_id(value) if (value or "").isdigit() else None


class FindingForm(FlaskForm):
    """Drafting or editing a finding of an audit (the outside-audit form adds where it comes from)."""

    version = HiddenField()
    grade = SelectField("Grade", validators=[InputRequired(message="Choose a grade.")], validate_choice=False)
    title = StringField("Title", validators=[Length(max=200)])
    systemic = RadioField("Isolated or systemic", choices=SYSTEMIC, default="isolated")
    grade_rationale = TextAreaField("Why this grade", validators=[Length(max=4000)], render_kw={"rows": 3})
    clause_refs = SelectMultipleField("Clauses and controls", validate_choice=False, render_kw={"size": 8})
    other_criteria = TextAreaField("Other criteria", validators=[Length(max=4000)], render_kw={"rows": 2})
    ai_system_id = SelectField("AI system where found", validators=[Optional()], validate_choice=False)
    location_unit_id = SelectField("Unit where found", validators=[Optional()], validate_choice=False)
    site = StringField("Site where found", validators=[Length(max=200)])
    requirement = TextAreaField("Requirement (in your own words)", validators=[Length(max=8000)], render_kw={"rows": 3})
    statement = TextAreaField("Statement", validators=[Length(max=8000)], render_kw={"rows": 3})
    evidence_summary = TextAreaField(
        "Objective evidence (summary)", validators=[Length(max=16000)], render_kw={"rows": 4}
    )
    evidence_ids = CheckboxListField("Evidence entries cited")
    response_ids = CheckboxListField("Checklist items it comes from")
    sample_ids = CheckboxListField("Evaluated samples cited")
    auditee_unit_id = SelectField("Auditee org unit", validators=[Optional()], validate_choice=False)
    process_owner_id = SelectField("Process owner", validators=[Optional()], validate_choice=False)
    reason = TextAreaField("Reason for the change", validators=[Length(max=4000)], render_kw={"rows": 2})
    submit = SubmitField("Save the finding")

    def set_choices(
        self,
        programme: AuditProgramme | None,
        audit: Audit | None,
        *,
        units: list[tuple[int, str]],
        owners: list[User],
        responses: list[ChecklistResponse] = (),  # type: ignore[assignment]
        evidence: list[Evidence] = (),  # type: ignore[assignment]
        samples: list[Sample] = (),  # type: ignore[assignment]
    ) -> None:
        self.grade.choices = grades.choices(programme)
        if audit is not None:
            self.clause_refs.choices = [(i.ref, f"{i.ref} {i.title}") for i in audit.scope_items if i.auditable]
            self.ai_system_id.choices = [NONE, *((str(s.id), s.name) for s in audit.scope_systems)]
        else:
            self.ai_system_id.choices = [NONE]
        unit_choices = [NONE, *((str(i), name) for i, name in units)]
        self.location_unit_id.choices = unit_choices
        self.auditee_unit_id.choices = unit_choices
        self.process_owner_id.choices = [NONE, *((str(u.id), u.name) for u in owners)]
        self.response_ids.choices = [(r.id, f"{r.item.ref} {r.item.title}") for r in responses]
        self.evidence_ids.choices = [
            (e.id, f"#{e.id} {e.response.item.ref}: {e.source} ({e.evidence_date.isoformat()})") for e in evidence
        ]
        self.sample_ids.choices = [
            (s.id, f"{s.reference} {s.title}") for s in samples if s.status is SampleStatus.EVALUATED
        ]

    def fill(self, finding: Finding) -> None:
        """Start an edit form from the finding's current values."""
        data = FindingInput.of(finding)
        self.version.data = str(finding.version)
        self.grade.data = data.grade
        self.title.data = data.title
        self.systemic.data = "systemic" if data.systemic else "isolated"
        for name in ("grade_rationale", "other_criteria", "site", "requirement", "statement", "evidence_summary"):
            getattr(self, name).data = getattr(data, name)
        self.clause_refs.data = list(data.clause_refs or [])
        for name in ("ai_system_id", "location_unit_id", "auditee_unit_id", "process_owner_id"):
            value = getattr(data, name)
            getattr(self, name).data = str(value) if value else ""
        self.evidence_ids.data = list(data.evidence_ids or [])
        self.response_ids.data = list(data.response_ids or [])
        self.sample_ids.data = list(data.sample_ids or [])

    def to_input(self, *, links: bool = True) -> FindingInput:
        return FindingInput(
            grade=self.grade.data or "",
            title=self.title.data or "",
            requirement=self.requirement.data or "",
            statement=self.statement.data or "",
            evidence_summary=self.evidence_summary.data or "",
            grade_rationale=self.grade_rationale.data or "",
            systemic=self.systemic.data == "systemic",
            other_criteria=self.other_criteria.data or "",
            site=self.site.data or "",
            ai_system_id=_whole(self.ai_system_id.data),
            location_unit_id=_whole(self.location_unit_id.data),
            auditee_unit_id=_whole(self.auditee_unit_id.data),
            process_owner_id=_whole(self.process_owner_id.data),
            clause_refs=[r for r in (self.clause_refs.data or []) if r],
            evidence_ids=list(self.evidence_ids.data or []) if links else None,
            response_ids=list(self.response_ids.data or []) if links else None,
            sample_ids=list(self.sample_ids.data or []) if links else None,
        )


class OutsideFindingForm(FindingForm):
    """A finding raised outside an audit: where it comes from; criteria typed as clause ids."""

    source = SelectField(
        "Where it comes from",
        choices=[SelectChoice(s.value, s.label) for s in FindingSource if s is not FindingSource.AUDIT],
        validators=[InputRequired(message="Say where the finding comes from.")],
    )
    source_reference = StringField("Source reference", validators=[Length(max=300)])
    occurred_on = DateField("Date it happened or was detected", validators=[Optional()])
    programme_id = SelectField("Programme (for its grade scheme)", validators=[Optional()], validate_choice=False)
    clause_text = StringField("Clauses and controls (ids)", validators=[Length(max=1000)])

    def fill(self, finding: Finding) -> None:
        super().fill(finding)
        self.source.data = finding.source.value
        self.source_reference.data = finding.source_reference
        self.occurred_on.data = finding.occurred_on
        self.programme_id.data = str(finding.programme_id) if finding.programme_id else ""
        self.clause_text.data = ", ".join(finding.clause_refs)

    def set_programmes(self, programmes: list[AuditProgramme]) -> None:
        self.programme_id.choices = [("", "None: the default scheme"), *((str(p.id), p.title) for p in programmes)]

    def to_input(self, *, links: bool = True) -> FindingInput:
        data = super().to_input(links=False)
        typed = [r.strip() for r in (self.clause_text.data or "").replace(";", ",").split(",") if r.strip()]
        data.clause_refs = list(dict.fromkeys([*(data.clause_refs or []), *typed]))
        data.source = FindingSource(self.source.data)
        data.source_reference = self.source_reference.data or ""
        data.occurred_on = self.occurred_on.data
        data.programme_id = _whole(self.programme_id.data)
        return data


class RegradeForm(FlaskForm):
    version = HiddenField()
    grade = SelectField("New grade", validators=[InputRequired(message="Choose a grade.")], validate_choice=False)
    grade_rationale = TextAreaField("Why this grade", validators=[Length(max=4000)], render_kw={"rows": 3})
    reason = TextAreaField(
        "Reason for regrading",
        filters=[_strip],
        validators=[DataRequired(message="Give a reason for regrading."), Length(max=4000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Regrade")


class MergeForm(FlaskForm):
    version = HiddenField()
    into = SelectField("Merge into", validators=[InputRequired(message="Choose the finding to merge into.")])
    reason = TextAreaField(
        "Reason for merging",
        filters=[_strip],
        validators=[DataRequired(message="Give a reason for merging."), Length(max=4000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Merge")


class OverrideForm(FlaskForm):
    code = HiddenField(validators=[InputRequired(message="Say which flag you override.")])
    reason = TextAreaField(
        "Reason for going ahead",
        filters=[_strip],
        validators=[DataRequired(message="Give a reason for overriding the flag."), Length(max=2000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField("Override the flag")


class MoveForm(FlaskForm):
    version = HiddenField()
    action = HiddenField(validators=[InputRequired(message="Choose what to do.")])
    reason = TextAreaField("Reason", validators=[Length(max=4000)], render_kw={"rows": 2})
