"""Forms of the register pages: the GET filters, an entry (whole or the owner's part) and retiring."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from audit_app.models import DocKind, DocStatus, DocumentedInfo
from audit_app.services import org
from audit_app.services.docinfo import entries, register
from audit_app.services.docinfo.entries import EntryData
from audit_app.web.forms import optional_id

_KIND_HINT: dict[DocKind, str] = {
    DocKind.MAINTAIN: "a document kept current",
    DocKind.RETAIN: "a record kept as evidence",
}


class FilterForm(FlaskForm):
    """The register's GET filters; an invalid one is left out and said so."""

    class Meta:
        csrf = False

    status = SelectField("Status", choices=[], default="")
    clause = SelectField("Clause or Annex A area", choices=[], default="")
    as_of = DateField("Status as of (YYYY-MM-DD)", validators=[Optional()], format="%Y-%m-%d")

    def set_choices(self) -> None:
        self.status.choices = [("", "Any"), *((s.value, s.label) for s in DocStatus)]
        self.clause.choices = [("", "Any"), *((c, c) for c in register.clause_options())]

    def chosen_status(self) -> DocStatus | None:
        return DocStatus(self.status.data) if self.status.data and not self.status.errors else None

    def chosen_clause(self) -> str | None:
        return self.clause.data or None if not self.clause.errors else None

    def chosen_day(self, today: date) -> date | None:
        day = self.as_of.data if not self.as_of.errors else None
        if day is not None and day > today:
            self.as_of.errors = [*self.as_of.errors, "The register can only be read as of today or earlier."]
            return None
        return day


class EntryForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    kind = SelectField("Kind", choices=lambda: [(k.value, f"{k.label} ({_KIND_HINT[k]})") for k in DocKind])
    refs = StringField("Clause and control ids (comma-separated)", validators=[Length(max=400)])
    owner_id = SelectField("Owner", choices=[], default="")
    owner_unit_id = SelectField("Owner unit", choices=[], default="")
    location = StringField("Location or link", validators=[Length(max=500)])
    doc_version = StringField("Version", validators=[Length(max=60)])
    approved_by_name = StringField("Approved by", validators=[Length(max=120)])
    approved_on = DateField("Approved on", validators=[Optional()], format="%Y-%m-%d")
    review_interval_months = IntegerField(
        "Review interval (months)", default=12, validators=[DataRequired(), NumberRange(min=1, max=120)]
    )
    next_review_on = DateField("Next review on", validators=[Optional()], format="%Y-%m-%d")
    revision = HiddenField()
    submit = SubmitField("Save entry")

    #: The fields the signed-in user may change (the others are shown, not posted).
    editable: frozenset[str] = frozenset()

    def setup(self, entry: DocumentedInfo | None, editable: frozenset[str]) -> None:
        self.editable = editable
        people = [(str(u.id), f"{u.name} ({u.role.label})") for u in entries.owner_candidates()]
        if entry is not None and entry.owner is not None and str(entry.owner.id) not in {p[0] for p in people}:
            people.append((str(entry.owner.id), f"{entry.owner.name} (no longer active)"))
        self.owner_id.choices = [("", "(nobody)"), *people]
        self.owner_unit_id.choices = [("", "(none)"), *((str(u.id), u.label) for u in org.unit_options())]
        if isinstance(self.refs.data, list):  # the entry's own list, when the post did not carry the field
            self.refs.data = ", ".join(self.refs.data)
        for select in (self.owner_id, self.owner_unit_id):
            if select.data in (None, "None"):  # nobody yet, or a post from a form without the field
                select.data = ""
        if entry is not None and not self.is_submitted():
            self.kind.data = entry.kind.value
            self.refs.data = ", ".join(entry.refs or [])
            self.owner_id.data = str(entry.owner_id or "")
            self.owner_unit_id.data = str(entry.owner_unit_id or "")
            self.revision.data = str(entry.revision)
        if entry is not None:  # fields the user may not change keep the entry's values whatever was posted
            for name in ("title", "kind", "refs", "owner_id", "owner_unit_id", "review_interval_months"):
                if name not in editable:
                    field = getattr(self, name)
                    field.data = {
                        "kind": entry.kind.value,
                        "refs": ", ".join(entry.refs or []),
                        "owner_id": str(entry.owner_id or ""),
                        "owner_unit_id": str(entry.owner_unit_id or ""),
                    }.get(name, getattr(entry, name))
                    field.raw_data = None

    def to_data(self) -> EntryData:
        return EntryData(
            title=self.title.data or "",
            kind=DocKind(self.kind.data),
            refs=tuple(r.strip() for r in (self.refs.data or "").split(",") if r.strip()),
            owner_id=optional_id(self.owner_id.data),
            owner_unit_id=optional_id(self.owner_unit_id.data),
            location=self.location.data or "",
            doc_version=self.doc_version.data or "",
            approved_by_name=self.approved_by_name.data or "",
            approved_on=self.approved_on.data,
            review_interval_months=self.review_interval_months.data or 12,
            next_review_on=self.next_review_on.data,
        )

    def read_revision(self) -> int | None:
        value = str(self.revision.data or "").strip()
        return int(value) if value.isdigit() else None


class RetireForm(FlaskForm):
    reason = TextAreaField("Why retire it", validators=[DataRequired(), Length(max=500)], render_kw={"rows": 2})
    revision = HiddenField()
    submit = SubmitField("Retire entry")
