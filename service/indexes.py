"""Persisted matcher indexes for a store: where they live, when they may be used.

The service layer owns this because only it can see both sides: the store (which
cases exist, their content hashes, the newest fitted model) and the matcher
snapshot format (`scoring.snapshot`). A snapshot is used only when its fingerprint
equals the one computed here from the store *now*; otherwise the matcher is rebuilt
from the records and, when an index directory is known, saved for the next process.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from case_store import repository
from case_store.models import Case
from matching.candidates import Budget
from scoring import snapshot
from scoring.engine import Matcher, Thresholds
from scoring.model import MatchModel, ModelMismatch

log = logging.getLogger("ftr.index")
Record = dict[str, str | None]


def default_index_dir(database_url: str, configured: Path | None = None) -> Path | None:
    """Where a store's indexes live: `configured` when given, else beside an SQLite file
    (`ftr.db` -> `ftr.db.index/`), else (PostgreSQL) a per-URL folder in the temporary
    directory; None for an in-memory SQLite store, which has nothing to persist for."""
    if configured is not None:
        return Path(configured)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:":
            return None
        return Path(database).expanduser().with_name(Path(database).name + ".index")
    # the password is no part of which database it is, and must not reach a file name
    name = url.set(password=None).render_as_string(hide_password=True)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ftr-index-{digest}"


def load_cases(session: Session) -> list[Record]:
    """The proposable cases, in the store's order (the order `ftr rescore` indexes them)."""
    return list(repository.iter_records(session, "cases"))


def cases_digest(session: Session) -> str:
    """A digest over the proposable cases' ids and content hashes (what the index holds)."""
    digest = hashlib.sha256(b"cases:v1\n")
    stmt = (
        select(Case.case_id, Case.content_hash)
        .where(Case.proposable.is_(True))
        .order_by(Case.case_id)
        .execution_options(yield_per=20000)
    )
    for case_id, content_hash in session.execute(stmt):
        digest.update(f"{case_id}\t{content_hash}\n".encode())
    return digest.hexdigest()


def stored_model(session: Session) -> tuple[MatchModel, str] | None:
    """The newest completed run's fitted model and its JSON as stored, unless it was
    made for other features. Fingerprints use the stored text, not a re-serialisation,
    so they agree with the one the run that fitted it saved its indexes under."""
    text = repository.latest_model(session)
    if not text:
        return None
    try:
        return MatchModel.from_json(text), text
    except ModelMismatch:
        log.info("the stored model was made for other features: fitting a new one")
        return None


# A stored index is brought up to date in place (`Matcher.add_cases`) while the cases
# changed since it was built, with those retired before, stay under this share of
# the cases; beyond it, it is built afresh: what a build learns from all the cases
# (the name vectors' n-grams and projection) would drift too far from them.
EXTEND_AT_MOST = 0.10
# ... and an index brought up to date is saved again only once the changes since the
# saved one reach this share: saving a snapshot costs about as much as loading it (7 s
# at 100,000 cases), while taking a few hundred changes in again costs under a second.
SAVE_EXTENDED_AT = 0.01


@dataclass
class IndexedMatcher:
    """A matcher for the store's cases, and how it was obtained."""

    matcher: Matcher
    fingerprint: str
    loaded: bool
    seconds: float
    changed: int | None = None  # cases changed since the stored index, when it was extended

    @property
    def how(self) -> str:
        """For the run log: loaded, extended (with how many changes), or built."""
        if self.changed is not None:
            return f"extended ({self.changed:,} changed cases)"
        return "loaded" if self.loaded else "built"


def matcher_for(
    cases: Sequence[Record],
    digest: str,
    model: MatchModel,
    model_json: str,
    index_dir: Path | None,
    *,
    budget: Budget | None = None,
    thresholds: Thresholds | None = None,
    save: bool = True,
) -> IndexedMatcher:
    """The snapshot in `index_dir` when it is for exactly these cases and this model
    (`model_json`, as stored), else a matcher built from `cases` (saved when `save`)."""
    started = time.perf_counter()
    print_ = snapshot.fingerprint(digest, model_json)
    if index_dir is not None:
        loaded = snapshot.load(index_dir, print_, budget=budget, thresholds=thresholds)
        if loaded is not None:
            return IndexedMatcher(loaded, print_, True, time.perf_counter() - started)
        stored = snapshot.load_to_extend(
            index_dir, model_json, budget=budget, thresholds=thresholds
        )
        changed = None if stored is None else bring_up_to_date(stored, cases)
        if stored is not None and changed is not None:
            if save and changed >= SAVE_EXTENDED_AT * len(cases):
                save_snapshot(stored, index_dir, print_)
            return IndexedMatcher(stored, print_, True, time.perf_counter() - started, changed)
    matcher = Matcher(cases, model=model, budget=budget, thresholds=thresholds)
    if save and index_dir is not None:
        save_snapshot(matcher, index_dir, print_)
    return IndexedMatcher(matcher, print_, False, time.perf_counter() - started)


def bring_up_to_date(matcher: Matcher, cases: Sequence[Record]) -> int | None:
    """Make `matcher` (a stored index) hold exactly `cases`: add the new and changed
    ones, retire the removed ones. Returns how many changed, or None (and leaves it
    as it was) when that would be more than EXTEND_AT_MOST of the cases."""
    held = {case_id: matcher.case_records[row] for case_id, row in matcher.cases.row_of.items()}
    current = {str(case["case_id"]): case for case in cases}
    changed = [case for case_id, case in current.items() if held.get(case_id) != case]
    removed = [case_id for case_id in held if case_id not in current]
    retired = int((~matcher.live).sum())
    if retired + len(changed) + len(removed) > EXTEND_AT_MOST * max(len(current), 1):
        return None
    matcher.change_cases(changed, removed)
    return len(changed) + len(removed)


def save_snapshot(matcher: Matcher, index_dir: Path, print_: str) -> bool:
    """Save, but never fail the caller over it: an index is a cache of the store."""
    try:
        snapshot.save(matcher, index_dir, print_)
        return True
    except OSError as exc:
        log.warning("could not save the index snapshot to %s: %s", index_dir, exc)
        return False
