"""Decisions: the workflow, undo with history, concurrency, and rejected pairs staying out."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from svc_helpers import decide
from svc_world import build_world

from case_store import decisions
from case_store.db import transaction
from case_store.models import Case, Decision, DecisionEntry, PotentialMatch, Trace
from case_store.repository import StoredMatch
from service import pipeline


def workflow(world, kind: str, record_id: str) -> str:
    answer = world.client.get(f"/v1/{kind}/{record_id}", headers=world.auth("admin"))
    return answer.json()["workflow"]


def state_of(world, trace_id: str, case_id: str) -> tuple[str, int]:
    body = world.client.get(
        f"/v1/matches/{trace_id}/{case_id}", headers=world.auth("officer_a")
    ).json()
    return body["state"], body["version"]


def test_confirm_links_and_moves_the_workflow_then_undo_keeps_history(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    answer = decide(world, "officer_a", trace_id, case_id, "confirmed", 0, "same birth cert")
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "confirmed"
    officer = world.auth("officer_a")
    assert workflow(world, "traces", trace_id) == "matched"
    assert workflow(world, "cases", case_id) == "matched"
    # A confirmed trace leaves the queue.
    queue = world.client.get("/v1/queue?limit=200", headers=officer).json()
    assert trace_id not in {item["trace"]["id"] for item in queue["items"]}

    # The officer may not undo; the supervisor may.
    undo = {"note": "wrong child", "expected_version": 1}
    url = f"/v1/matches/{trace_id}/{case_id}/undo"
    assert world.client.post(url, json=undo, headers=officer).status_code == 403
    answer = world.client.post(url, json=undo, headers=world.auth("supervisor_a"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "open"
    assert workflow(world, "traces", trace_id) == "open"
    history = world.client.get(f"{url[:-5]}/decisions", headers=officer).json()
    assert [(h["verdict"], h["state"], h["decided_by"]) for h in history] == [
        ("confirmed", "confirmed", "officer_a"),
        ("undone", "open", "supervisor_a"),
    ]
    assert history[1]["undoes_decision_id"] == history[0]["decision_id"]
    assert history[0]["note"] == "same birth cert"


def test_reunified_only_after_confirmed_and_undo_steps_back(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    supervisor = world.auth("supervisor_a")
    url = f"/v1/matches/{trace_id}/{case_id}"
    refused = world.client.post(
        f"{url}/reunification", json={"expected_version": 0}, headers=supervisor
    )
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "open"
    assert decide(world, "officer_a", trace_id, case_id, "confirmed", 0).status_code == 201
    answer = world.client.post(
        f"{url}/reunification", json={"expected_version": 1, "note": "home"}, headers=supervisor
    )
    assert answer.status_code == 201
    assert workflow(world, "traces", trace_id) == "reunified"
    # A reunified pair takes no new verdict until the reunification is undone.
    assert decide(world, "officer_a", trace_id, case_id, "rejected", 2).status_code == 409
    answer = world.client.post(f"{url}/undo", json={"expected_version": 2}, headers=supervisor)
    assert answer.json()["state"] == "confirmed"
    assert state_of(world, trace_id, case_id) == ("confirmed", 3)


def test_a_trace_is_confirmed_to_one_case_at_a_time(world) -> None:
    trace_id = world.traces_a[0]
    first, second = world.cases_n[0], world.cases_n[1]
    assert decide(world, "officer_a", trace_id, first, "confirmed", 0).status_code == 201
    answer = decide(world, "officer_a", trace_id, second, "confirmed", 0)
    assert answer.status_code == 409
    assert "already matched" in answer.json()["detail"]
    # Rejecting another case is fine.
    assert decide(world, "officer_a", trace_id, second, "rejected", 0).status_code == 201


def test_a_stale_version_gets_409_with_the_current_state(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    answer = decide(world, "officer_a", trace_id, case_id, "unsure", 0, "ask mother")
    assert answer.status_code == 201
    answer = decide(world, "supervisor_a", trace_id, case_id, "rejected", 0, "not him")
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": answer.json()["detail"],
        "current_version": 1,
        "current_state": "unsure",
    }
    # Deciding again from the version now seen works: nothing was lost.
    assert decide(
        world, "supervisor_a", trace_id, case_id, "rejected", 1, "not him"
    ).status_code == (201)


def test_two_officers_deciding_at_once_one_wins_the_other_gets_409(world) -> None:
    trace_id, case_id = world.traces_a[1], world.cases_n[2]
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def officer(verdict: str) -> None:
        barrier.wait()
        statuses.append(decide(world, "officer_a", trace_id, case_id, verdict, 0).status_code)

    threads = [
        threading.Thread(target=officer, args=(v,)) for v in ("confirmed", "rejected", "unsure") * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    with transaction(world.store.sessions) as session:
        entries = session.scalar(
            select(func.count())
            .select_from(DecisionEntry)
            .where(DecisionEntry.trace_id == trace_id, DecisionEntry.case_id == case_id)
        )
        orphans = session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.trace_id == trace_id, Decision.case_id == case_id)
        )
    assert entries == 1 and orphans == 1


def test_losing_the_race_at_the_insert_is_a_conflict(world, monkeypatch) -> None:
    """Both read version 0 before either wrote: the unique constraint decides."""
    trace_id, case_id = world.traces_a[2], world.cases_n[3]
    assert decide(world, "officer_a", trace_id, case_id, "unsure", 0).status_code == 201
    monkeypatch.setattr(decisions, "current", lambda session, t, c: None)  # a stale read
    with pytest.raises(decisions.DecisionConflict):
        with transaction(world.store.sessions) as session:
            decisions.decide(
                session,
                session.get(Trace, trace_id),
                session.get(Case, case_id),
                "rejected",
                expected_version=0,
                decided_by="officer_b",
            )
    monkeypatch.undo()
    assert state_of(world, trace_id, case_id) == ("unsure", 1)


def exported(world, name: str) -> set[tuple[str, str]]:
    path = world.data_dir / name
    pipeline.export_matches(world.store, path)
    with open(path, encoding="utf-8") as handle:
        return {(row["trace_id"], row["case_id"]) for row in csv.DictReader(handle)}


def test_a_rejected_pair_is_not_proposed_again_until_a_record_changes(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    officer = world.auth("officer_a")
    before = world.client.get(f"/v1/traces/{trace_id}/matches", headers=officer).json()
    assert before[0]["case_id"] == case_id
    assert decide(
        world, "officer_a", trace_id, case_id, "rejected", 0, "other child"
    ).status_code == (201)
    # Hidden at once from the listings...
    listed = world.client.get(f"/v1/traces/{trace_id}/matches", headers=officer).json()
    assert case_id not in {m["case_id"] for m in listed}
    # ...and gone after the re-score, the others ranked from 1, not in the export.
    pipeline.rescore(world.store)
    with transaction(world.store.sessions) as session:
        ranks = [
            (m.case_id, m.rank)
            for m in session.scalars(
                select(PotentialMatch)
                .where(PotentialMatch.trace_id == trace_id)
                .order_by(PotentialMatch.rank)
            )
        ]
    assert case_id not in {c for c, _ in ranks}
    assert [r for _, r in ranks] == list(range(1, len(ranks) + 1))
    assert (trace_id, case_id) not in exported(world, "after-reject.csv")

    # An unchanged re-import or resubmission keeps it out.
    case_body = world.client.get(f"/v1/cases/{case_id}", headers=officer).json()
    values = {k: case_body[k] for k in case_body if k not in ("workflow", "proposable")}
    values.pop("content_hash")
    assert (
        world.client.put(f"/v1/cases/{case_id}", json=values, headers=officer).json()[
            "content_hash"
        ]
        == case_body["content_hash"]
    )
    pipeline.rescore(world.store)
    assert (trace_id, case_id) not in exported(world, "after-resubmit.csv")

    # A change to the case lifts the rejection: the pair may be proposed again.
    values["current_location"] = (values.get("current_location") or "") + " > camp 4"
    changed = world.client.put(f"/v1/cases/{case_id}", json=values, headers=officer)
    assert changed.status_code == 200
    pipeline.rescore(world.store)
    assert (trace_id, case_id) in exported(world, "after-change.csv")
    listed = world.client.get(f"/v1/traces/{trace_id}/matches", headers=officer).json()
    assert case_id in {m["case_id"] for m in listed}
    # The old rejection has lapsed: the pair awaits a decision again.
    url = f"/v1/traces/{trace_id}/matches?include_decided=false"
    assert case_id in {m["case_id"] for m in world.client.get(url, headers=officer).json()}


def test_undoing_a_rejection_brings_the_pair_back(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    assert decide(world, "officer_a", trace_id, case_id, "rejected", 0).status_code == 201
    pipeline.rescore(world.store)
    assert (trace_id, case_id) not in exported(world, "rejected.csv")
    answer = world.client.post(
        f"/v1/matches/{trace_id}/{case_id}/undo",
        json={"expected_version": 1},
        headers=world.auth("supervisor_a"),
    )
    assert answer.status_code == 201
    pipeline.rescore(world.store)
    assert (trace_id, case_id) in exported(world, "undone.csv")


def test_background_rescore_after_a_rejection(template_db: Path, tmp_path: Path) -> None:
    world = build_world(template_db, tmp_path, rescore_on_change=True)
    try:
        trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
        assert decide(world, "officer_a", trace_id, case_id, "rejected", 0).status_code == 201
        # TestClient runs background tasks before returning: the re-score is done.
        assert world.app.state.services.rescorer.runs == 1
        with transaction(world.store.sessions) as session:
            assert session.get(Trace, trace_id).needs_matching is False
        assert (trace_id, case_id) not in exported(world, "bg.csv")
    finally:
        world.client.close()
        world.store.engine.dispose()


@pytest.mark.parametrize(
    ("ranked", "suppressed", "kept"),
    [
        (
            [("t1", "a", 1), ("t1", "b", 2), ("t1", "c", 3)],
            {("t1", "a")},
            [("t1", "b", 1), ("t1", "c", 2)],
        ),
        ([("t1", "a", 1), ("t2", "a", 1)], {("t1", "a")}, [("t2", "a", 1)]),
        ([("t1", "a", 1), ("t1", "b", 2), ("t1", "c", 3)], set(), [("t1", "a", 1), ("t1", "b", 2)]),
        ([], {("t1", "a")}, []),
    ],
)
def test_without_suppressed_drops_and_reranks(ranked, suppressed, kept) -> None:
    matches = [StoredMatch(t, c, 0.5, r, "possible", []) for t, c, r in ranked]
    out = decisions.without_suppressed(matches, suppressed, per_trace=2)
    assert [(m.trace_id, m.case_id, m.rank) for m in out] == kept
    assert decisions.extra_candidates(suppressed) == (1 if suppressed else 0)
