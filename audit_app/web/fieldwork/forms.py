"""Fieldwork forms: they check the shape of the input; the services hold the rules."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from audit_app.models import ChecklistResponse, EvidenceMethod, EvidenceMode, ResponseResult
from audit_app.services.fieldwork.evidence import EvidenceData
from audit_app.services.fieldwork.responses import ResponseData


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
    save = SubmitField("Save")
    save_next = SubmitField("Save and next")

    @classmethod
    def for_response(cls, response: ChecklistResponse) -> ResponseForm:
        """An unsubmitted form showing the saved values."""
        return cls(
            formdata=None,
            data={
                "result": response.result.value,
                "reason": response.reason,
                "notes": response.notes,
                "version": str(response.version),
            },
        )

    def to_data(self) -> ResponseData:
        return ResponseData(
            result=ResponseResult(self.result.data),
            notes=self.notes.data or "",
            reason=self.reason.data or "",
            expected_version=int(self.version.data),
        )


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
    files = MultipleFileField("Files (optional)")
    submit = SubmitField("Add evidence")

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
        )


class FileForm(FlaskForm):
    file = FileField("File", validators=[FileRequired(message="Choose a file.")])
