"""Forms of a drawn sample's results: what the deviations mean, and the evidence a result can cite (the results
grid itself is grid.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from audit_app.extensions import db
from audit_app.models import Audit, ChecklistItem, ChecklistResponse, DeviationNature, Evidence, Sample


class InterpretationForm(FlaskForm):
    """What the deviations of an evaluated sample mean, recorded before a finding is proposed."""

    cause = TextAreaField(
        "Cause of the deviations",
        validators=[InputRequired(message="Say what caused the deviations."), Length(max=4000)],
        render_kw={"rows": 3},
    )
    nature = RadioField(
        "Isolated or systemic",
        choices=[SelectChoice(n.value, n.label) for n in DeviationNature],
        validators=[InputRequired(message="Say whether the deviations are isolated or systemic.")],
    )
    submit = SubmitField("Record what the deviations mean")

    def nature_value(self) -> DeviationNature:
        return DeviationNature(self.nature.data)


def evidence_choices(audit: Audit, sample: Sample | None = None) -> list[tuple[str, str]]:
    """The audit's evidence entries as (id, reference and label), offered once per sample page.

    The label starts with the entry's reference (E and its id), which is what the result form reads back; the
    evidence of the sample's own clauses and controls comes first. Narrow columns: an audit can hold thousands.
    """
    own = [i.id for i in sample.checklist_items] if sample is not None else []
    rows = db.session.execute(
        sa.select(Evidence.id, ChecklistItem.ref, Evidence.method, Evidence.source, Evidence.evidence_date)
        .join(ChecklistResponse, Evidence.response_id == ChecklistResponse.id)
        .join(ChecklistItem, ChecklistResponse.checklist_item_id == ChecklistItem.id)
        .where(Evidence.audit_id == audit.id)
        .order_by(sa.case((ChecklistResponse.checklist_item_id.in_(own), 0), else_=1), Evidence.id)
    )
    return [
        (str(e_id), f"E{e_id} · {ref} · {method.label}: {source} ({when:%d %b %Y})")
        for e_id, ref, method, source, when in rows
    ]
