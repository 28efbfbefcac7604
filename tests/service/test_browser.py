"""End to end in a real browser: `ftr serve` on generated data, log in, review, confirm.

Uses Debian's Chromium (`apt-get install chromium`, done by `.ci/run`) through the
`playwright` package, never a downloaded browser build. Saves the comparison page to
docs/comparison.png, the screenshot the README shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from svc_world import PASSWORD, SECRET, _copy_db

from case_store.db import transaction
from case_store.models import Case, PotentialMatch, Trace
from service import auth, pipeline
from service.web.pages import latin

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "comparison.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium: install it with `apt-get install -y chromium` (.ci/run does)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ftr_command() -> list[str]:
    script = Path(sys.executable).with_name("ftr")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def cross_script_pair(session: Session) -> tuple[str, str]:
    """A likely proposal whose case is written in another script than its trace: the
    comparison page then shows originals beside their transliterations."""
    rows = session.execute(
        select(PotentialMatch.trace_id, PotentialMatch.case_id, Trace.given_name, Case.given_name)
        .join(Trace, Trace.trace_id == PotentialMatch.trace_id)
        .join(Case, Case.case_id == PotentialMatch.case_id)
        .where(PotentialMatch.rank == 1, PotentialMatch.likelihood == "likely")
        .order_by(PotentialMatch.score.desc(), PotentialMatch.trace_id)
    ).all()
    for trace_id, case_id, trace_name, case_name in rows:
        if (trace_name or "").isascii() and latin(case_name):
            return trace_id, case_id
    return rows[0][0], rows[0][1]


@pytest.fixture
def server(template_db: Path, tmp_path: Path) -> Iterator[tuple[str, tuple[str, str]]]:
    """`ftr serve` in a subprocess on a copy of the generated, matched data."""
    db = tmp_path / "ftr.db"
    _copy_db(template_db, db)
    url = f"sqlite:///{db}"
    store = pipeline.Store.open(url)
    with transaction(store.sessions) as session:
        auth.create_user(session, "olena", "tracing_officer", password=PASSWORD)
        pair = cross_script_pair(session)
    store.engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTR_")}
    env.update(
        FTR_ENVIRONMENT="production",
        FTR_SECRET_KEY=SECRET,
        FTR_COOKIE_SECURE="false",  # plain http on 127.0.0.1 in the test
    )
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [*ftr_command(), "--db", url, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"ftr serve did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base, pair
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_officer_logs_in_compares_a_pair_and_confirms_it(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, (trace_id, case_id) = server

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server}/queue")
            expect(page).to_have_url(f"{server}/login?next=/queue")
            page.fill("input[name=username]", "olena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/queue")
            expect(page.locator("h1")).to_have_text("Traces waiting for review")

            # j selects the first trace, Enter opens its best proposal.
            page.keyboard.press("j")
            expect(page.locator("tbody tr.selected")).to_have_count(1)
            page.keyboard.press("Enter")
            page.wait_for_url("**/compare/**")
            expect(page.locator("#pair-state")).to_have_text("open")

            # The pair to confirm: names in two scripts, side by side.
            page.goto(f"{server}/compare/{trace_id}/{case_id}")
            expect(page.locator("#pair-state")).to_have_text("open")
            expect(page.locator("table.sbs .latin").first).to_be_visible()
            expect(page.locator("svg.bar").first).to_be_visible()

            # c chooses "confirm" and puts the cursor in the note.
            page.keyboard.press("c")
            expect(page.locator("input[value=confirmed]")).to_be_checked()
            page.keyboard.type("Birth certificate number matches; mother recognised photo.")
            page.click("#decide-button")
            expect(page.locator(".flash")).to_contain_text("Recorded: confirmed")
            expect(page.locator("#pair-state")).to_have_text("confirmed")
            expect(page.locator("#history li").first).to_contain_text("olena")
            expect(page.locator("#history li").first).to_contain_text("mother recognised")

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOT.with_suffix(".tmp.png")
            page.screenshot(path=str(shot), full_page=True)
            shutil.move(shot, SCREENSHOT)

            # On a tablet held upright the decision panel goes below the records, and
            # nothing needs sideways scrolling.
            page.set_viewport_size({"width": 820, "height": 1180})
            page.reload()
            records = page.locator("section.records").bounding_box()
            decide = page.locator("aside.decide").bounding_box()
            assert records and decide and decide["y"] >= records["y"] + records["height"]
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size < 600_000
