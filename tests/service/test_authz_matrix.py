"""Every endpoint under every caller: the authorisation matrix.

Callers: no token, a forged token, an officer and a supervisor of agency a, an admin,
and an officer of agency b (who must not see agency a's records: 404, the same answer
as for a record that does not exist). Each row builds its own request, with ids unique
to the caller where the request writes, so rows do not depend on each other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from svc_helpers import decide

CALLERS = ("anonymous", "bad", "officer_a", "supervisor_a", "admin", "officer_b")
_unique = itertools.count(1)


@dataclass(frozen=True)
class Row:
    """One endpoint: how to call it as `caller`, and the status each caller gets."""

    name: str
    call: Callable[[Any, str], tuple[str, str, dict[str, Any] | None]]
    expected: dict[str, int]

    def status(self, caller: str) -> int:
        if caller in ("anonymous", "bad") and self.name not in PUBLIC:
            return 401
        return self.expected[caller]


PUBLIC = {"healthz", "openapi"}


def everyone(status: int) -> dict[str, int]:
    return {c: status for c in CALLERS}


def agency_a(ok: int) -> dict[str, int]:
    """Agency a's records: agency a and admin succeed, agency b gets 404."""
    return {"officer_a": ok, "supervisor_a": ok, "admin": ok, "officer_b": 404}


def role(ok: int, allowed: set[str], other: int = 403) -> dict[str, int]:
    return {c: ok if c in allowed else other for c in CALLERS}


def uid(prefix: str, caller: str) -> str:
    return f"{prefix}-{caller}-{next(_unique)}"


def new_case(world: Any, caller: str) -> dict[str, Any]:
    return {"case_id": uid("MC", caller), "registration_date": "2024-06-01", "given_name": "Ana"}


def new_trace(world: Any, caller: str) -> dict[str, Any]:
    return {"trace_id": uid("MT", caller), "inquiry_date": "2024-06-01", "given_name": "Ana"}


def case_values(world: Any, case_id: str) -> dict[str, Any]:
    body = world.client.get(f"/v1/cases/{case_id}", headers=world.auth("admin")).json()
    return {k: v for k, v in body.items() if k not in ("workflow", "proposable", "content_hash")}


def trace_values(world: Any, trace_id: str) -> dict[str, Any]:
    body = world.client.get(f"/v1/traces/{trace_id}", headers=world.auth("admin")).json()
    return {k: v for k, v in body.items() if k not in ("workflow", "proposable", "content_hash")}


# Pairs each caller decides on, undoes or reunifies: (trace index, case index).
SLOT = {c: i for i, c in enumerate(CALLERS)}


def pair(world: Any, caller: str, kind: int) -> tuple[str, str]:
    """A distinct pair (agency a's trace, an agency-less case) per caller and kind
    (0: to decide, 1: decided, to undo, 2: confirmed, to reunify)."""
    slot = SLOT[caller] + len(CALLERS) * kind
    return world.traces_a[slot % len(world.traces_a)], world.cases_n[slot]


ROWS: list[Row] = [
    Row("healthz", lambda w, c: ("GET", "/healthz", None), everyone(200)),
    Row("openapi", lambda w, c: ("GET", "/openapi.json", None), everyone(200)),
    Row("me", lambda w, c: ("GET", "/v1/me", None), everyone(200)),
    Row("list cases", lambda w, c: ("GET", "/v1/cases?limit=5", None), everyone(200)),
    Row("create case", lambda w, c: ("POST", "/v1/cases", new_case(w, c)), everyone(201)),
    Row(
        "read case",
        lambda w, c: ("GET", f"/v1/cases/{w.ids['case_a']}", None),
        agency_a(200),
    ),
    Row(
        "update case",
        lambda w, c: (
            "PUT",
            f"/v1/cases/{w.ids['case_a']}",
            case_values(w, w.ids["case_a"]),
        ),
        agency_a(200),
    ),
    Row(
        "case matches",
        lambda w, c: ("GET", f"/v1/cases/{w.ids['case_a']}/matches", None),
        agency_a(200),
    ),
    Row("list traces", lambda w, c: ("GET", "/v1/traces?limit=5", None), everyone(200)),
    Row("create trace", lambda w, c: ("POST", "/v1/traces", new_trace(w, c)), everyone(201)),
    Row(
        "read trace",
        lambda w, c: ("GET", f"/v1/traces/{w.ids['trace_a']}", None),
        agency_a(200),
    ),
    Row(
        "update trace",
        lambda w, c: (
            "PUT",
            f"/v1/traces/{w.ids['trace_a']}",
            trace_values(w, w.ids["trace_a"]),
        ),
        agency_a(200),
    ),
    Row(
        "trace matches",
        lambda w, c: ("GET", f"/v1/traces/{w.ids['trace_a']}/matches", None),
        agency_a(200),
    ),
    Row(
        "list requests",
        lambda w, c: ("GET", "/v1/tracing-requests?limit=5", None),
        everyone(200),
    ),
    Row(
        "create request",
        lambda w, c: (
            "POST",
            "/v1/tracing-requests",
            {
                "request_id": uid("MR", c),
                "inquirer_name": "Olena",
                "inquiry_date": "2024-06-01",
                "traces": [new_trace(w, c)],
            },
        ),
        everyone(201),
    ),
    Row(
        "read request",
        lambda w, c: ("GET", f"/v1/tracing-requests/{w.ids['request_a']}", None),
        agency_a(200),
    ),
    Row(
        "update request",
        lambda w, c: (
            "PUT",
            f"/v1/tracing-requests/{w.ids['request_a']}",
            {
                "inquirer_name": trace_values(w, w.ids["trace_a"])["inquirer_name"],
                "inquirer_relation": trace_values(w, w.ids["trace_a"])["inquirer_relation"],
                "inquiry_date": trace_values(w, w.ids["trace_a"])["inquiry_date"],
            },
        ),
        agency_a(200),
    ),
    Row("queue", lambda w, c: ("GET", "/v1/queue?limit=5", None), everyone(200)),
    Row(
        "read pair",
        lambda w, c: ("GET", f"/v1/matches/{w.ids['trace_a']}/{w.ids['case_a']}", None),
        agency_a(200),
    ),
    Row(
        "pair history",
        lambda w, c: (
            "GET",
            f"/v1/matches/{w.ids['trace_a']}/{w.ids['case_a']}/decisions",
            None,
        ),
        agency_a(200),
    ),
    Row(
        "decide",
        lambda w, c: (
            "POST",
            "/v1/matches/{}/{}/decisions".format(*pair(w, c, 0)),
            {"verdict": "unsure", "note": "matrix", "expected_version": 0},
        ),
        agency_a(201),
    ),
    Row(
        "undo",
        lambda w, c: (
            "POST",
            "/v1/matches/{}/{}/undo".format(*pair(w, c, 1)),
            {"note": "matrix", "expected_version": 1},
        ),
        role(201, {"supervisor_a", "admin"}),
    ),
    Row(
        "reunify",
        lambda w, c: (
            "POST",
            "/v1/matches/{}/{}/reunification".format(*pair(w, c, 2)),
            {"note": "matrix", "expected_version": 1},
        ),
        role(201, {"supervisor_a", "admin"}),
    ),
    Row(
        "ad-hoc match",
        lambda w, c: (
            "POST",
            "/v1/match",
            {"queries": [{"trace": {"given_name": "Ana", "sex": "f"}, "limit": 3}]},
        ),
        everyone(200),
    ),
    Row("list users", lambda w, c: ("GET", "/v1/users", None), role(200, {"admin"})),
    Row(
        "create user",
        lambda w, c: (
            "POST",
            "/v1/users",
            {"username": uid("u", c), "role": "tracing_officer", "agency_id": "a"},
        ),
        role(201, {"admin"}),
    ),
    Row(
        "read user",
        lambda w, c: ("GET", f"/v1/users/{w.user_ids['officer_a']}", None),
        role(200, {"admin"}),
    ),
    Row(
        "update user",
        lambda w, c: ("PATCH", f"/v1/users/{w.user_ids['officer_c']}", {"active": True}),
        role(200, {"admin"}),
    ),
    Row(
        "list tokens",
        lambda w, c: ("GET", f"/v1/users/{w.user_ids['service_a']}/tokens", None),
        role(200, {"admin"}),
    ),
    Row(
        "create token",
        lambda w, c: (
            "POST",
            f"/v1/users/{w.user_ids['service_a']}/tokens",
            {"label": "matrix"},
        ),
        role(201, {"admin"}),
    ),
    Row(
        "revoke token",
        lambda w, c: (
            "DELETE",
            f"/v1/users/{w.user_ids['service_a']}/tokens/{w.spare_token}",
            None,
        ),
        role(204, {"admin"}),
    ),
    Row("list agencies", lambda w, c: ("GET", "/v1/agencies", None), everyone(200)),
    Row(
        "create agency",
        lambda w, c: ("POST", "/v1/agencies", {"agency_id": uid("ag", c), "name": "New"}),
        role(201, {"admin"}),
    ),
    Row("list shares", lambda w, c: ("GET", "/v1/agency-shares", None), role(200, {"admin"})),
    Row(
        "create share",
        lambda w, c: (
            "POST",
            "/v1/agency-shares",
            {"owner_agency_id": "b", "viewer_agency_id": "c"},
        ),
        role(201, {"admin"}),
    ),
    Row(
        "delete share",
        lambda w, c: ("DELETE", "/v1/agency-shares/a/c", None),
        role(204, {"admin"}),
    ),
    Row(
        "audit",
        lambda w, c: ("GET", "/v1/audit?limit=5", None),
        role(200, {"supervisor_a", "admin"}),
    ),
]


@pytest.fixture(scope="module")
def matrix_world(shared_world):
    """Pairs to undo (decided) and to reunify (confirmed), one per caller; a spare token."""
    world = shared_world
    for caller in CALLERS:
        trace_id, case_id = pair(world, caller, 1)
        decide(world, "admin", trace_id, case_id, "unsure", 0)
        trace_id, case_id = pair(world, caller, 2)
        decide(world, "admin", trace_id, case_id, "confirmed", 0)
    answer = world.client.post(
        f"/v1/users/{world.user_ids['service_a']}/tokens",
        json={"label": "spare"},
        headers=world.auth("admin"),
    )
    world.spare_token = answer.json()["info"]["id"]
    return world


# The order matters only for rows that change shared state once (the share deleted
# last, after every read that relies on it).
CASES = [
    pytest.param(row, caller, id=f"{row.name}-{caller}")
    for row in sorted(ROWS, key=lambda r: r.name == "delete share")
    for caller in CALLERS
]


@pytest.mark.parametrize(("row", "caller"), CASES)
def test_authorisation_matrix(matrix_world, row: Row, caller: str) -> None:
    world = matrix_world
    method, url, body = row.call(world, caller)
    headers = world.auth(None if caller == "anonymous" else caller)
    answer = world.client.request(method, url, json=body, headers=headers)
    assert answer.status_code == row.status(caller), answer.text
    if answer.status_code == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    if answer.status_code == 404:
        # The same words whether the record is missing or another agency's.
        assert "not visible to you" in answer.json()["detail"]


def test_the_matrix_covers_every_api_operation(shared_world) -> None:
    """A new endpoint must get a row here before it ships."""
    spec = shared_world.client.get("/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/v1") or path in ("/healthz",)
        for method in item
    }
    assert len(operations) == len(ROWS) - 1  # openapi.json itself is not in the document
