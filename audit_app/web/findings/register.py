"""The CAPA register: every finding (or every corrective action) the user may see, filtered, paged, exported.

The filters are a GET form: a value not understood is reported and left out (the page answers 400 with the other
filters applied). Exports keep the filters and hold every matching row the user may see (services/findings/export.py
refuses more than its documented maximum, with a message: 409).
"""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from audit_app.authz import ALL_ROLES, require_role
from audit_app.services import paging
from audit_app.services.findings import dues, export, register
from audit_app.web.findings import GET, bp
from audit_app.web.findings.register_forms import FILTER_NAMES, RegisterFilterForm


def _filters() -> tuple[RegisterFilterForm, bool]:
    form = RegisterFilterForm(request.args)
    form.set_choices(current_user)
    return form, form.validate()


def _filter_args() -> dict[str, str]:
    """The filters of the current address, for links that keep them (views, exports)."""
    return {name: value for name in FILTER_NAMES if (value := request.args.get(name, ""))}


@require_role(*ALL_ROLES)
def register_page() -> tuple[str, int]:
    form, valid = _filters()
    filters = form.to_filters()
    listing = register.findings_page(current_user, filters, paging.PageRequest.from_args(request.args), clamp=True)
    counts = register.summary(current_user, filters)
    page = render_template(
        "findings/register.html", form=form, listing=listing, counts=counts, view="findings", args=_filter_args()
    )
    return page, 200 if valid else 400


@require_role(*ALL_ROLES)
def register_actions() -> tuple[str, int]:
    form, valid = _filters()
    listing = register.actions_page(
        current_user, form.to_filters(), paging.PageRequest.from_args(request.args), clamp=True
    )
    page = render_template(
        "findings/register.html", form=form, listing=listing, counts=None, view="actions", args=_filter_args()
    )
    return page, 200 if valid else 400


def _export(fmt: str) -> Response:
    form, _ = _filters()
    actions = request.args.get("rows") == "actions"
    header, rows = export.register_rows(current_user, form.to_filters(), actions=actions)
    name = f"capa-{'actions' if actions else 'register'}-{dues.today().isoformat()}.{fmt}"
    if fmt == "xlsx":
        body, mimetype = export.to_xlsx(header, rows), export.XLSX_TYPE
    else:
        body, mimetype = export.to_csv(header, rows), export.CSV_TYPE
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@require_role(*ALL_ROLES)
def register_csv() -> Response:
    return _export("csv")


@require_role(*ALL_ROLES)
def register_xlsx() -> Response:
    return _export("xlsx")


bp.add_url_rule("/findings/register", "register", register_page, methods=GET)
bp.add_url_rule("/findings/register/actions", "register_actions", register_actions, methods=GET)
bp.add_url_rule("/findings/register.csv", "register_csv", register_csv, methods=GET)
bp.add_url_rule("/findings/register.xlsx", "register_xlsx", register_xlsx, methods=GET)
