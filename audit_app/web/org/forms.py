from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from audit_app.models import AIRole, LifecycleStage, OrgUnit, RiskLevel, UnitKind
from audit_app.services import org
from audit_app.web.forms import optional_id


class ProfileForm(FlaskForm):
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    scope_statement = TextAreaField(
        "AIMS scope statement (clause 4.3)", validators=[Length(max=20000)], render_kw={"rows": 8}
    )
    sectors = TextAreaField("Sectors (one per line)", validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Save profile")


class UnitForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=lambda: [(k.value, k.label) for k in UnitKind])
    parent_id = SelectField("Part of", choices=[], validate_choice=True)
    description = TextAreaField("Description", validators=[Length(max=4000)], render_kw={"rows": 3})
    manager_id = SelectField("Manager", choices=[], validate_choice=True, default="")
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save unit")

    def set_managers(self, unit: OrgUnit | None) -> None:
        """Active accounts (and the current manager, even if deactivated since, so saving keeps them)."""
        people = [(str(u.id), f"{u.name} ({u.email})") for u in org.manager_candidates()]
        if unit is not None and unit.manager is not None and not unit.manager.active:
            people.append((str(unit.manager.id), f"{unit.manager.name} (deactivated)"))
        self.manager_id.choices = [("", "(nobody)"), *people]
        if self.manager_id.data in (None, "None"):  # no manager yet, or a post from a form without the field
            self.manager_id.data = ""

    def set_parents(self, exclude_id: int | None = None) -> None:
        self.parent_id.choices = [("", "(none)")] + [
            (str(u.id), u.name) for u in org.unit_options() if u.id != exclude_id
        ]

    def to_data(self) -> org.UnitData:
        return org.UnitData(
            name=self.name.data or "",
            kind=UnitKind(self.kind.data),
            description=self.description.data or "",
            parent_id=optional_id(self.parent_id.data),
            active=bool(self.active.data),
            manager_id=optional_id(self.manager_id.data),
        )


class RoleChoiceField(SelectMultipleField):
    """The organisation's roles towards a system, as a list of labelled checkboxes (rendered in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", lambda: [(r.value, r.label) for r in AIRole])
        super().__init__(*args, **kwargs)


class SystemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    purpose = TextAreaField("Intended purpose", validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 4})
    roles = RoleChoiceField("Our roles towards the system")
    supplier = StringField("Supplier", validators=[Length(max=200)])
    version = StringField("Version in use", validators=[Length(max=60)])
    in_production_on = DateField(
        "In production since", validators=[Optional()], format="%Y-%m-%d", render_kw={"autocomplete": "off"}
    )
    impact_assessment_ref = StringField("Impact assessment reference", validators=[Length(max=200)])
    risk_level = SelectField("Risk level", choices=lambda: [(r.value, r.label) for r in RiskLevel])
    owner_unit_id = SelectField("Owner unit", choices=[])
    lifecycle_stage = SelectField("Life-cycle stage", choices=lambda: [(s.value, s.label) for s in LifecycleStage])
    in_scope = BooleanField("In the AIMS scope", default=True)
    scope_note = TextAreaField(
        "Scope note (required when outside the scope)", validators=[Length(max=4000)], render_kw={"rows": 2}
    )
    submit = SubmitField("Save AI system")

    def set_units(self) -> None:
        self.owner_unit_id.choices = [(str(u.id), u.name) for u in org.unit_options(include_inactive=False)]

    def to_data(self) -> org.SystemData:
        return org.SystemData(
            name=self.name.data or "",
            purpose=self.purpose.data or "",
            roles=[AIRole(value) for value in self.roles.data or []],
            risk_level=RiskLevel(self.risk_level.data),
            owner_unit_id=int(self.owner_unit_id.data or 0),
            lifecycle_stage=LifecycleStage(self.lifecycle_stage.data),
            in_scope=bool(self.in_scope.data),
            scope_note=self.scope_note.data or "",
            supplier=self.supplier.data or None,
            version=self.version.data or None,
            in_production_on=self.in_production_on.data,
            impact_assessment_ref=self.impact_assessment_ref.data or None,
        )
