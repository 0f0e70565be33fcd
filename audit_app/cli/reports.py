"""`reports template [PATH]`: write the default Word template (the committed one is this command's output)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from audit_app.documents.default_template import build_default_template
from audit_app.services.reports.templates import DEFAULT_TEMPLATE_NAME


@click.group("reports")
def reports_group() -> None:
    """Word report templates."""


@reports_group.command("template")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def write_template(path: Path | None) -> None:
    """Write the default template to PATH (default: the configured REPORT_TEMPLATE_DIR), to brand it in Word."""
    target = path or Path(current_app.config["REPORT_TEMPLATE_DIR"]) / DEFAULT_TEMPLATE_NAME
    target.write_bytes(build_default_template())
    click.echo(f"Wrote {target}")
