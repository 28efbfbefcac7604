"""Schemathesis against the OpenAPI description: no 5xx, no answer outside its schema.

Runs on the ASGI app in process, as an admin (who may call everything), with few
examples per operation so the whole service suite stays within minutes. One test per
operation, so a failure names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from svc_world import build_world, settings_for

from service.api import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 10


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """Every API operation, from the description itself (no store is touched): valid
    requests for all, invalid ones for those that take parameters or a body."""
    spec = create_app(settings_for("sqlite://")).openapi()
    found = []
    for path, item in spec["paths"].items():
        # The review pages are HTML forms for browsers; test_pages.py covers them.
        if not (path.startswith("/v1/") or path == "/healthz"):
            continue
        for method, operation in item.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


@pytest.fixture(scope="module")
def fuzz_world(template_db: Path, tmp_path_factory: pytest.TempPathFactory):
    world = build_world(template_db, tmp_path_factory.mktemp("fuzz"))
    world.schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    yield world
    world.client.close()
    world.store.engine.dispose()


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_api_answers_within_its_description(
    fuzz_world, method: str, path: str, mode: GenerationMode
) -> None:
    """Valid requests and invalid ones (which must be refused with a 4xx, never a 5xx)."""
    operation = fuzz_world.schema[path][method]
    headers = fuzz_world.auth("admin")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
