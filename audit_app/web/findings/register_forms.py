"""The CAPA register's filters: a GET form (no CSRF: it changes nothing) whose choices come in a few narrow queries.

A filter value the form does not understand is reported and left out (the list uses the other filters).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_GRADES,
    AISystem,
    Audit,
    AuditProgramme,
    CorrectiveAction,
    Finding,
    FindingSource,
    FindingStatus,
    User,
)
from audit_app.services import access, org
from audit_app.services.findings.policy import visible_where
from audit_app.services.findings.register import FINAL, OPEN, RegisterFilters
from audit_app.web.forms import optional_id

#: Query parameters the register reads besides its filters (kept out of "filters active").
FILTER_NAMES = ("status", "grade", "unit", "owner", "overdue", "ref", "system", "audit", "source", "q")


def _any(label: str = "Any") -> list[tuple[str, str]]:
    return [("", label)]


def grade_options() -> list[tuple[str, str]]:
    """Every grade of every programme's scheme (and the default scheme), by first appearance: one query."""
    found: dict[str, str] = {g["code"]: g["label"] for g in DEFAULT_GRADES}
    for (scheme,) in db.session.execute(sa.select(AuditProgramme.grade_scheme).order_by(AuditProgramme.id)):
        for grade in scheme or ():
            found.setdefault(str(grade["code"]), str(grade["label"]))
    return list(found.items())


def owner_options(user: User) -> list[tuple[int, str]]:
    """The process owners and action owners of the findings the user may see (never anyone else's names)."""
    # Per account, an index lookup that stops at the first finding or action it owns (not a scan of every action).
    owns_finding = sa.exists().where(Finding.process_owner_id == User.id, visible_where(user))
    owns_action = sa.exists().where(
        CorrectiveAction.owner_id == User.id, CorrectiveAction.finding_id == Finding.id, visible_where(user)
    )
    stmt = sa.select(User.id, User.name).where(sa.or_(owns_finding, owns_action)).order_by(User.name, User.id)
    return [(row.id, row.name) for row in db.session.execute(stmt)]


class RegisterFilterForm(FlaskForm):
    """The GET filters of the CAPA register; every select defaults to "any"."""

    class Meta:
        csrf = False

    q = StringField("Search reference, title or statement", validators=[Optional(), Length(max=200)])
    status = SelectField("Status", choices=[], default="")
    grade = SelectField("Grade", choices=[], default="")
    unit = SelectField("Auditee unit", choices=[], default="")
    owner = SelectField("Owner (process or action)", choices=[], default="")
    ref = StringField("Clause or control", validators=[Optional(), Length(max=20)])
    system = SelectField("AI system", choices=[], default="")
    audit = SelectField("Audit", choices=[], default="")
    source = SelectField("Source", choices=[], default="")
    overdue = BooleanField("Overdue only")

    def set_choices(self, user: User) -> None:
        states = [(s.value, s.label) for s in FindingStatus]
        self.status.choices = [*_any(), (OPEN, "Open (not closed)"), (FINAL, "Closed, withdrawn or merged"), *states]
        self.grade.choices = _any() + grade_options()
        self.unit.choices = _any() + [(str(u.id), u.label) for u in org.unit_options()]
        self.owner.choices = _any() + [(str(i), name) for i, name in owner_options(user)]
        systems = db.session.execute(sa.select(AISystem.id, AISystem.name).order_by(AISystem.name, AISystem.id))
        self.system.choices = _any() + [(str(i), name) for i, name in systems]
        audits = db.session.execute(
            sa.select(Audit.id, Audit.reference)
            .where(access.VIEW.where(user))  # an auditee is offered only the audits they may see
            .order_by(Audit.reference.desc(), Audit.id)
        )
        self.audit.choices = _any() + [(str(i), reference) for i, reference in audits]
        self.source.choices = _any() + [(s.value, s.label) for s in FindingSource]

    def to_filters(self) -> RegisterFilters:
        """The filters whose values are valid; an invalid one (reported by validate) is left out."""

        def ok(field: SelectField | StringField) -> str:
            return "" if field.errors else (field.data or "").strip()

        return RegisterFilters(
            status=ok(self.status),
            grade=ok(self.grade),
            unit_id=optional_id(ok(self.unit)),
            owner_id=optional_id(ok(self.owner)),
            overdue=bool(self.overdue.data),
            ref=ok(self.ref),
            ai_system_id=optional_id(ok(self.system)),
            audit_id=optional_id(ok(self.audit)),
            source=FindingSource(ok(self.source)) if ok(self.source) else None,
            text=ok(self.q),
        )
