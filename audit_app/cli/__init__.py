"""Command-line interface: `flask --app wsgi <command>`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from audit_app.cli import checklists, reports, scheduler, setup, users

    app.cli.add_command(setup.init_command)
    app.cli.add_command(setup.demo_command)
    app.cli.add_command(users.users_group)
    app.cli.add_command(checklists.checklists_group)
    app.cli.add_command(scheduler.scheduler_command)
    app.cli.add_command(reports.reports_group)
