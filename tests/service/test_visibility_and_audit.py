"""Who sees what (agencies, sharing, records without agency, pairs) and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from svc_helpers import decide

from case_store.db import transaction
from case_store.models import AuditEvent, Case, Trace
from service.auth import Principal, readable


def status(world, caller: str, url: str) -> int:
    return world.client.get(url, headers=world.auth(caller)).status_code


def test_sharing_lets_another_agency_see_and_unsharing_stops_it(world) -> None:
    case_a = world.ids["case_a"]
    assert status(world, "officer_c", f"/v1/cases/{case_a}") == 200  # a shares with c
    assert status(world, "officer_b", f"/v1/cases/{case_a}") == 404
    # Sharing is one way: a does not see c's records... nor b's.
    assert status(world, "officer_a", f"/v1/cases/{world.ids['case_b']}") == 404
    deleted = world.client.delete("/v1/agency-shares/a/c", headers=world.auth("admin"))
    assert deleted.status_code == 204
    assert status(world, "officer_c", f"/v1/cases/{case_a}") == 404
    created = world.client.post(
        "/v1/agency-shares",
        json={"owner_agency_id": "b", "viewer_agency_id": "a"},
        headers=world.auth("admin"),
    )
    assert created.status_code == 201
    assert status(world, "officer_a", f"/v1/cases/{world.ids['case_b']}") == 200


def test_records_without_agency_are_visible_to_every_agency(world) -> None:
    for caller in ("officer_a", "officer_b", "officer_c", "admin"):
        assert status(world, caller, f"/v1/cases/{world.ids['case_n']}") == 200


def test_a_pair_is_shown_only_when_both_sides_are_visible(world) -> None:
    trace_a, case_b = world.ids["trace_a"], world.ids["case_b"]
    assert status(world, "officer_a", f"/v1/matches/{trace_a}/{case_b}") == 404
    assert status(world, "officer_b", f"/v1/matches/{trace_a}/{case_b}") == 404
    assert status(world, "admin", f"/v1/matches/{trace_a}/{case_b}") == 200
    answer = decide(world, "officer_a", trace_a, case_b, "rejected", 0)
    assert answer.status_code == 404
    # Proposals to another agency's case vanish from the trace's list.
    with transaction(world.store.sessions) as session:
        session.execute(
            update(Case).where(Case.case_id == world.ids["case_a"]).values(agency_id="b")
        )
    listed = world.client.get(f"/v1/traces/{trace_a}/matches", headers=world.auth("officer_a"))
    assert world.ids["case_a"] not in {m["case_id"] for m in listed.json()}
    queue = world.client.get("/v1/queue?limit=200", headers=world.auth("officer_b")).json()
    assert trace_a not in {item["trace"]["id"] for item in queue["items"]}


def test_lists_show_only_visible_records(world) -> None:
    body = world.client.get("/v1/traces?limit=200", headers=world.auth("officer_b")).json()
    agencies = {item["agency_id"] for item in body["items"]}
    assert agencies <= {None, "b"}
    assert world.ids["trace_b"] in {item["trace_id"] for item in body["items"]}
    admin = world.client.get("/v1/traces?limit=1", headers=world.auth("admin")).json()
    assert admin["total"] > body["total"]


def test_the_access_rule_refuses_a_table_it_does_not_know() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    unknown = Table("secrets", MetaData(), Column("id", Integer, primary_key=True))
    officer = Principal(1, "o", "tracing_officer", "a", "token")
    with pytest.raises(PermissionError):
        readable(select(unknown), officer)
    # And it filters a join on every side.
    stmt = readable(select(Trace, Case).join(Case, Case.case_id == Trace.trace_id), officer)
    assert str(stmt).count("agency_id") >= 4


def test_reads_and_decisions_are_audited_with_who_what_when_where(world) -> None:
    case_id, trace_id = world.ids["case_a"], world.ids["trace_a"]
    world.client.get(f"/v1/cases/{case_id}", headers=world.auth("officer_a"))
    world.client.get(f"/v1/traces/{trace_id}/matches", headers=world.auth("officer_a"))
    decide(world, "officer_a", trace_id, case_id, "unsure", 0, "check photo")
    world.client.get("/v1/cases?limit=3", headers=world.auth("service_a"))
    with transaction(world.store.sessions) as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    seen = {(e.actor, e.action, e.object_id) for e in events}
    assert ("officer_a", "case.read", case_id) in seen
    assert ("officer_a", "trace.matches", trace_id) in seen
    assert ("officer_a", "decision.unsure", f"{trace_id}/{case_id}") in seen
    listing = next(e for e in events if e.actor == "service_a")
    assert listing.action == "case.list" and len(listing.detail["ids"]) == 3
    assert all(e.at is not None and e.remote_addr for e in events if e.actor != "cli")


def test_audit_is_read_only_and_scoped_to_the_agency(world) -> None:
    world.client.get(f"/v1/cases/{world.ids['case_b']}", headers=world.auth("officer_b"))
    world.client.get(f"/v1/cases/{world.ids['case_a']}", headers=world.auth("officer_a"))
    supervisor = world.client.get("/v1/audit?limit=500", headers=world.auth("supervisor_a"))
    actors = {e["actor"] for e in supervisor.json()["items"]}
    assert "officer_a" in actors and "officer_b" not in actors
    admin = world.client.get("/v1/audit?limit=500", headers=world.auth("admin")).json()
    assert {"officer_a", "officer_b"} <= {e["actor"] for e in admin["items"]}
    spec = world.client.get("/openapi.json").json()
    assert set(spec["paths"]["/v1/audit"]) == {"get"}
    for method in ("put", "patch", "delete", "post"):
        answer = world.client.request(method.upper(), "/v1/audit", headers=world.auth("admin"))
        assert answer.status_code == 405


def test_a_deactivated_user_and_a_revoked_token_lose_access_at_once(world) -> None:
    officer = world.auth("officer_a")
    assert status(world, "officer_a", "/v1/me") == 200
    world.client.patch(
        f"/v1/users/{world.user_ids['officer_a']}",
        json={"active": False},
        headers=world.auth("admin"),
    )
    assert world.client.get("/v1/me", headers=officer).status_code == 401
    made = world.client.post(
        f"/v1/users/{world.user_ids['service_a']}/tokens",
        json={"label": "etl"},
        headers=world.auth("admin"),
    ).json()
    token = {"Authorization": f"Bearer {made['token']}"}
    assert world.client.get("/v1/me", headers=token).json()["username"] == "service_a"
    world.client.delete(
        f"/v1/users/{world.user_ids['service_a']}/tokens/{made['info']['id']}",
        headers=world.auth("admin"),
    )
    assert world.client.get("/v1/me", headers=token).status_code == 401
