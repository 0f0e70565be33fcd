"""Organisation profile, org units and the AI-system inventory: everyone reads, admins edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import ADMIN_ONLY, require_role
from audit_app.services import org, paging
from audit_app.web.forms import form_action, render_form
from audit_app.web.org.forms import ProfileForm, SystemForm, UnitForm

bp = Blueprint("org", __name__, url_prefix="/organisation")


@bp.route("/")
@require_role()
def profile() -> str:
    return render_template("org/profile.html", profile=org.get_profile(), unit_count=org.unit_count())


@bp.route("/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_profile() -> Response | tuple[str, int]:
    form = ProfileForm(obj=org.get_profile())
    if form_action(
        form,
        lambda: org.update_profile(
            form.name.data or "", form.scope_statement.data or "", actor=current_user, sectors=form.sectors.data or ""
        ),
    ):
        flash("Organisation profile saved.", "success")
        return redirect(url_for("org.profile"))
    return render_form("org/profile_form.html", form)


@bp.route("/units")
@require_role()
def units() -> str:
    listing = org.units_page(paging.PageRequest.from_args(request.args), clamp=True)
    return render_template("org/units.html", listing=listing)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_unit(unit_id: int | None = None) -> Response | tuple[str, int]:
    unit = org.get_unit(unit_id) if unit_id is not None else None
    form = UnitForm(obj=unit)
    form.set_parents(exclude_id=unit.id if unit else None)
    form.set_managers(unit)
    if unit is not None and not form.is_submitted():
        form.kind.data = unit.kind.value
        form.parent_id.data = str(unit.parent_id or "")
        form.manager_id.data = str(unit.manager_id or "")
    if done := form_action(form, lambda: org.save_unit(form.to_data(), actor=current_user, unit=unit)):
        flash(f"Org unit {done.value.name} saved.", "success")
        return redirect(url_for("org.units"))
    return render_form("org/unit_form.html", form, unit=unit)


@bp.route("/ai-systems")
@require_role()
def systems() -> str:
    listing = org.systems_page(paging.PageRequest.from_args(request.args), clamp=True)
    return render_template("org/systems.html", listing=listing)


@bp.route("/ai-systems/<int:system_id>")
@require_role()
def system(system_id: int) -> str:
    return render_template("org/system.html", system=org.get_system(system_id))


@bp.route("/ai-systems/new", methods=["GET", "POST"])
@bp.route("/ai-systems/<int:system_id>/edit", methods=["GET", "POST"])
@require_role(*ADMIN_ONLY)
def edit_system(system_id: int | None = None) -> Response | tuple[str, int]:
    system = org.get_system(system_id) if system_id is not None else None
    form = SystemForm(obj=system)
    form.set_units()
    if system is not None and not form.is_submitted():
        for name in ("risk_level", "lifecycle_stage"):
            getattr(form, name).data = getattr(system, name).value
        form.owner_unit_id.data = str(system.owner_unit_id)
    if done := form_action(form, lambda: org.save_system(form.to_data(), actor=current_user, system=system)):
        flash(f"AI system {done.value.name} saved.", "success")
        return redirect(url_for("org.system", system_id=done.value.id))
    return render_form("org/system_form.html", form, system=system)
