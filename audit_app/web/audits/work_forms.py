"""Forms of the preparation, conclusions and fieldwork-confirmation pages (shape only; services hold the rules)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from audit_app.models import Adequacy, AuditRiskKind, Fulfilment, Rating, utcnow
from audit_app.services.planning.conclusions import AreaData, ConferenceData
from audit_app.services.planning.preparation import DocumentData, RiskData

RATINGS = [SelectChoice(r.value, r.label) for r in Rating]


class RiskForm(FlaskForm):
    """A risk to achieving the audit objectives (ISO 19011 6.3.2.1); its fields are prefixed "risk-"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="risk", **kwargs)

    kind = SelectField("What kind of risk", choices=[SelectChoice(k.value, k.label) for k in AuditRiskKind])
    description = TextAreaField(
        "What could stop the audit reaching its objectives", validators=[DataRequired(), Length(max=4000)]
    )
    likelihood = SelectField("Likelihood", choices=RATINGS, default=Rating.MEDIUM.value)
    impact = SelectField("Impact", choices=RATINGS, default=Rating.MEDIUM.value)
    treatment = TextAreaField("Treatment", validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField("Add the risk")

    def to_data(self) -> RiskData:
        return RiskData(
            kind=AuditRiskKind(self.kind.data),
            description=self.description.data or "",
            likelihood=Rating(self.likelihood.data),
            impact=Rating(self.impact.data),
            treatment=self.treatment.data or "",
        )


class DocumentForm(FlaskForm):
    """One document reviewed before fieldwork (ISO 19011 6.3.1); its fields are prefixed "doc-"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="doc", **kwargs)

    document = StringField("Document", validators=[DataRequired(), Length(max=200)])
    version = StringField("Version", validators=[Length(max=60)])
    adequacy = SelectField("Adequacy", choices=[SelectChoice(a.value, a.label) for a in Adequacy])
    reviewed_on = DateField("Reviewed on", validators=[InputRequired(message="Give the date of the review.")])
    notes = TextAreaField("Notes (what is missing or to follow up)", validators=[Length(max=4000)])
    submit = SubmitField("Add the document")

    def to_data(self) -> DocumentData:
        return DocumentData(
            document=self.document.data or "",
            version=self.version.data or "",
            adequacy=Adequacy(self.adequacy.data),
            reviewed_on=self.reviewed_on.data or utcnow().date(),  # InputRequired has checked it
            notes=self.notes.data or "",
        )


FULFILMENTS = [SelectChoice(f.value, f.label) for f in Fulfilment]


class ConferenceForm(FlaskForm):
    """The team conference and the audit conclusion; each area's fields are `area-<key>-fulfilment` and
    `area-<key>-statement` (the areas depend on the audit's scope)."""

    held_at = DateTimeLocalField(
        "Held at", format="%Y-%m-%dT%H:%M", validators=[InputRequired(message="Give the date and time.")]
    )
    participants = TextAreaField("Participants (names and roles)", validators=[DataRequired(), Length(max=4000)])
    fulfilment = SelectField("How far the criteria are fulfilled overall", choices=FULFILMENTS)
    conclusion = TextAreaField("Audit conclusion", validators=[DataRequired(), Length(max=10000)])
    objectives_met = BooleanField("The audit objectives were met", default=True)
    obstacles = TextAreaField(
        "Obstacles that reduce confidence in the conclusion (required if objectives were not met)",
        validators=[Length(max=10000)],
    )
    recommendations = TextAreaField("Recommendations", validators=[Length(max=10000)])
    follow_up = TextAreaField("Follow-up agreed", validators=[Length(max=10000)])
    submit = SubmitField("Save the conference record")

    def to_data(self, areas: list[str], posted: MultiDict[str, str]) -> ConferenceData:
        return ConferenceData(
            held_at=self.held_at.data or utcnow().replace(tzinfo=None),  # InputRequired has checked it
            participants=self.participants.data or "",
            fulfilment=Fulfilment(self.fulfilment.data),
            conclusion=self.conclusion.data or "",
            objectives_met=bool(self.objectives_met.data),
            obstacles=self.obstacles.data or "",
            recommendations=self.recommendations.data or "",
            follow_up=self.follow_up.data or "",
            areas=tuple(
                AreaData(
                    key, _fulfilment(posted.get(f"area-{key}-fulfilment", "")), posted.get(f"area-{key}-statement", "")
                )
                for key in areas
                if posted.get(f"area-{key}-statement", "").strip()  # an area left empty is concluded later
            ),
        )


def _fulfilment(value: str) -> Fulfilment:
    try:
        return Fulfilment(value)
    except ValueError:
        return Fulfilment.NOT_DETERMINED


class ConfirmFieldworkForm(FlaskForm):
    confirm = BooleanField(
        "I have read what will freeze and every open warning, and fieldwork starts anyway",
        validators=[DataRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Start fieldwork")
