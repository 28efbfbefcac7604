"""Small helpers the service tests share (kept out of conftest so tests import them)."""

from __future__ import annotations

import re
from typing import Any


def decide(
    world: Any, caller: str, trace_id: str, case_id: str, verdict: str, version: int, note: str = ""
) -> Any:
    """POST a decision as `caller`; returns the response."""
    return world.client.post(
        f"/v1/matches/{trace_id}/{case_id}/decisions",
        json={"verdict": verdict, "note": note or None, "expected_version": version},
        headers=world.auth(caller),
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: Any, username: str, password: str) -> Any:
    """Log in through the form, as a browser would; returns the response."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": "/queue",
        },
        follow_redirects=False,
    )
