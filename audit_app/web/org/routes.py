"""Organisation profile, org units and the AI-system inventory: everyone reads, admins edit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import ADMIN_ONLY, require_role
from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import AISystem, OrgUnit
from audit_app.services import org
from audit_app.web.forms import show_errors
from audit_app.web.org.forms import ProfileForm, SystemForm, UnitForm

bp = Blueprint("org", __name__, url_prefix="/organisation")


def _unit_or_404(unit_id: int) -> OrgUnit:
    try:
        return org.get_unit(unit_id)
    except NotFound:
        abort(404)


def _system_or_404(system_id: int) -> AISystem:
    try:
        return org.get_system(system_id)
    except NotFound:
        abort(404)


@bp.route("/")
@require_role()
def profile() -> str:
    return render_template("org/profile.html", profile=org.get_profile(), units=org.list_units())


@bp.route("/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_profile() -> str | Response:
    profile = org.get_profile()
    form = ProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            org.update_profile(form.name.data or "", form.scope_statement.data or "", actor=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash("Organisation profile saved.", "success")
            return redirect(url_for("org.profile"))
    return render_template("org/profile_form.html", form=form), 400 if form.errors or form.form_errors else 200


@bp.route("/units")
@require_role()
def units() -> str:
    return render_template("org/units.html", units=org.list_units())


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_unit(unit_id: int | None = None) -> str | Response:
    unit = _unit_or_404(unit_id) if unit_id is not None else None
    form = UnitForm(obj=unit)
    form.set_parents(exclude_id=unit.id if unit else None)
    if unit is not None and not form.is_submitted():
        form.kind.data = unit.kind.value
        form.parent_id.data = str(unit.parent_id or "")
    if form.validate_on_submit():
        try:
            saved = org.save_unit(form.to_data(), actor=current_user, unit=unit)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Org unit {saved.name} saved.", "success")
            return redirect(url_for("org.units"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("org/unit_form.html", form=form, unit=unit), status


@bp.route("/ai-systems")
@require_role()
def systems() -> str:
    return render_template("org/systems.html", systems=org.list_systems())


@bp.route("/ai-systems/<int:system_id>")
@require_role()
def system(system_id: int) -> str:
    return render_template("org/system.html", system=_system_or_404(system_id))


@bp.route("/ai-systems/new", methods=["GET", "POST"])
@bp.route("/ai-systems/<int:system_id>/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_system(system_id: int | None = None) -> str | Response:
    system = _system_or_404(system_id) if system_id is not None else None
    form = SystemForm(obj=system)
    form.set_units()
    if system is not None and not form.is_submitted():
        for name in ("role", "risk_level", "lifecycle_stage"):
            getattr(form, name).data = getattr(system, name).value
        form.owner_unit_id.data = str(system.owner_unit_id)
    if form.validate_on_submit():
        try:
            saved = org.save_system(form.to_data(), actor=current_user, system=system)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(f"AI system {saved.name} saved.", "success")
            return redirect(url_for("org.system", system_id=saved.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("org/system_form.html", form=form, system=system), status
