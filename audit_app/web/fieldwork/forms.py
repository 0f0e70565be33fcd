"""Fieldwork forms: they check the shape of the input; the services hold the rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from audit_app.errors import ValidationFailed
from audit_app.models import ChecklistResponse, EvidenceMethod, EvidenceMode, ResponseResult
from audit_app.services.fieldwork.evidence import EvidenceData
from audit_app.services.fieldwork.responses import PartData, ResponseData
from audit_app.services.fieldwork.verdicts import Subject, parse_token

#: The result choice meaning "derived from the results per AI system, unit or site".
BY_SUBJECT = "by_subject"
BY_SUBJECT_LABEL = "Per AI system, unit or site (derived from the results below)"
#: What a subject's result select shows when nothing is recorded for it.
NO_SEPARATE_RESULT = "No separate result"


class PartForm(Form):
    """The item's result for one subject (a sub-form: the page's form carries the CSRF token)."""

    subject = HiddenField(validators=[Regexp(r"^(ai_system|org_unit):\d{1,12}$", message="Bad subject.")])
    result = SelectField(
        "Result",
        choices=lambda: [
            (r.value, NO_SEPARATE_RESULT if r is ResponseResult.NOT_ASSESSED else r.label) for r in ResponseResult
        ],
    )
    statement = TextAreaField("Statement", validators=[Length(max=20000)], render_kw={"rows": 2})


class ResponseForm(FlaskForm):
    """The result of one checklist item, based on the version the user opened."""

    result = RadioField(
        "Result",
        choices=lambda: [(r.value, r.label) for r in ResponseResult],
        validators=[InputRequired(message="Choose a result.")],
    )
    reason = TextAreaField("Reason", validators=[Length(max=4000)], render_kw={"rows": 2})
    notes = TextAreaField("Notes", validators=[Length(max=20000)], render_kw={"rows": 6})
    version = HiddenField(
        validators=[InputRequired(message="The form is incomplete."), Regexp(r"^\d+$", message="Bad version.")]
    )
    parts = FieldList(FormField(PartForm))
    save = SubmitField("Save")
    save_next = SubmitField("Save and next")

    #: The audit's subjects, when the item can have a result for each (two or more in scope).
    subjects: Sequence[Subject] = ()

    @classmethod
    def for_response(cls, response: ChecklistResponse, subjects: Sequence[Subject] = ()) -> ResponseForm:
        """An unsubmitted form showing the saved values."""
        per_subject = len(subjects) > 1
        saved = {p.key: p for p in response.parts}
        parts = []
        for subject in subjects if per_subject else ():
            part = saved.get(subject.key)
            parts.append(
                {
                    "subject": subject.token,
                    "result": (part.result if part else ResponseResult.NOT_ASSESSED).value,
                    "statement": part.statement if part else "",
                }
            )
        data: dict[str, Any] = {
            "result": BY_SUBJECT if per_subject and response.per_subject else response.result.value,
            "reason": response.reason,
            "notes": response.notes,
            "version": str(response.version),
            "parts": parts,
        }
        form = cls(formdata=None, data=data)
        form.use_subjects(subjects)
        return form

    def use_subjects(self, subjects: Sequence[Subject]) -> None:
        """Offer results per subject when the audit has two or more, and name each row after its subject."""
        if len(subjects) < 2:
            self.parts.entries = []
            return
        self.subjects = subjects
        self.result.choices = [*[(r.value, r.label) for r in ResponseResult], (BY_SUBJECT, BY_SUBJECT_LABEL)]
        names = {s.token: s for s in subjects}
        for entry in self.parts.entries:
            subject = names.get(entry.form.subject.data or "")
            if subject is not None:
                entry.form.result.label.text = f"Result for {subject.title}"
                entry.form.statement.label.text = f"Statement for {subject.title}"

    def subject_of(self, entry: Any) -> Subject | None:
        return next((s for s in self.subjects if s.token == entry.form.subject.data), None)

    def to_data(self) -> ResponseData:
        parts = []
        for entry in self.parts.entries:
            parsed = parse_token(entry.form.subject.data or "")
            if parsed is None:
                raise ValidationFailed("The form is incomplete: reload the page.")
            result = ResponseResult(entry.form.result.data)
            parts.append(PartData(parsed[0], parsed[1], result, entry.form.statement.data or ""))
        return ResponseData(
            result=None if self.result.data == BY_SUBJECT else ResponseResult(self.result.data),
            notes=self.notes.data or "",
            reason=self.reason.data or "",
            expected_version=int(self.version.data),
            parts=tuple(parts) if self.subjects else None,
        )

    def show(self, exc: ValidationFailed) -> bool:
        """Put a refusal's messages by this form's fields (`parts.<n>.<field>` by the subject's row); True if any."""
        placed = False
        for name, messages in exc.errors.items():
            head, _, rest = name.partition(".")
            field: Any = getattr(self, name, None)
            if head == "parts" and "." in rest:
                index, _, sub = rest.partition(".")
                entries = self.parts.entries
                if index.isdigit() and int(index) < len(entries):
                    field = getattr(entries[int(index)].form, "result" if sub == "subject" else sub, None)
            if field is not None and hasattr(field, "errors") and name not in ("csrf_token",):
                field.errors = [*field.errors, *messages]
                placed = True
        return placed


class EvidenceForm(FlaskForm):
    method = SelectField("Method", choices=lambda: [(m.value, m.label) for m in EvidenceMethod])
    mode = SelectField("Mode", choices=lambda: [(m.value, m.label) for m in EvidenceMode])
    source = StringField(
        "Source", validators=[DataRequired(message="Say where the evidence comes from."), Length(max=300)]
    )
    evidence_date = DateField(
        "Evidence date", default=date.today, validators=[InputRequired(message="Enter the date as YYYY-MM-DD.")]
    )
    description = TextAreaField("Description", validators=[Length(max=20000)], render_kw={"rows": 3})
    subject = SelectField("Concerns", choices=lambda: [("", "The item as a whole")], validate_choice=False)
    files = MultipleFileField("Files (optional)")
    submit = SubmitField("Add evidence")

    def use_subjects(self, subjects: Sequence[Subject]) -> None:
        self.subject.choices = [("", "The item as a whole"), *[(s.token, s.title) for s in subjects]]

    def is_filled(self) -> bool:
        """Whether the user started an entry (a source or a file): the item form then adds it with the result."""
        return bool((self.source.data or "").strip() or (self.description.data or "").strip() or self.uploads())

    def uploads(self) -> list[FileStorage]:
        """The files actually chosen (an empty file input still sends one nameless part)."""
        return [f for f in self.files.data or [] if isinstance(f, FileStorage) and (f.filename or f.content_length)]

    def to_data(self) -> EvidenceData:
        return EvidenceData(
            method=EvidenceMethod(self.method.data),
            mode=EvidenceMode(self.mode.data),
            source=self.source.data or "",
            evidence_date=self.evidence_date.data,
            description=self.description.data or "",
            subject=self._subject(),
        )

    def _subject(self) -> tuple[Any, int] | None:
        if not self.subject.data:
            return None
        parsed = parse_token(self.subject.data)
        if parsed is None:
            raise ValidationFailed.on("subject", "Choose what the evidence concerns from the list.")
        return parsed


class FileForm(FlaskForm):
    file = FileField("File", validators=[FileRequired(message="Choose a file.")])
