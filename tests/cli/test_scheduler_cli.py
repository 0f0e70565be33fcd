"""The scheduler process: `flask scheduler --once`, the database job store and the job wrapper."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.schedulers.blocking import BlockingScheduler
from click.testing import Result
from flask import Flask

from audit_app.extensions import db
from audit_app.models import EmailStatus, Notification, User
from audit_app.services import scheduling
from audit_app.services.notifications import reminders
from tests.fixtures.planning import reminder_scenario


@pytest.fixture
def cli(app: Flask) -> Callable[..., Result]:
    """Run a command the way `flask --app wsgi ...` does: inside an app context of its own."""
    runner = app.test_cli_runner()

    def _run(*args: str) -> Result:
        with app.app_context():
            return runner.invoke(args=list(args))

    return _run


@pytest.fixture
def scenario(app, plan):
    return reminder_scenario(plan, reminders.local_now(app.config["ORG_TIMEZONE"]))


@pytest.fixture
def bound(app, monkeypatch) -> Flask:
    """scheduling.bind(app) for this test only."""
    monkeypatch.setattr(scheduling, "_app", None)
    scheduling.bind(app)
    return app


def notes() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification)))


def test_scheduler_once_creates_the_reminders_once(cli, scenario):
    first = cli("scheduler", "--once")
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "6 new notification(s), 0 e-mail(s) sent."
    second = cli("scheduler", "--once")
    assert second.exit_code == 0, second.output
    assert second.output.startswith("0 new")
    stored = notes()
    assert len(stored) == 6
    assert {n.email_status for n in stored} == {EmailStatus.NOT_SENT}
    people = scenario["session_people"] | scenario["audit_people"]
    assert {n.user_id for n in stored} == {u.id for u in people}


def test_the_reminder_job_runs_in_the_bound_app(bound, scenario):
    scheduling.reminder_job()  # pushes its own app context and commits
    assert len(notes()) == 6
    scheduling.reminder_job()
    assert len(notes()) == 6


def test_a_job_needs_a_bound_app(monkeypatch):
    monkeypatch.setattr(scheduling, "_app", None)
    with pytest.raises(RuntimeError, match=r"scheduling.bind\(app\) first"):
        scheduling.reminder_job()


def test_a_failing_job_rolls_back_its_changes(bound, plan, caplog):
    user_id = plan.user().id
    db.session.commit()

    def broken() -> None:
        db.session.add(Notification(user_id=user_id, kind="test", subject="half done", dedupe_key="broken:1"))
        db.session.flush()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        scheduling.in_app_context(broken)()
    assert notes() == []
    assert "scheduled job broken failed" in caplog.text
    assert db.session.get(User, user_id) is not None


# ------------------------------------------------------------------ the job store


def _start_paused_and_stop(scheduler: BlockingScheduler) -> list:
    """Start the real (blocking) scheduler paused in a thread, read its jobs, stop it again."""
    thread = threading.Thread(target=scheduler.start, kwargs={"paused": True}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while scheduler.state != STATE_PAUSED:
        assert thread.is_alive(), "the scheduler stopped while starting"
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.01)
    jobs = scheduler.get_jobs()
    scheduler.shutdown()
    thread.join(10)
    assert not thread.is_alive()
    for store in scheduler._jobstores.values():  # the loop's last pass may reopen a connection
        store.engine.dispose()
    return jobs


def _stored_jobs(app: Flask) -> list[Job]:
    """The jobs as a freshly started scheduler process would find them in the database."""
    store = SQLAlchemyJobStore(url=app.config["SQLALCHEMY_DATABASE_URI"], tablename=scheduling.JOB_TABLE)
    store.start(BlockingScheduler(), "default")
    try:
        return store.get_all_jobs()
    finally:
        store.shutdown()


@pytest.fixture
def job_table(app):
    """Drop APScheduler's table afterwards: it is outside our models, so the per-test cleanup skips it."""
    yield scheduling.JOB_TABLE
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {scheduling.JOB_TABLE}"))
    engine.dispose()


def test_build_scheduler_keeps_one_reminder_job_in_the_database(app, job_table, monkeypatch):
    monkeypatch.setattr(scheduling, "_app", None)
    for _ in range(2):  # a restart replaces the job instead of adding a second one
        scheduler = scheduling.build_scheduler(app)
        assert isinstance(scheduler, BlockingScheduler)
        assert scheduling._app is app
        (job,) = _start_paused_and_stop(scheduler)
        assert (job.id, job.name) == ("reminders", "Session and audit reminders")
        assert job.func is scheduling.reminder_job
    (stored,) = _stored_jobs(app)
    assert stored.id == "reminders"
    assert stored.func_ref == "audit_app.services.scheduling:reminder_job"
    assert stored.trigger.interval == timedelta(minutes=app.config["REMINDER_INTERVAL_MINUTES"])
    assert (stored.coalesce, stored.max_instances, stored.misfire_grace_time) == (True, 1, 3600)
    assert stored.next_run_time is not None
