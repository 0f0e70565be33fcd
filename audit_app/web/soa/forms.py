"""SoA forms: they check the shape of the input; services/soa/versions.py holds the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from audit_app.models import AISystem, OrgUnit
from audit_app.models.soa import Implementation, SoaEntry, SoaVersion
from audit_app.services.soa.versions import EntryInput
from audit_app.web.forms import optional_id

DECISIONS = [("", "Not decided yet"), ("yes", "Applicable"), ("no", "Excluded")]


class RevisionForm(FlaskForm):
    """A form on a version: it carries the revision the page was built from, so a stale one is refused."""

    revision = HiddenField(validators=[InputRequired()])

    @property
    def opened_revision(self) -> int:
        """The revision the form was opened at (-1 when it is not a number: refused as stale)."""
        try:
            return int(self.revision.data)
        except (TypeError, ValueError):
            return -1


class EntryForm(RevisionForm):
    applicable = SelectField("Decision", choices=lambda: DECISIONS)
    justification = TextAreaField(
        "Justification",
        validators=[Length(max=4000)],
        render_kw={"rows": 4},
    )
    implementation = SelectField(
        "Implementation status",
        choices=lambda: [("", "None (or not yet known)"), *((i.value, i.label) for i in Implementation)],
    )
    owner_unit_id = SelectField("Owner unit", choices=[], validate_choice=False)
    addresses = TextAreaField("Risks it addresses", validators=[Length(max=4000)], render_kw={"rows": 2})
    system_ids = SelectMultipleField("AI systems it addresses", choices=[], coerce=int, validate_choice=False)
    evidence = TextAreaField("Evidence", validators=[Length(max=4000)], render_kw={"rows": 3})
    last_reviewed_on = DateField("Last reviewed", validators=[Optional()])
    submit = SubmitField("Save the entry")

    def set_choices(self, units: list[OrgUnit], systems: list[AISystem]) -> None:
        self.owner_unit_id.choices = [("", "No owner yet"), *((str(u.id), u.name) for u in units)]
        self.system_ids.choices = [(s.id, s.name) for s in systems]

    def fill(self, version: SoaVersion, entry: SoaEntry) -> None:
        self.revision.data = version.revision
        self.applicable.data = {True: "yes", False: "no", None: ""}[entry.applicable]
        self.justification.data = entry.justification
        self.implementation.data = entry.implementation.value if entry.implementation else ""
        self.owner_unit_id.data = str(entry.owner_unit_id or "")
        self.addresses.data = entry.addresses
        self.system_ids.data = [s.id for s in entry.systems]
        self.evidence.data = entry.evidence
        self.last_reviewed_on.data = entry.last_reviewed_on

    def to_input(self) -> EntryInput:
        return EntryInput(
            applicable={"yes": True, "no": False}.get(self.applicable.data or ""),
            justification=self.justification.data or "",
            implementation=Implementation(self.implementation.data) if self.implementation.data else None,
            owner_unit_id=_unit_id(self.owner_unit_id.data),
            addresses=self.addresses.data or "",
            system_ids=list(self.system_ids.data or []),
            evidence=self.evidence.data or "",
            last_reviewed_on=self.last_reviewed_on.data,
        )


def _unit_id(value: str | None) -> int | None:
    """The chosen unit's id; a value that is not a number becomes 0, which the service refuses as no such unit."""
    try:
        return optional_id(value)
    except ValueError:
        return 0


class CustomControlForm(RevisionForm):
    control_ref = StringField(
        "Control id", validators=[DataRequired(message="Give the control an id."), Length(max=20)]
    )
    title = StringField("Title", validators=[DataRequired(message="Give the control a title."), Length(max=300)])
    submit = SubmitField("Add the control")


class ApproveForm(RevisionForm):
    change_note = TextAreaField("Change note", validators=[Length(max=2000)], render_kw={"rows": 3})
    confirm = BooleanField("I have read the points listed above and approve the version as it is")
    submit = SubmitField("Approve this version")


class StartDraftForm(FlaskForm):
    submit = SubmitField("Start a new draft")
