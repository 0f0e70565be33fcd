"""Report forms: they check the shape of the input; issuing.py holds the rules (who, when, what is missing)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from audit_app.models import DEFAULT_MARKING, DEFAULT_SAMPLING_STATEMENT, ReportKind, ReportSettings, User
from audit_app.services.reports.issuing import IssueInput, SettingsInput
from audit_app.web.forms import optional_id


class SettingsForm(FlaskForm):
    """The lead auditor's words for the report: marking, the sampling statement, distribution and next audit."""

    marking = StringField(
        "Confidentiality marking",
        validators=[DataRequired(message="Give the marking shown on every page."), Length(max=80)],
    )
    sampling_statement = TextAreaField(
        "Statement that the audit evidence was a sample",
        validators=[DataRequired(message="Write the statement (ISO 19011 6.5.1 k)."), Length(max=4000)],
        render_kw={"rows": 4},
    )
    distribution = TextAreaField("Distribution list", validators=[Length(max=4000)], render_kw={"rows": 4})
    next_audit = StringField("Next audit", validators=[Length(max=200)])
    submit = SubmitField("Save the report settings")

    @classmethod
    def for_settings(cls, settings: ReportSettings) -> SettingsForm:
        """A fresh form showing the saved settings (or the defaults the lead auditor starts from)."""
        form = cls(formdata=None, prefix="settings")
        form.marking.data = settings.marking or DEFAULT_MARKING
        form.sampling_statement.data = settings.sampling_statement or DEFAULT_SAMPLING_STATEMENT
        form.distribution.data = settings.distribution or ""
        form.next_audit.data = settings.next_audit or ""
        return form

    def to_command(self) -> SettingsInput:
        return SettingsInput(
            marking=self.marking.data or "",
            sampling_statement=self.sampling_statement.data or "",
            distribution=self.distribution.data or "",
            next_audit=self.next_audit.data or "",
        )


class IssueForm(FlaskForm):
    """Issue the next version of a report: its kind, who reviewed and approved it and when, who receives it."""

    kind = SelectField(
        "Report", choices=lambda: [(k.value, k.label) for k in ReportKind], default=ReportKind.AUDIT.value
    )
    reviewed_by = SelectField(
        "Reviewed by", choices=[], validators=[InputRequired(message="Choose who reviewed the report.")]
    )
    reviewed_on = DateField("Reviewed on", validators=[InputRequired(message="Enter the date of the review.")])
    approved_by = SelectField(
        "Approved by", choices=[], validators=[InputRequired(message="Choose who approved the report.")]
    )
    approved_on = DateField("Approved on", validators=[InputRequired(message="Enter the date of the approval.")])
    distribution = TextAreaField(
        "Distribution list",
        validators=[DataRequired(message="List who receives the report, one per line."), Length(max=4000)],
        render_kw={"rows": 4},
    )
    change_note = TextAreaField("Change note", validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Issue the report")

    def set_people(self, people: list[User]) -> None:
        choices = [("", "Choose a person")] + [(str(u.id), f"{u.name} ({u.role.label})") for u in people]
        self.reviewed_by.choices = choices
        self.approved_by.choices = choices

    def chosen_kind(self) -> ReportKind:
        return ReportKind(self.kind.data)

    def to_command(self) -> IssueInput:
        return IssueInput(
            reviewed_by_id=optional_id(self.reviewed_by.data),
            reviewed_on=self.reviewed_on.data,
            approved_by_id=optional_id(self.approved_by.data),
            approved_on=self.approved_on.data,
            distribution=self.distribution.data or "",
            change_note=self.change_note.data or "",
        )
