"""Forms of the audit pages: they check the shape of the input; the services check the rules."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import Audit, AuditMethod, AuditStatus, AuditType, User
from audit_app.services import org
from audit_app.services.access import PLANNERS
from audit_app.services.library import checklists
from audit_app.services.planning import audits, programmes
from audit_app.services.planning.audits import AuditDetails, AuditFilters
from audit_app.services.planning.team import NotImpartial
from audit_app.web.forms import optional_id
from audit_app.web.planning.forms import ValidId


def planners(*, active_only: bool) -> list[User]:
    """Users who may lead an audit (administrators and lead auditors)."""
    stmt = sa.select(User).where(User.role.in_(PLANNERS)).order_by(User.name)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


def _any(label: str = "Any") -> list[tuple[str, str]]:
    return [("", label)]


class AuditFilterForm(FlaskForm):
    """The GET filters of the audits list; every select defaults to "any"."""

    class Meta:
        csrf = False

    programme = SelectField("Programme", choices=[], default="")
    status = SelectField("Status", choices=[], default="")
    type = SelectField("Type", choices=[], default="")
    lead = SelectField("Lead auditor", choices=[], default="")
    unit = SelectField("Org unit in scope", choices=[], default="")

    def set_choices(self) -> None:
        self.programme.choices = _any() + [(str(p.id), p.label) for p in programmes.programme_options()]
        self.status.choices = _any() + [(s.value, s.label) for s in AuditStatus]
        self.type.choices = _any() + [(t.value, t.label) for t in AuditType]
        self.lead.choices = _any() + [(str(u.id), u.name) for u in planners(active_only=False)]
        self.unit.choices = _any() + [(str(u.id), u.label) for u in org.unit_options()]

    def to_filters(self) -> AuditFilters:
        """The filters whose values are valid; an invalid one (reported by validate) is left out."""

        def ok(field: SelectField) -> str:
            return "" if field.errors else (field.data or "")

        return AuditFilters(
            programme_id=optional_id(ok(self.programme)),
            status=AuditStatus(ok(self.status)) if ok(self.status) else None,
            audit_type=AuditType(ok(self.type)) if ok(self.type) else None,
            lead_auditor_id=optional_id(ok(self.lead)),
            unit_id=optional_id(ok(self.unit)),
        )

    @property
    def active(self) -> bool:
        return any(f.data for f in (self.programme, self.status, self.type, self.lead, self.unit) if not f.errors)


class AuditForm(FlaskForm):
    """An audit's details (ISO 19011 6.3.2.2): used to change an audit."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    audit_type = SelectField("Type of audit", choices=lambda: [(t.value, t.label) for t in AuditType])
    objectives = TextAreaField("Objectives", validators=[Length(max=10000)], render_kw={"rows": 4})
    scope_notes = TextAreaField(
        "Scope notes (processes, functions, boundaries)", validators=[Length(max=10000)], render_kw={"rows": 3}
    )
    period_covered_start = DateField("Period covered: from", validators=[Optional()])
    period_covered_end = DateField("Period covered: to", validators=[Optional()])
    method = SelectField("Method", choices=lambda: [(m.value, m.label) for m in AuditMethod])
    start_date = DateField("Audit starts on", validators=[InputRequired(message="Enter the start date.")])
    end_date = DateField("Audit ends on", validators=[InputRequired(message="Enter the end date.")])
    language = StringField("Working and reporting language", default="English", validators=[Length(max=40)])
    client = StringField("Audit client", validators=[Length(max=200)])
    lead_auditor_id = SelectField(
        "Lead auditor",
        choices=[],
        coerce=optional_id,
        validate_choice=False,  # the service says why a user cannot lead
        validators=[DataRequired(message="Choose the lead auditor."), ValidId()],
    )
    other_criteria = TextAreaField(
        "Other criteria (policies, procedures, contracts, laws)", validators=[Length(max=10000)], render_kw={"rows": 3}
    )
    confidentiality_note = TextAreaField(
        "Confidentiality and information-security arrangements", validators=[Length(max=10000)], render_kw={"rows": 3}
    )
    submit = SubmitField("Save audit")

    def set_choices(self) -> None:
        self.lead_auditor_id.choices = [("", "(choose)")] + [
            (u.id, f"{u.name} ({u.role.label.lower()})") for u in planners(active_only=True)
        ]

    def to_command(self) -> AuditDetails:
        return AuditDetails(
            title=self.title.data or "",
            audit_type=AuditType(self.audit_type.data),
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            lead_auditor_id=self.lead_auditor_id.data,
            objectives=self.objectives.data or "",
            scope_notes=self.scope_notes.data or "",
            period_covered_start=self.period_covered_start.data,
            period_covered_end=self.period_covered_end.data,
            method=AuditMethod(self.method.data),
            language=self.language.data or "",
            client=self.client.data or "",
            other_criteria=self.other_criteria.data or "",
            confidentiality_note=self.confidentiality_note.data or "",
        )


class AuditDetailsForm(AuditForm):
    """Change an audit's details; a new lead auditor who is not impartial needs a justified exception."""

    lead_exception = TextAreaField(
        "Impartiality exception for the new lead auditor", validators=[Length(max=2000)], render_kw={"rows": 3}
    )

    def save(self, audit: Audit, *, actor: User) -> Audit:
        """Save the details; after a refusal, `lead_conflicts` says why the new lead is not impartial."""
        self.lead_conflicts: list[str] = []
        try:
            return audits.update_details(
                audit, self.to_command(), actor=actor, lead_exception=self.lead_exception.data or ""
            )
        except NotImpartial as exc:  # kept to list the reasons beside the exception field
            self.lead_conflicts = exc.reasons
            raise
        except ValidationFailed as exc:  # the service names the exception "exception"; this form lead_exception
            errors = {("lead_exception" if key == "exception" else key): v for key, v in exc.errors.items()}
            raise ValidationFailed(str(exc), errors) from exc

    @property
    def offers_exception(self) -> bool:
        """Show the exception field: the new lead was refused as not impartial, or an exception was typed."""
        return bool(getattr(self, "lead_conflicts", None) or self.lead_exception.data or self.lead_exception.errors)


class NewAuditForm(AuditForm):
    """Plan a new audit in a programme."""

    programme_id = SelectField(
        "Audit programme",
        choices=[],
        coerce=optional_id,
        validators=[DataRequired(message="Choose the programme.")],
    )
    submit = SubmitField("Plan audit")

    def set_choices(self) -> None:
        super().set_choices()
        self.programme_id.choices = [("", "(choose)")] + [(p.id, p.label) for p in programmes.programme_options()]


class ScopeForm(FlaskForm):
    """Org units and AI systems in the audit's scope (the template groups the checkboxes)."""

    unit_ids = SelectMultipleField("Org units", coerce=int, choices=[])
    system_ids = SelectMultipleField("AI systems", coerce=int, choices=[])
    exception = TextAreaField(
        "Justified impartiality exception (only if needed)", validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    submit = SubmitField("Save scope")

    def set_choices(self, units: list[Any], systems: list[Any]) -> None:
        self.unit_ids.choices = [(u.id, u.name) for u in units]
        self.system_ids.choices = [(s.id, s.name) for s in systems]


class CriteriaForm(FlaskForm):
    """Checklist versions to pin and the clauses and controls in scope."""

    version_ids = SelectMultipleField("Checklist versions", coerce=int, choices=[])
    #: Any ids; the service refuses items outside the pinned versions or not auditable.
    item_ids = SelectMultipleField(
        "Clauses and controls in scope", coerce=int, choices=[], validate_choice=False, validators=[ValidId()]
    )
    other_criteria = TextAreaField(
        "Other criteria (policies, procedures, contracts, laws)", validators=[Length(max=10000)], render_kw={"rows": 4}
    )
    select_all = SubmitField("Select all items of the pinned checklists")
    save = SubmitField("Save selection")

    def set_choices(self, versions: list[Any]) -> None:
        self.version_ids.choices = [(v.id, v.label) for v in versions]

    def ticked(self) -> list[int]:
        """The checklist versions ticked, each once."""
        return list(dict.fromkeys(self.version_ids.data or []))

    def items_in_scope(self, versions: list[Any], pinned_before: list[int]) -> list[int]:
        """The items chosen: every auditable item of the ticked versions for "select all", else those ticked.

        Items of a version no longer ticked go with it; the service refuses unknown or stray items.
        """
        ticked = self.ticked()
        known = {v.id: v for v in versions}
        shown = {vid: checklists.version_items(known[vid]) for vid in dict.fromkeys([*pinned_before, *ticked])}
        if self.select_all.data:
            return list(dict.fromkeys(item.id for vid in ticked for item in shown[vid] if item.auditable))
        version_of = {item.id: vid for vid, items in shown.items() for item in items}
        return list(dict.fromkeys(i for i in self.item_ids.data or [] if version_of.get(i) in (None, *ticked)))


class TransitionForm(FlaskForm):
    """One life-cycle move: the target state and, where needed, the reason."""

    target = StringField("Target status", validators=[DataRequired(message="Choose the status to move to.")])
    reason = TextAreaField("Reason", validators=[Length(max=4000)])

    def target_status(self) -> AuditStatus:
        """The status asked for; a missing or unknown one is refused (400), naming the statuses there are."""
        if not self.validate():
            raise ValidationFailed(" ".join(m for messages in self.errors.values() for m in messages), self.errors)
        try:
            return AuditStatus(self.target.data or "")
        except ValueError:
            allowed = ", ".join(s.value for s in AuditStatus)
            raise ValidationFailed.on(
                "target", f"Unknown status {(self.target.data or '')[:40]!r}. Use one of: {allowed}."
            ) from None
