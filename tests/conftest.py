"""Fixtures: a real database (SQLite file, or PostgreSQL from AUDIT_TEST_DATABASE_URL) and the app.

The suite runs in parallel (pytest-xdist): every worker migrates a database of its own once (an SQLite file,
or a PostgreSQL database named after the worker) and reuses one application for every test that does not
change the configuration. After each test the rows it wrote are deleted (ids start again at 1), its files
are removed and the configuration is put back, so each test still starts from an empty database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from audit_app import create_app
from audit_app.extensions import db
from audit_app.services.library import checklists

#: Fixtures shared between test modules live in tests/fixtures/ and are registered here; plain helpers and constants
#: there are imported. Their asserts are rewritten like the tests' own.
pytest.register_assert_rewrite("tests.fixtures")
pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.browser",
    "tests.fixtures.planning",
    "tests.fixtures.smtp",
    "tests.fixtures.fieldwork_pages",
    "tests.fixtures.planning_pages",
    "tests.fixtures.sample_pages",
    "tests.fixtures.api_fieldwork",
    "tests.fixtures.api_samples",
    "tests.fixtures.findings",
    "tests.fixtures.reports",
    "tests.fixtures.api_reports",
]

#: A deliberately cheap hash for test accounts; production keeps scrypt (tests/web/test_auth.py checks it).
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"


def _base_config(url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_RECORD_QUERIES": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        "INSTANCE_PATH": str(instance),
    }


def _worker_database(base_url: str, worker: str) -> str:
    """A PostgreSQL database of this worker's own on the server of `base_url`, created empty."""
    url = make_url(base_url)
    name = f"{url.database}_{worker}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """Migrate a real database to head once per worker (this also tests the migrations)."""
    base = os.environ.get("AUDIT_TEST_DATABASE_URL")
    if base:
        url = _worker_database(base, worker_id) if worker_id != "master" else base
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(_base_config(url, tmp_path_factory.mktemp("migrate-instance")))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change the app's configuration (the test then gets an app of its own)."""
    return {}


@pytest.fixture(scope="session")
def _shared_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(_base_config(database_url, tmp_path_factory.mktemp("shared") / "instance"))


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path, config_overrides: dict) -> Iterator[Flask]:
    if config_overrides:
        app = create_app({**_base_config(database_url, tmp_path / "instance"), **config_overrides})
    else:
        app = request.getfixturevalue("_shared_app")
    saved = dict(app.config)
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
    if config_overrides:
        with app.app_context():
            db.engine.dispose()
    else:
        app.config.clear()
        app.config.update(saved)
        shutil.rmtree(app.instance_path, ignore_errors=True)
        Path(app.instance_path).mkdir(parents=True)


def _empty_tables() -> None:
    """Delete the rows of every table that has any (children first) and start their ids at 1 again."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        probe = " UNION ALL ".join(
            f"SELECT '{t.name}' AS name WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608  (our own table names)
            for t in tables
        )
        used = {row[0] for row in connection.execute(sa.text(probe))}
        if "org_unit" in used:  # units and users refer to each other (a unit's manager): break the cycle first
            connection.execute(sa.text("UPDATE org_unit SET manager_id = NULL"))
        for table in tables:
            if table.name in used:
                connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            for table in tables:
                if table.name in used and "id" in table.c and table.c.id.autoincrement:
                    connection.execute(
                        sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)")
                    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def library(app: Flask) -> int:
    """Load the shipped ISO/IEC 42001 library; return the version id."""
    with app.app_context():
        (result,) = checklists.load_built_in()
        db.session.commit()
        return result.version.id


@pytest.fixture
def query_count(app: Flask) -> Callable[[], int]:
    """Number of SQL statements recorded during the current request context."""
    from flask_sqlalchemy.record_queries import get_recorded_queries

    return lambda: len(get_recorded_queries())
