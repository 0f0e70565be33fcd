"""Forms of the auditee's answer and the corrective-action loop: dispute and its answer, the plan, actions,
implementation, verification, effectiveness review and the consideration of an observation or OFI.

Each form lists the fields its page renders (`shown`) and the hint of each; the services hold the rules (clean
text, dates, owners, grades), so the forms only check presence and size.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import DateField, MultipleFileField, RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Consideration, Finding, RcaMethod, Role, User
from audit_app.services.findings import capa, grades
from audit_app.web.forms import optional_id, show_all_errors

LONG = 16000


def _text(label: str, message: str | None = None, *, rows: int = 4, limit: int = 8000) -> TextAreaField:
    checks = [InputRequired(message=message), Length(max=limit)] if message else [Optional(), Length(max=limit)]
    return TextAreaField(label, validators=checks, render_kw={"rows": rows})


def read_uploads(field: MultipleFileField) -> list[tuple[str, bytes]]:
    """The files actually chosen (an empty file input still sends one nameless part), read up to the limit + 1."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"] + 1
    return [
        (f.filename or "", f.read(limit))
        for f in field.data or []
        if isinstance(f, FileStorage) and (f.filename or f.content_length)
    ]


class CapaForm(FlaskForm):
    """What the generic CAPA page needs: the fields shown in order, their hints, multipart or not."""

    shown: tuple[str, ...] = ()
    hints: dict[str, str] = {}
    multipart = False


class DisputeForm(CapaForm):
    reason = _text("Why you disagree", "Give the reasons you dispute the finding.", rows=6)
    submit = SubmitField("Dispute the finding")
    shown = ("reason",)
    hints = {"reason": "Say which part you disagree with (the requirement, the evidence or the grade) and why."}


ANSWERS = [
    SelectChoice("maintain", "Maintain the finding as issued"),
    SelectChoice("regrade", "Accept the dispute: regrade the finding"),
    SelectChoice("withdraw", "Accept the dispute: withdraw the finding"),
]


class DisputeAnswerForm(CapaForm):
    answer = RadioField("Your answer", choices=ANSWERS, validators=[InputRequired(message="Choose your answer.")])
    grade = SelectField("New grade (when regrading)", choices=[], validate_choice=False)
    rationale = _text("Grade rationale (when regrading)", rows=3)
    reason = _text("Reason given to the auditee", "Give the reason for your answer.", rows=4)
    submit = SubmitField("Answer the dispute")
    shown = ("answer", "grade", "rationale", "reason")
    hints = {"rationale": "Isolated or systemic, and the effect on the AIMS's ability to achieve its results."}

    def use_grades(self, finding: Finding) -> None:
        self.grade.choices = [
            SelectChoice("", "Choose a grade"),
            *(SelectChoice(code, label) for code, label in grades.choices(finding.programme)),
        ]


class PlanForm(CapaForm):
    correction = _text("Correction", rows=3, limit=LONG)
    rca_method = RadioField(
        "Root-cause method",
        choices=[SelectChoice(m.value, m.label) for m in RcaMethod],
        validators=[Optional()],
    )
    rca_analysis = _text("The analysis", rows=8, limit=LONG)
    root_cause = _text("Root cause found", rows=3, limit=LONG)
    extent_check = _text("Extent check", rows=4, limit=LONG)
    submit = SubmitField("Save the plan")
    shown = ("correction", "rca_method", "rca_analysis", "root_cause", "extent_check")
    hints = {
        "correction": "What was done (or will be) about this instance and its consequences (containment).",
        "rca_analysis": (
            "5 whys: one line per why, e.g. “Why 1: … / Why 2: …” down to the cause. Fishbone: a line per "
            "category (people, process, data, model, tools, environment) with what you found. Fault tree: the "
            "event and the branches beneath it. Free text: the analysis in your own words."
        ),
        "root_cause": "The cause that, once removed, stops the nonconformity from recurring.",
        "extent_check": (
            "Can the same cause exist elsewhere: other AI systems, units, sites? What you checked and found."
        ),
    }

    @classmethod
    def for_plan(cls, finding: Finding) -> PlanForm:
        plan = capa.current_plan(finding)
        if plan is None:
            return cls()
        return cls(
            correction=plan.correction,
            rca_method=plan.rca_method.value if plan.rca_method else None,
            rca_analysis=plan.rca_analysis,
            root_cause=plan.root_cause,
            extent_check=plan.extent_check,
        )

    def to_data(self) -> capa.PlanInput:
        return capa.PlanInput(
            correction=self.correction.data or "",
            rca_method=RcaMethod(self.rca_method.data) if self.rca_method.data else None,
            rca_analysis=self.rca_analysis.data or "",
            root_cause=self.root_cause.data or "",
            extent_check=self.extent_check.data or "",
        )


def owner_choices() -> list[SelectChoice]:
    """Active auditee accounts: the organisation's people own actions (auditors stay independent of them)."""
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.active.is_(True), User.role == Role.AUDITEE)
        .order_by(User.name, User.id)
    )
    return [SelectChoice("", "Choose the action owner"), *(SelectChoice(str(i), f"{n} ({e})") for i, n, e in rows)]


class ActionForm(CapaForm):
    description = _text("Action", "Describe the action.", rows=3, limit=4000)
    owner = SelectField("Owner", choices=[], validate_choice=False)
    due_on = DateField("Due date", validators=[InputRequired(message="Enter the due date as YYYY-MM-DD.")])
    submit = SubmitField("Save the action")
    shown = ("description", "owner", "due_on")
    hints = {"due_on": "YYYY-MM-DD; not in the past."}

    def to_data(self) -> capa.ActionInput:
        try:
            owner = optional_id(self.owner.data)
        except ValueError:
            raise ValidationFailed.on("owner", "Choose the action owner from the list.") from None
        if owner is None:
            raise ValidationFailed.on("owner", "Choose the action owner from the list.")
        return capa.ActionInput(description=self.description.data or "", owner_id=owner, due_on=self.due_on.data)


def show_action_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """The service names the owner `owner_id`; the form's field is `owner`."""
    renamed = {("owner" if k == "owner_id" else k): v for k, v in exc.errors.items()}
    show_all_errors(form, ValidationFailed(str(exc), renamed))


class CancelActionForm(CapaForm):
    reason = _text("Why the action is dropped", "Give the reason for cancelling the action.", rows=3)
    submit = SubmitField("Cancel the action")
    shown = ("reason",)


class ImplementationForm(CapaForm):
    note = _text("What was done", rows=5)
    files = MultipleFileField("Evidence files (optional)")
    submit = SubmitField("Record the implementation")
    shown = ("note", "files")
    hints = {"note": "What was changed, when, and where the evidence is (records, tickets, documents)."}
    multipart = True


class VerifyForm(CapaForm):
    note = _text("What you checked", "Say what you checked to verify the implementation.", rows=5)
    submit = SubmitField("Verify the implementation")
    shown = ("note",)
    hints = {"note": "Records seen, people interviewed, a re-performance: enough for another auditor to repeat it."}


class EffectivenessForm(CapaForm):
    effective = RadioField(
        "Is the corrective action effective?",
        choices=[
            SelectChoice("yes", "Effective: close the finding"),
            SelectChoice("no", "Not effective: reopen for a new cycle"),
        ],
        validators=[InputRequired(message="Say whether the action is effective.")],
    )
    review = _text("Effectiveness review", "Record what showed whether the cause is removed.", rows=5)
    evidence = _text("Effectiveness evidence", rows=3)
    files = MultipleFileField("Effectiveness evidence file (optional)")
    reason = _text("Why it is not effective", rows=3)
    submit = SubmitField("Record the review")
    shown = ("effective", "review", "evidence", "files", "reason")
    hints = {
        "evidence": "The reference of what you saw (a re-sample, records, monitoring results); a major needs it.",
        "reason": "Needed when not effective: the new cycle starts from it.",
    }
    multipart = True

    def is_effective(self) -> bool:
        return self.effective.data == "yes"

    def reason_value(self) -> str:
        reason = (self.reason.data or "").strip()
        if not self.is_effective() and not reason:
            raise ValidationFailed.on("reason", "Say why the action is not effective: the new cycle starts from it.")
        return reason


class ConsiderForm(CapaForm):
    outcome = RadioField(
        "What was done with it",
        choices=[SelectChoice(c.value, c.label) for c in Consideration],
        validators=[InputRequired(message="Say whether action was taken or the suggestion declined.")],
    )
    note = _text("What was done, or why it was declined", "Say what was done, or why it was declined.", rows=4)
    submit = SubmitField("Record the consideration")
    shown = ("outcome", "note")
