"""Forms of the management-review pages: plan, record as held (each 9.3.2 input), actions and the input pack."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from audit_app.services.reviews import records
from audit_app.services.reviews.inputs import INPUT_CODES, INPUTS


def read_revision(form: FlaskForm) -> int | None:
    value = form.revision.data or ""
    return int(value) if value.isdigit() and len(value) < 10 else None


class PlanForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    held_on = DateField("Date", validators=[DataRequired()], format="%Y-%m-%d")
    revision = HiddenField()
    submit = SubmitField("Save")


class HeldForm(FlaskForm):
    """Record the review as held. One checkbox and one summary per required input (fields added below)."""

    held_on = DateField("Held on", validators=[DataRequired()], format="%Y-%m-%d")
    attendees = TextAreaField("Attendees", validators=[DataRequired(), Length(max=2000)])
    decisions = TextAreaField("Decisions (improvement, changes to the AIMS, resources)", validators=[Length(max=8000)])
    notes = TextAreaField("Notes", validators=[Length(max=8000)])
    revision = HiddenField()
    submit = SubmitField("Record as held")

    def input_fields(self) -> list[tuple[str, str, BooleanField, TextAreaField]]:
        return [(code, label, self[f"considered_{code}"], self[f"summary_{code}"]) for code, label in INPUTS]

    def to_data(self) -> records.HeldInput:
        inputs = {
            code: records.InputRecord(bool(self[f"considered_{code}"].data), self[f"summary_{code}"].data or "")
            for code in INPUT_CODES
        }
        return records.HeldInput(
            self.held_on.data, self.attendees.data or "", self.decisions.data or "", self.notes.data or "", inputs
        )


for _code, _label in INPUTS:
    setattr(HeldForm, f"considered_{_code}", BooleanField(f"Considered: {_label}"))
    setattr(HeldForm, f"summary_{_code}", TextAreaField(f"Summary: {_label}", validators=[Length(max=4000)]))


class ActionForm(FlaskForm):
    description = TextAreaField("Action", validators=[DataRequired(), Length(max=4000)])
    owner_id = SelectField("Owner", choices=[], validators=[DataRequired()])
    due_on = DateField("Due on", validators=[DataRequired()], format="%Y-%m-%d")
    submit = SubmitField("Add action")


class CompleteForm(FlaskForm):
    note = TextAreaField("What was done", validators=[DataRequired(), Length(max=4000)])
    revision = HiddenField()
    submit = SubmitField("Complete")


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason for cancelling", validators=[DataRequired(), Length(max=4000)])
    revision = HiddenField()
    submit = SubmitField("Cancel action")


class PackForm(FlaskForm):
    start = DateField("Period start", validators=[DataRequired()], format="%Y-%m-%d")
    end = DateField("Period end", validators=[DataRequired()], format="%Y-%m-%d")
    monitoring = TextAreaField(
        "Monitoring and measurement results (as you want them in the pack)", validators=[Optional(), Length(max=20000)]
    )
    submit = SubmitField("Generate the input pack (Word)")
