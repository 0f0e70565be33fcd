"""Planning forms: they check the shape of the input; the services hold the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from audit_app.extensions import db
from audit_app.models import (
    MEETING_POINTS,
    Audit,
    AuditMeeting,
    AuditSession,
    MeetingKind,
    Role,
    SessionActivity,
    TeamRole,
    User,
)
from audit_app.services import org
from audit_app.services.access import MAX_ID
from audit_app.services.planning import agenda, meetings, team
from audit_app.web.forms import optional_id


class ValidId:
    """Refuse ids no database column can hold (the bound of route ids and of the API's `Id` field, access.MAX_ID).

    For id fields whose choices are not checked (the service says which records are allowed, and why): without
    it an id past 2**31-1 or 2**63-1 reached a query and failed there (a 500) instead of naming no record.
    """

    def __init__(self, message: str = "Choose from the list: one of the choices is not a known record.") -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        values = field.data if isinstance(field.data, list | tuple) else [field.data]
        if any(isinstance(value, int) and not 0 < value <= MAX_ID for value in values):
            raise ValidationError(self.message)


class CheckboxListField(SelectMultipleField):
    """A multiple choice of records shown as a list of labelled checkboxes (rendered in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)  # the service says which choices are allowed, and why
        kwargs["validators"] = [*(kwargs.get("validators") or ()), ValidId()]
        super().__init__(*args, **kwargs)


class MemberForm(FlaskForm):
    user_id = SelectField("Person", choices=[], validators=[InputRequired(message="Choose a person.")])
    role = SelectField(
        "Role on the team",
        choices=lambda: [(r.value, r.label) for r in TeamRole if r is not TeamRole.LEAD_AUDITOR],
    )
    exception = TextAreaField("Justified exception (optional)", validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Add to the team")

    def set_candidates(self, audit: Audit) -> None:
        """List the possible members, saying of each whether they would be impartial."""
        choices = [("", "Choose a person")]
        for user, reasons in team.candidates(audit):
            label = f"{user.name} ({user.role.label})"
            if user.role is Role.VIEWER:
                label += " (management: may join only as an observer)"
            if reasons:
                label += " (not impartial: " + " ".join(reasons) + ")"
            choices.append((str(user.id), label))
        self.user_id.choices = choices

    def chosen_user_id(self) -> int:
        return int(self.user_id.data)

    def chosen_role(self) -> TeamRole:
        return TeamRole(self.role.data)


class ExceptionForm(FlaskForm):
    """A justified exception for a team member who is not impartial with the current scope (the lead included)."""

    member_id = SelectField("Team member", choices=[], validators=[InputRequired(message="Choose a team member.")])
    exception = TextAreaField("Justified exception", validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Record the exception")

    def set_choices(self, audit: Audit) -> None:
        self.member_id.choices = [("", "Choose a team member")] + [
            (str(m.id), f"{m.user.name} ({m.role.label}): " + " ".join(reasons)) for m, reasons in team.excusable(audit)
        ]

    def chosen_member_id(self) -> int:
        return int(self.member_id.data)


class AuditeeForm(FlaskForm):
    """An auditee representative: pick an auditee account, or name someone without an account."""

    user_id = SelectField("Auditee account", choices=[], default="")
    name = StringField("Name (if they have no account)", validators=[Length(max=120)])
    position = StringField("Position", validators=[Length(max=120)])
    org_unit_id = SelectField("Org unit", choices=[], default="")
    submit = SubmitField("Add auditee representative")

    def set_choices(self, audit: Audit) -> None:
        listed = {a.user_id for a in audit.auditees if a.user_id}
        accounts = db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role == Role.AUDITEE).order_by(User.name)
        )
        self.user_id.choices = [("", "(no account: enter the name below)")] + [
            (str(u.id), f"{u.name} ({u.org_unit.name if u.org_unit else 'no unit'})")
            for u in accounts
            if u.id not in listed
        ]
        self.org_unit_id.choices = [("", "(none, or the account's unit)")] + [
            (str(u.id), u.name) for u in org.unit_options(include_inactive=False)
        ]

    def to_kwargs(self) -> dict[str, Any]:
        return {
            "user_id": optional_id(self.user_id.data),
            "name": self.name.data or "",
            "position": self.position.data or "",
            "org_unit_id": optional_id(self.org_unit_id.data),
        }


class SessionForm(FlaskForm):
    day = DateField("Day", validators=[InputRequired(message="Enter the day as YYYY-MM-DD.")])
    start_time = TimeField("Start time", validators=[InputRequired(message="Enter the start time as HH:MM.")])
    duration_minutes = IntegerField(
        "Duration in minutes", validators=[InputRequired(message="Enter the duration as a whole number of minutes.")]
    )
    activity = SelectField("Activity", choices=lambda: [(a.value, a.label) for a in SessionActivity])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    location = StringField("Location", validators=[Length(max=200)])
    remote_link = StringField("Remote meeting link", validators=[Length(max=500)])
    notes = TextAreaField("Notes", validators=[Length(max=4000)], render_kw={"rows": 3})
    item_ids = CheckboxListField("Clauses and controls covered")
    auditor_ids = CheckboxListField("Auditors")
    auditee_ids = CheckboxListField("Auditees")
    unit_ids = CheckboxListField("Auditee units covered")
    exception = TextAreaField(
        "Justified impartiality exception (only if needed)", validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    submit = SubmitField("Save session")

    def set_choices(self, audit: Audit) -> None:
        self.item_ids.choices = [(i.id, f"{i.ref} {i.title}") for i in audit.scope_items]
        self.auditor_ids.choices = [(m.user_id, f"{m.user.name} ({m.role.label})") for m in audit.team]
        self.auditee_ids.choices = [
            (a.id, f"{a.name}{' (' + a.position + ')' if a.position else ''}") for a in audit.auditees
        ]
        self.unit_ids.choices = [
            (u.id, f"{u.name} ({u.kind.label.lower()})") for u in agenda.unit_choices(audit).values()
        ]

    def fill_from(self, session: AuditSession) -> None:
        self.activity.data = session.activity.value
        self.item_ids.data = [i.id for i in session.items]
        self.auditor_ids.data = [u.id for u in session.auditors]
        self.auditee_ids.data = [a.id for a in session.auditees]
        self.unit_ids.data = [u.id for u in session.units]

    def to_data(self) -> agenda.SessionData:
        return agenda.SessionData(
            day=self.day.data,
            start_time=self.start_time.data,
            duration_minutes=self.duration_minutes.data,
            activity=SessionActivity(self.activity.data),
            title=self.title.data or "",
            location=self.location.data or "",
            remote_link=self.remote_link.data or "",
            notes=self.notes.data or "",
            item_ids=tuple(self.item_ids.data or ()),
            auditor_ids=tuple(self.auditor_ids.data or ()),
            auditee_ids=tuple(self.auditee_ids.data or ()),
            unit_ids=tuple(self.unit_ids.data or ()),
            exception=self.exception.data or "",
        )


class MeetingForm(FlaskForm):
    held_at = DateField("Date held", validators=[InputRequired(message="Enter the date as YYYY-MM-DD.")])
    held_time = TimeField("Time held", validators=[InputRequired(message="Enter the time as HH:MM.")])
    attendees = TextAreaField(
        "Attendees (one per line: name and role)", validators=[Length(max=4000)], render_kw={"rows": 5}
    )
    points_covered = CheckboxListField("Points covered", coerce=str)
    notes = TextAreaField("Notes", validators=[Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField("Save meeting record")

    def prepare(self, kind: MeetingKind, meeting: AuditMeeting | None) -> None:
        self.points_covered.choices = list(MEETING_POINTS[kind])
        if meeting is not None and not self.is_submitted():
            self.held_at.data, self.held_time.data = meeting.held_at.date(), meeting.held_at.time()
            self.attendees.data, self.notes.data = meeting.attendees, meeting.notes
            self.points_covered.data = list(meeting.points_covered)

    def to_data(self) -> meetings.MeetingData:
        return meetings.MeetingData(
            held_at=datetime.combine(self.held_at.data, self.held_time.data),
            attendees=self.attendees.data or "",
            points_covered=tuple(self.points_covered.data or ()),
            notes=self.notes.data or "",
        )
