"""The review pages through a test client: login, queue, comparison, decisions, CSRF."""

from __future__ import annotations

import re

from svc_helpers import csrf_of, login
from svc_world import PASSWORD


def logged_in(world, user: str = "officer_a"):
    answer = login(world.client, user, PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/queue"
    return world.client


def test_pages_need_a_login_and_static_files_do_not(world) -> None:
    for path in ("/queue", f"/traces/{world.ids['trace_a']}", "/compare/x/y"):
        answer = world.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
    assert world.client.get("/static/app.css").status_code == 200
    assert world.client.get("/login").status_code == 200
    # A bearer token does not open the pages, and the session cookie does not open the API.
    answer = world.client.get("/queue", headers=world.auth("admin"), follow_redirects=False)
    assert answer.status_code == 303
    logged_in(world)
    assert world.client.get("/v1/me").status_code == 401


def test_wrong_password_service_accounts_and_forged_forms_are_refused(world) -> None:
    assert login(world.client, "officer_a", "wrong password!!").status_code == 401
    assert login(world.client, "nobody", PASSWORD).status_code == 401
    assert login(world.client, "service_a", PASSWORD).status_code == 401
    page = world.client.get("/login")
    forged = world.client.post(
        "/login",
        data={"username": "officer_a", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert csrf_of(page.text)


def test_the_queue_lists_open_proposals_best_first_with_filters(world) -> None:
    client = logged_in(world)
    page = client.get("/queue")
    assert page.status_code == 200
    scores = [float(s) for s in re.findall(r'<td class="num">(0\.\d{3}|1\.000)</td>', page.text)]
    assert scores and scores == sorted(scores, reverse=True)
    assert world.ids["trace_a"] in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]  # 'self' only
    likely = client.get("/queue?likelihood=likely").text
    assert "badge possible" not in likely
    none = client.get("/queue?location=Atlantis-does-not-exist").text
    assert "Nothing to review" in none
    by_agency = client.get("/queue?agency=a").text
    assert world.ids["trace_a"] in by_agency


def test_compare_shows_evidence_scripts_and_decides_with_csrf(world) -> None:
    client = logged_in(world)
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    page = client.get(f"/compare/{trace_id}/{case_id}")
    assert page.status_code == 200
    html = page.text
    assert 'class="bar"' in html and "<rect" in html  # the weights as an SVG bar chart
    assert "Prior odds" in html
    assert 'name="expected_version" value="0"' in html
    url = f"/compare/{trace_id}/{case_id}/decision"
    form = {"verdict": "confirmed", "expected_version": "0", "note": "photo matches"}
    assert client.post(url, data={**form, "csrf_token": "nope"}).status_code == 403
    done = client.post(url, data={**form, "csrf_token": csrf_of(html)}, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(f"/compare/{trace_id}/{case_id}").text
    assert "Recorded: confirmed" in after
    assert 'id="pair-state">confirmed<' in after and "photo matches" in after
    # A second officer with the old version: 409, the note kept, the state shown.
    again = client.post(
        url,
        data={**form, "verdict": "rejected", "note": "my note", "csrf_token": csrf_of(after)},
    )
    assert again.status_code == 409
    assert "my note" in again.text and 'id="conflict"' in again.text
    # Officers see no undo; the decision is in the API history too.
    assert "Undo" not in after
    history = world.client.get(
        f"/v1/matches/{trace_id}/{case_id}/decisions", headers=world.auth("admin")
    ).json()
    assert [h["verdict"] for h in history] == ["confirmed"]


def test_supervisors_undo_from_the_page(world) -> None:
    trace_id, case_id = world.ids["trace_a"], world.ids["case_a"]
    world.client.post(
        f"/v1/matches/{trace_id}/{case_id}/decisions",
        json={"verdict": "rejected", "expected_version": 0},
        headers=world.auth("officer_a"),
    )
    client = logged_in(world, "supervisor_a")
    page = client.get(f"/compare/{trace_id}/{case_id}").text
    assert "Undo" in page
    done = client.post(
        f"/compare/{trace_id}/{case_id}/decision",
        data={"verdict": "undone", "expected_version": "1", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert 'id="pair-state">open<' in client.get(f"/compare/{trace_id}/{case_id}").text


def test_other_agencies_pairs_and_logout(world) -> None:
    client = logged_in(world, "officer_b")
    page = client.get(f"/compare/{world.ids['trace_a']}/{world.ids['case_a']}")
    assert page.status_code == 404 and world.ids["case_a"] not in page.text
    assert client.get(f"/traces/{world.ids['trace_a']}").status_code == 404
    queue = client.get("/queue").text
    out = client.post("/logout", data={"csrf_token": csrf_of(queue)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/queue", follow_redirects=False).status_code == 303
