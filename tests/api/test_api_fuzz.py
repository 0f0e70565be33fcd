"""The API fuzzed from its own OpenAPI document (schemathesis), in-process, as an administrator on an audit's team.

Every operation of /api/v1/openapi.json gets generated requests (schemathesis' examples, coverage and fuzzing
phases: valid and invalid bodies, queries and path ids, boundary values). Every answer must be no server error,
with a status code and content type the document declares for the operation, and headers and a body that match
the documented schemas.

Each operation is a test of its own with a fresh small world (tests/fixtures/api_fuzz.py), so that path ids hit
real records some of the time: a programme, an audit in fieldwork with a recorded result, an evidence entry with a
file, a drawn sample and a draft one, a planned audit, meetings, a session, team members and auditees.

The run is deterministic (a fixed seed, derandomized Hypothesis, no example database) and bounded: at most
AUDIT_FUZZ_EXAMPLES generated cases per operation in the fuzzing phase (default 8). Raise it locally for a deeper
run, e.g. `AUDIT_FUZZ_EXAMPLES=200 pytest tests/api/test_api_fuzz.py`, or change AUDIT_FUZZ_SEED.

The document is read once at import from an application of its own (generating it touches no database); the
requests go to the test's application. (schemathesis.pytest.from_fixture would load it from a fixture, but its
lazy loader sets `Function._nodeid`, which pytest 9.2 no longer has.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audit_app import create_app
from tests.fixtures import api_fuzz
from tests.fixtures.api_fuzz import FuzzWorld

EXAMPLES = int(os.environ.get("AUDIT_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("AUDIT_FUZZ_SEED", "42001"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
            "allow-x00": True,
        },
        "phases": {"stateful": {"enabled": False}},
    }
)


def _document_app():
    with tempfile.TemporaryDirectory() as instance:
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "openapi",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "INSTANCE_PATH": instance,
            }
        )


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app(), config=CONFIG)


#: The world of the running test, for the path-parameter hook (schemathesis hooks belong to the schema).
_worlds: list[FuzzWorld] = []


@pytest.fixture
def fuzz_world(app, library) -> Iterator[FuzzWorld]:
    world = api_fuzz.build(app, library)
    _worlds.append(world)
    yield world
    _worlds.remove(world)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """The world's record ids some of the time, generated ids otherwise."""
    real = _worlds[-1].path_parameters(path_parameters) if _worlds else None
    return st.just(path_parameters) if real is None else st.one_of(st.just(path_parameters), real)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the world is read, never reset per case
def test_api_answers_as_documented(case, app, fuzz_world: FuzzWorld):
    response = case.call(app=app, headers=fuzz_world.headers, buffered=True)  # buffered: downloads are closed
    case.validate_response(response, checks=CHECKS, headers=fuzz_world.headers)
