from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(
        "Token label", validators=[DataRequired(), Length(max=80)], render_kw={"placeholder": "e.g. reporting script"}
    )
    submit = SubmitField("Create token")
