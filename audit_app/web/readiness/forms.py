"""Readiness forms: the "as of" day (a GET form) and "Save snapshot"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional


class AsOfForm(FlaskForm):
    """The day the verdicts are read as of (blank: today). A GET form: no CSRF token needed."""

    class Meta:
        csrf = False

    as_of = DateField("As of", validators=[Optional()])


class SnapshotForm(FlaskForm):
    as_of = DateField("As of", validators=[InputRequired(message="Give the day the snapshot is taken as of.")])
    note = StringField("Note (optional)", validators=[Length(max=500)])
    submit = SubmitField("Save snapshot")
