from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from audit_app.models import Role
from audit_app.services import accounts, org
from audit_app.web.forms import optional_id

ROLE_CHOICES = [(r.value, r.label) for r in Role]
# Fields take choices through a callable: WTForms 3.3 deprecates (value, label) tuples passed directly.


class _UnitChoices:
    org_unit_id: SelectField

    def set_units(self) -> None:
        self.org_unit_id.choices = [("", "(none)")] + [
            (str(u.id), u.name) for u in org.unit_options(include_inactive=False)
        ]

    def unit_id(self) -> int | None:
        return optional_id(self.org_unit_id.data)


class UserCreateForm(_UnitChoices, FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=lambda: ROLE_CHOICES)
    org_unit_id = SelectField("Org unit", choices=[])
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )
    submit = SubmitField("Create user")

    def to_data(self) -> accounts.UserData:
        return accounts.UserData(self.email.data or "", self.name.data or "", Role(self.role.data), self.unit_id())


class UserEditForm(_UnitChoices, FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=lambda: ROLE_CHOICES)
    org_unit_id = SelectField("Org unit", choices=[])
    submit = SubmitField("Save changes")


class ChecklistUploadForm(FlaskForm):
    file = FileField("Checklist file (YAML or JSON)", validators=[FileRequired("Choose a file to upload.")])
    submit = SubmitField("Validate and import")


class ReportTemplateForm(FlaskForm):
    template = FileField("Word template (.docx)", validators=[FileRequired("Choose a .docx file to upload.")])
    submit = SubmitField("Check and use this template")
