"""Forms of the due-date area: asking to move a due date, and the reviewer's decision (shape only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from audit_app.services.findings.extensions import ExtensionInput

APPROVE, REFUSE = "approve", "refuse"


class ExtensionRequestForm(FlaskForm):
    requested_due_on = DateField(
        "New due date asked for", validators=[InputRequired(message="Enter the date as YYYY-MM-DD.")]
    )
    reason = TextAreaField(
        "Reason", validators=[InputRequired(message="Say why more time is needed."), Length(max=4000)]
    )
    submit = SubmitField("Ask for the extension")

    def to_input(self) -> ExtensionInput:
        return ExtensionInput(requested_due_on=self.requested_due_on.data, reason=self.reason.data or "")


class ExtensionDecisionForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice(APPROVE, "Approve: move the due date"),
            SelectChoice(REFUSE, "Refuse: keep the due date"),
        ],
        validators=[InputRequired(message="Choose approve or refuse.")],
    )
    reason = TextAreaField("Reason (required to refuse)", validators=[Length(max=4000)])
    submit = SubmitField("Record the decision")

    @property
    def approves(self) -> bool:
        return self.decision.data == APPROVE
