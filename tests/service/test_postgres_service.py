"""The review service on PostgreSQL: the same rules where concurrency is real."""

from __future__ import annotations

import threading

import pytest
from svc_helpers import decide, login
from svc_world import PASSWORD, build_world

from service import pipeline


@pytest.fixture
def pg_world(template_db, tmp_path, postgres_url):
    world = build_world(template_db, tmp_path, url=postgres_url)
    yield world
    world.client.close()
    world.store.engine.dispose()


@pytest.mark.postgres
def test_review_service_on_postgresql(pg_world) -> None:
    world = pg_world
    officer = world.auth("officer_a")
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    assert world.client.get(
        f"/v1/cases/{case_id}", headers=world.auth("officer_b")
    ).status_code == (404)
    listed = world.client.get(f"/v1/traces/{trace_id}/matches", headers=officer).json()
    assert listed[0]["case_id"] == case_id
    queue = world.client.get("/v1/queue", headers=officer).json()
    assert queue["total"] > 0

    # Six officers at once on one pair: exactly one decision is written.
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def officer_decides() -> None:
        barrier.wait()
        statuses.append(decide(world, "officer_a", trace_id, case_id, "rejected", 0).status_code)

    threads = [threading.Thread(target=officer_decides) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]

    pipeline.rescore(world.store)
    listed = world.client.get(f"/v1/traces/{trace_id}/matches", headers=officer).json()
    assert case_id not in {m["case_id"] for m in listed}
    trace = world.client.get(f"/v1/traces/{trace_id}", headers=officer).json()
    query = {k: trace[k] for k in ("given_name", "family_name", "sex", "date_of_birth")}
    found = world.client.post("/v1/match", json={"queries": [{"trace": query}]}, headers=officer)
    assert found.status_code == 200
    assert case_id in {m["case_id"] for m in found.json()["results"][0]["matches"]}
    assert login(world.client, "officer_a", PASSWORD).status_code == 303
    assert world.client.get("/queue").status_code == 200
    audit = world.client.get("/v1/audit?limit=5", headers=world.auth("admin")).json()
    assert audit["total"] > 5
