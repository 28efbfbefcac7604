"""A store re-scored by an older version: its model compares other features or levels."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.synth import generate
from case_store.db import transaction
from case_store.models import Case, MatchRun, PotentialMatch, Trace
from service import pipeline


def _newest_model(session: Session, **changes: Any) -> dict[str, Any]:
    """The newest completed run's model, stored again with `changes` where given: as an
    older version of the matcher would have written it."""
    run = session.scalars(
        select(MatchRun).where(MatchRun.state == "done").order_by(MatchRun.id.desc())
    ).first()
    assert run is not None and run.detail
    model = {**json.loads(run.detail["model"]), **changes}
    if changes:
        run.detail = {**run.detail, "model": json.dumps(model)}
    return model


def test_a_pair_never_proposed_is_not_explained_with_an_older_model(tmp_path) -> None:
    """After an upgrade that changed the model's levels, the stored proposals still
    explain themselves; a pair never proposed cannot be scored with the old model, and
    the caller is told to run a full re-score rather than shown a stack trace."""
    paths = generate(tmp_path / "data", n_cases=120, seed=31)
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    store = pipeline.Store.open(url)
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    pipeline.rescore(store, full=True, persist=False)
    with transaction(store.sessions) as session:
        proposed = {(m.trace_id, m.case_id) for m in session.scalars(select(PotentialMatch))}
        trace_id = session.scalars(select(Trace.trace_id).order_by(Trace.trace_id)).first()
        case_id = next(
            c
            for c in session.scalars(select(Case.case_id).order_by(Case.case_id))
            if (trace_id, c) not in proposed
        )
        levels = _newest_model(session)["levels"]
        _newest_model(session, levels=[*levels[:2], 6, *levels[3:]])  # birth as it was
    with pytest.raises(pipeline.ModelOutdated, match="rescore --full"):
        pipeline.explain_pair(store, trace_id, case_id)
    stored = pipeline.explain_pair(store, *sorted(proposed)[0])
    assert stored.evidence
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "--db", url, "explain", trace_id, case_id],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "rescore --full" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_the_api_answers_409_for_a_pair_it_cannot_score_with_an_older_model(world) -> None:
    trace_id = world.ids["trace_a"]
    with transaction(world.store.sessions) as session:
        proposed = set(
            session.scalars(
                select(PotentialMatch.case_id).where(PotentialMatch.trace_id == trace_id)
            )
        )
        _newest_model(session, name="fs-1to1-v1")
    case_id = next(c for c in [world.ids["case_n"], *world.cases_n] if c not in proposed)
    answer = world.client.get(f"/v1/matches/{trace_id}/{case_id}", headers=world.auth("admin"))
    assert answer.status_code == 409
    assert "rescore --full" in answer.json()["detail"]
