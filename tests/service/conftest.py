"""Fixtures of the service tests: a world of records, agencies, users and tokens.

The synthetic data set is generated, imported and re-scored once per test session
into a template SQLite file; each `world` is a copy of it, so tests that change
records or decide pairs never see each other's changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from svc_world import World, build_world

from benchmarks.synth import generate
from service import pipeline


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic cases and traces, imported and matched once for the whole session."""
    root = tmp_path_factory.mktemp("service-template")
    paths = generate(root / "data", n_cases=300, seed=11)
    url = f"sqlite:///{root / 'template.db'}"
    store = pipeline.Store.open(url)
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    pipeline.rescore(store, full=True)
    store.engine.dispose()
    return root / "template.db"


@pytest.fixture
def world(template_db: Path, tmp_path: Path) -> Iterator[World]:
    built = build_world(template_db, tmp_path)
    yield built
    built.client.close()
    built.store.engine.dispose()


@pytest.fixture(scope="module")
def shared_world(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for a whole module whose tests do not depend on each other's writes."""
    built = build_world(template_db, tmp_path_factory.mktemp("world"))
    yield built
    built.client.close()
    built.store.engine.dispose()
