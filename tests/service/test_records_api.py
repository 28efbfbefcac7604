"""Creating, updating and listing records through the API, and ad-hoc matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_world import build_world

from service import pipeline
from service.adhoc import MatcherCache


@pytest.mark.parametrize(
    ("body", "column", "words"),
    [
        ({"registration_date": "2024-05-01"}, "case_id", "required"),
        ({"case_id": "X1"}, "registration_date", "required"),
        ({"case_id": "X1", "registration_date": "01/05/2024"}, "registration_date", "ISO 8601"),
        ({"case_id": "X1", "registration_date": "2024-05-01", "age": "seven"}, "age", "number"),
        ({"case_id": "X1", "registration_date": "2024-05-01", "sex": "boy"}, "sex", "female"),
        ({"case_id": "X1", "registration_date": "2024-05-01", "status": "lost"}, "status", "open"),
        ({"case_id": "X1", "registration_date": "2024-05-01", "given_name": "a\x00b"}, None, "NUL"),
        ({"case_id": "x" * 129, "registration_date": "2024-05-01"}, "case_id", "128"),
    ],
)
def test_invalid_records_get_a_clear_422(shared_world, body, column, words) -> None:
    answer = shared_world.client.post(
        "/v1/cases", json=body, headers=shared_world.auth("officer_a")
    )
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert any((column is None or column in p["loc"]) and words in p["msg"] for p in problems), (
        problems
    )


def test_create_read_update_list_a_case(shared_world) -> None:
    world, officer = shared_world, shared_world.auth("officer_a")
    body = {
        "case_id": "API-C1",
        "registration_date": "2024-06-02",
        "given_name": "Олена",
        "family_name": "Бондаренко",
        "age": 6,
        "age_estimated": True,
        "language": ["uk", "ru"],
    }
    created = world.client.post("/v1/cases", json=body, headers=officer)
    assert created.status_code == 201, created.text
    stored = created.json()
    # JSON numbers, booleans and lists are stored as the contract's text.
    assert (stored["age"], stored["age_estimated"], stored["language"]) == ("6", "true", "uk|ru")
    assert stored["agency_id"] == "a" and stored["workflow"] == "open"
    assert world.client.post("/v1/cases", json=body, headers=officer).status_code == 409
    update = {**body, "current_location": "Poland > Lublin"}
    del update["case_id"]
    changed = world.client.put("/v1/cases/API-C1", json=update, headers=officer).json()
    assert changed["current_location"] == "Poland > Lublin"
    assert changed["content_hash"] != stored["content_hash"]
    # (SQLite folds case for ASCII only, so the query keeps the capital.)
    found = world.client.get("/v1/cases?q=Бондар", headers=officer).json()
    assert [c["case_id"] for c in found["items"]] == ["API-C1"]
    mismatch = world.client.put("/v1/cases/API-C1", json={**body, "case_id": "X"}, headers=officer)
    assert mismatch.status_code == 422
    # Only an admin assigns records to another agency.
    moved = world.client.put("/v1/cases/API-C1", json={**update, "agency_id": "b"}, headers=officer)
    assert moved.status_code == 403
    moved = world.client.put(
        "/v1/cases/API-C1", json={**update, "agency_id": "b"}, headers=world.auth("admin")
    )
    assert moved.json()["agency_id"] == "b"
    assert world.client.get("/v1/cases/API-C1", headers=officer).status_code == 404


def test_a_tracing_request_with_traces_shares_its_inquirer(shared_world) -> None:
    world, officer = shared_world, shared_world.auth("officer_a")
    body = {
        "request_id": "API-R1",
        "inquirer_name": "Halyna Melnyk",
        "inquirer_relation": "mother",
        "inquiry_date": "2024-04-02",
        "traces": [
            {"trace_id": "API-T1", "given_name": "Ivan", "family_name": "Melnyk", "sex": "m"},
            {"trace_id": "API-T2", "given_name": "Iryna", "family_name": "Melnyk", "sex": "f"},
        ],
    }
    created = world.client.post("/v1/tracing-requests", json=body, headers=officer)
    assert created.status_code == 201, created.text
    assert created.json()["trace_ids"] == ["API-T1", "API-T2"]
    trace = world.client.get("/v1/traces/API-T2", headers=officer).json()
    assert (trace["inquirer_name"], trace["request_id"]) == ("Halyna Melnyk", "API-R1")
    update = {"inquirer_name": "Halyna Melnyk-Shevchuk", "inquiry_date": "2024-04-02"}
    world.client.put("/v1/tracing-requests/API-R1", json=update, headers=officer)
    trace = world.client.get("/v1/traces/API-T1", headers=officer).json()
    assert trace["inquirer_name"] == "Halyna Melnyk-Shevchuk"
    repeated = {**body, "request_id": "API-R2", "traces": [body["traces"][0]] * 2}
    answer = world.client.post("/v1/tracing-requests", json=repeated, headers=officer)
    assert answer.status_code == 422


def test_a_new_trace_gets_proposals_without_a_batch_run(template_db: Path, tmp_path) -> None:
    world = build_world(template_db, tmp_path, rescore_on_change=True)
    try:
        officer = world.auth("officer_a")
        case = world.client.get(f"/v1/cases/{world.ids['case_n']}", headers=officer).json()
        trace = {
            "trace_id": "API-NEW",
            "inquiry_date": case["registration_date"],
            "given_name": case["given_name"],
            "family_name": case["family_name"],
            "sex": case["sex"],
            "date_of_birth": case["date_of_birth"],
            "age": case["age"],
            "father_name": case["father_name"],
            "mother_name": case["mother_name"],
            "place_of_origin": case["place_of_origin"],
        }
        assert world.client.post("/v1/traces", json=trace, headers=officer).status_code == 201
        proposals = world.client.get("/v1/traces/API-NEW/matches", headers=officer).json()
        assert proposals and proposals[0]["case_id"] == case["case_id"]
        assert proposals[0]["rank"] == 1
        assert proposals[0]["evidence"][0]["feature"] == "prior"
    finally:
        world.client.close()
        world.store.engine.dispose()


def test_adhoc_queries_respect_limit_threshold_and_visibility(shared_world) -> None:
    world = shared_world
    case = world.client.get(f"/v1/cases/{world.ids['case_a']}", headers=world.auth("admin"))
    case = case.json()
    query = {k: case[k] for k in ("given_name", "family_name", "sex", "date_of_birth")}
    body = {
        "queries": [
            {"id": "wide", "limit": 5, "threshold": 0.0, "trace": query},
            {"id": "one", "limit": 1, "trace": query},
            {"id": "strict", "limit": 5, "threshold": 1.0, "trace": query},
        ]
    }
    cache: MatcherCache = world.app.state.services.matchers
    builds = cache.builds
    answer = world.client.post("/v1/match", json=body, headers=world.auth("officer_a"))
    assert answer.status_code == 200, answer.text
    results = {r["id"]: r["matches"] for r in answer.json()["results"]}
    assert results["wide"][0]["case_id"] == case["case_id"]
    assert 1 <= len(results["wide"]) <= 5 and len(results["one"]) == 1
    assert [m["rank"] for m in results["wide"]] == list(range(1, len(results["wide"]) + 1))
    assert results["strict"] == [] or all(m["score"] >= 1.0 for m in results["strict"])
    assert results["wide"][0]["evidence"]
    # Officer b may not see agency a's case: it is never returned to them.
    other = world.client.post("/v1/match", json=body, headers=world.auth("officer_b")).json()
    assert case["case_id"] not in {m["case_id"] for r in other["results"] for m in r["matches"]}
    # The same scope reuses its matcher; a new case is taken into it in place, and
    # the very next query finds it.
    world.client.post("/v1/match", json=body, headers=world.auth("supervisor_a"))
    assert cache.builds == builds + 2
    extensions = cache.extensions
    world.client.post(
        "/v1/cases",
        json={
            "case_id": "ADHOC-1",
            "registration_date": "2024-06-01",
            "given_name": "Zebulon",
            "family_name": "Quixtlebottom",
        },
        headers=world.auth("officer_a"),
    )
    new = {"given_name": "Zebulon", "family_name": "Quixtlebottom"}
    found = world.client.post(
        "/v1/match",
        json={"queries": [{"id": "n", "trace": new}, *body["queries"]]},
        headers=world.auth("officer_a"),
    ).json()["results"]
    assert found[0]["matches"][0]["case_id"] == "ADHOC-1"
    assert found[1]["matches"][0]["case_id"] == case["case_id"]
    assert (cache.builds, cache.extensions) == (builds + 2, extensions + 1)
    # closed: out of the very next answer, again without a build
    closed = world.client.put(
        "/v1/cases/ADHOC-1",
        json={"registration_date": "2024-06-01", **new, "status": "closed"},
        headers=world.auth("officer_a"),
    )
    assert closed.status_code == 200, closed.text
    again = world.client.post(
        "/v1/match", json={"queries": [{"id": "n", "trace": new}]}, headers=world.auth("officer_a")
    ).json()["results"][0]["matches"]
    assert "ADHOC-1" not in {m["case_id"] for m in again}
    assert (cache.builds, cache.extensions) == (builds + 2, extensions + 2)
    # given to another agency: out of officer a's matcher at once, again in place
    other = {"given_name": "Wenceslas", "family_name": "Oyelaran-Zhukov"}
    record = {"case_id": "ADHOC-3", "registration_date": "2024-06-01", **other}
    world.client.post("/v1/cases", json=record, headers=world.auth("officer_a"))
    query = {"queries": [{"id": "o", "trace": other}]}

    def first(user: str) -> list[str]:
        found = world.client.post("/v1/match", json=query, headers=world.auth(user)).json()
        return [m["case_id"] for m in found["results"][0]["matches"]]

    assert first("officer_a")[:1] == ["ADHOC-3"]
    moved = world.client.put(
        "/v1/cases/ADHOC-3", json={**record, "agency_id": "b"}, headers=world.auth("admin")
    )
    assert moved.status_code == 200, moved.text
    assert "ADHOC-3" not in first("officer_a")
    assert (cache.builds, cache.extensions) == (builds + 2, extensions + 4)
    repeated = {"queries": [{"id": "x", "trace": query}, {"id": "x", "trace": query}]}
    answer = world.client.post("/v1/match", json=repeated, headers=world.auth("officer_a"))
    assert answer.status_code == 422


def test_adhoc_queries_use_the_persisted_indexes_for_a_caller_who_sees_every_case(
    world,
) -> None:
    """After `ftr rescore` saved its indexes, an admin's query loads them, never builds;
    a caller who sees only some cases still gets a matcher of exactly those."""
    cache: MatcherCache = world.app.state.services.matchers
    assert cache.index_dir is not None
    pipeline.rescore(world.store, full=True, index_dir=cache.index_dir)
    case = world.client.get(f"/v1/cases/{world.ids['case_a']}", headers=world.auth("admin"))
    query = {k: case.json()[k] for k in ("given_name", "family_name", "sex", "date_of_birth")}
    body = {"queries": [{"id": "q", "limit": 5, "threshold": 0.0, "trace": query}]}
    loads, builds = cache.loads, cache.builds
    answer = world.client.post("/v1/match", json=body, headers=world.auth("admin"))
    assert answer.status_code == 200, answer.text
    assert (cache.loads, cache.builds) == (loads + 1, builds)
    loaded = answer.json()["results"][0]["matches"]
    assert loaded[0]["case_id"] == world.ids["case_a"]
    world.client.post("/v1/match", json=body, headers=world.auth("officer_b"))
    assert (cache.loads, cache.builds) == (loads + 1, builds + 1)
    # the cases changed: the matcher in memory takes the change in place...
    world.client.post(
        "/v1/cases",
        json={"case_id": "ADHOC-2", "registration_date": "2024-06-01"},
        headers=world.auth("admin"),
    )
    world.client.post("/v1/match", json=body, headers=world.auth("admin"))
    assert (cache.loads, cache.builds, cache.extensions) == (loads + 1, builds + 1, 1)
    # ... and the snapshot on disk, stale now, is never used as it is: a new process
    # brings it up to date with the store before its first answer
    fresh = MatcherCache(index_dir=cache.index_dir)
    world.app.state.services.matchers = fresh
    world.client.post("/v1/match", json=body, headers=world.auth("admin"))
    assert (fresh.loads, fresh.builds) == (1, 0)
    (entry,) = fresh._entries.values()
    assert "ADHOC-2" in entry.matcher.cases.row_of


def test_adhoc_queries_label_by_the_configured_thresholds(template_db, tmp_path) -> None:
    """The service's matchers use the deployment's thresholds, as `ftr rescore` does."""
    world = build_world(
        template_db,
        tmp_path,
        likely_threshold=0.3,
        alone_threshold=0.3,
        uncorroborated_threshold=0.3,
        possible_threshold=0.2,
    )
    try:
        cases = world.client.get("/v1/cases?limit=40", headers=world.auth("admin")).json()
        queries = [
            {
                "id": c["case_id"],
                "limit": 5,
                "threshold": 0.0,
                "trace": {k: c[k] for k in ("given_name", "family_name", "sex", "date_of_birth")},
            }
            for c in cases["items"]
        ]
        answer = world.client.post(
            "/v1/match", json={"queries": queries}, headers=world.auth("admin")
        )
        assert answer.status_code == 200, answer.text
        matches = [m for r in answer.json()["results"] for m in r["matches"]]
        assert matches and all(m["score"] >= 0.2 for m in matches)
        assert all((m["likelihood"] == "likely") <= (m["score"] >= 0.3) for m in matches)
        # under the default 0.95, few of these sparse queries would be likely
        assert any(m["likelihood"] == "likely" and m["score"] < 0.95 for m in matches)
    finally:
        world.client.close()
        world.store.engine.dispose()
