"""Schemathesis against ``/api/schema/``: generated requests, valid and not, to every operation
of the REST API, authenticated as a township center's system on a seeded world. No answer
may be a server error, and every answer must match the schema (status code, media type,
body). Bounded examples per operation keep the whole run well under two minutes."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from fengqiao.api.models import ApiKey
from fengqiao.api.rest import lookups
from fengqiao.api.services import api_key_create
from fengqiao.conftest import World

# The WSGI handler itself (fengqiao.wsgi refuses the development keys tests run with).
# Generating the schema reads no database, so it can be loaded as the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """A request through the bare WSGI handler closes the database connection when it ends
    (``close_old_connections``), which would end the test's transaction; Django's test client
    switches that off in the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(world: World) -> str:
    lookups.invalidate()  # per-process caches outlive the rows of earlier tests
    api_key, plaintext = api_key_create(name="fuzz")
    ApiKey.objects.filter(pk=api_key.pk).update(user=world.a.users["township_operator"])
    return plaintext


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, api_key: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {api_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
