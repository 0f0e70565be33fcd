"""Auditor profile and evaluation forms: they check the shape of the input; the services hold the rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from audit_app.models import Audit, AuditorProfile, CompetenceArea, EvaluationRating
from audit_app.services import org
from audit_app.services.planning import competence
from audit_app.web.planning.forms import CheckboxListField


class ProfileForm(FlaskForm):
    qualifications = TextAreaField(
        "Qualifications and certificates (one per line)", validators=[Length(max=4000)], render_kw={"rows": 4}
    )
    training = TextAreaField("Training attended (one per line)", validators=[Length(max=4000)], render_kw={"rows": 4})
    areas = CheckboxListField("Competence shown", coerce=str)
    ai_knowledge = TextAreaField(
        "AI and machine-learning knowledge", validators=[Length(max=4000)], render_kw={"rows": 3}
    )
    sectors = TextAreaField("Sectors known (one per line)", validators=[Length(max=2000)], render_kw={"rows": 3})
    responsible_refs = StringField("Clauses and controls they wrote, own or manage", validators=[Length(max=1000)])
    responsible_unit_ids = CheckboxListField("Processes and units they own or manage")
    submit = SubmitField("Save profile")

    def set_choices(self, profile: AuditorProfile | None) -> None:
        self.areas.choices = [(a.value, a.label) for a in CompetenceArea]
        self.responsible_unit_ids.choices = [
            (u.id, f"{u.name} ({u.kind.label.lower()})") for u in org.unit_options(include_inactive=False)
        ]
        if profile is not None and not self.is_submitted():
            self.areas.data = list(profile.areas or [])
            self.responsible_refs.data = ", ".join(profile.responsible_refs or [])
            self.responsible_unit_ids.data = [u.id for u in profile.responsible_units]

    def to_data(self) -> competence.ProfileData:
        refs = (self.responsible_refs.data or "").replace(";", ",").split(",")
        return competence.ProfileData(
            qualifications=self.qualifications.data or "",
            training=self.training.data or "",
            areas=tuple(CompetenceArea(a) for a in self.areas.data or () if a in CompetenceArea._value2member_map_),
            ai_knowledge=self.ai_knowledge.data or "",
            sectors=self.sectors.data or "",
            responsible_refs=tuple(r.strip() for r in refs if r.strip()),
            responsible_unit_ids=tuple(self.responsible_unit_ids.data or ()),
        )


class EvaluationForm(FlaskForm):
    audit_id = SelectField("Audit", choices=[], validators=[InputRequired(message="Choose an audit.")])
    rating = SelectField("Rating", choices=lambda: [(r.value, r.label) for r in EvaluationRating])
    comment = TextAreaField("Comment", validators=[Length(max=4000)], render_kw={"rows": 3})
    submit = SubmitField("Record the evaluation")

    def set_choices(self, audits: list[Audit]) -> None:
        self.audit_id.choices = [("", "Choose an audit")] + [(str(a.id), a.label) for a in audits]

    def to_kwargs(self) -> dict[str, Any]:
        return {
            "audit_id": int(self.audit_id.data),
            "rating": EvaluationRating(self.rating.data),
            "comment": self.comment.data or "",
        }
