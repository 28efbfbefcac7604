"""Ad-hoc matching (`POST /v1/match`): trace-shaped queries scored against stored cases.

Building a `Matcher` (encoding every case, the candidate indexes) costs far more than
scoring a few queries, so one is cached per process for each visibility scope (the
set of agencies whose cases a caller may see), keyed on the store's latest change:
the newest completed re-score (whose fitted model it uses), the number of cases and
their newest update. After a change to the cases alone (a new registration, an edit,
a closure), the next query takes the cases updated since into the cached matcher in
place (`Matcher.add_cases`), so a new registration meets its family in seconds, not
at the next build; a new model, a deletion, or changes beyond a tenth of the cases
make it build afresh. Queries are never stored.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store import repository
from case_store.fields import CASE_FIELDS
from case_store.models import Case, MatchRun
from scoring import snapshot
from scoring.engine import Matcher, ScoredMatch, Thresholds
from scoring.model import MatchModel, ModelMismatch
from service import indexes
from service.auth import Principal, readable, visible_agencies

# Queries add their tokens to the matcher's vocabulary; past this growth, rebuild.
VOCABULARY_GROWTH = 50_000


@dataclass
class _Entry:
    matcher: Matcher
    cases: int
    vocabulary: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    newest: Any = None  # the newest case update the matcher holds (None: unknown)


@dataclass(frozen=True)
class Query:
    """One validated query: its id, the trace-shaped record, and what to return."""

    id: str
    record: dict[str, str | None]
    limit: int
    threshold: float


class MatcherCache:
    """Matchers per (store change, visibility scope), least recently used evicted."""

    def __init__(
        self,
        max_entries: int = 4,
        index_dir: Path | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.max_entries = max_entries
        self.index_dir = index_dir  # where `ftr rescore` persisted its indexes
        self.thresholds = thresholds  # the configured ones, as `ftr rescore` labels with
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._build_lock = threading.Lock()
        self.builds = 0  # matchers built from the records
        self.loads = 0  # matchers loaded from the persisted indexes
        self.extensions = 0  # cached matchers brought up to date in place

    @staticmethod
    def store_change(session: Session) -> tuple[Any, ...]:
        """What changes whenever the cases or the fitted model change."""
        run = session.scalar(select(func.max(MatchRun.id)).where(MatchRun.state == "done"))
        count, newest = session.execute(select(func.count(), func.max(Case.updated_at))).one()
        return (run, count, str(newest))

    def get(self, session: Session, principal: Principal) -> _Entry:
        """The matcher for `principal`'s scope, built when missing or stale."""
        scope = visible_agencies(session, principal)
        key = (self.store_change(session), scope)
        with self._build_lock:
            entry = self._entries.get(key)
            grown = len(entry.matcher.encoder.vocabulary) - entry.vocabulary if entry else 0
            if entry is not None and grown < VOCABULARY_GROWTH:
                self._entries.move_to_end(key)
                return entry
            entry = self._extended(session, principal, key) or self._build(session, principal)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return entry

    def _extended(
        self, session: Session, principal: Principal, key: tuple[Any, ...]
    ) -> _Entry | None:
        """A cached matcher of the same model and scope, brought up to date with the
        cases updated since it was made; None when there is none or it cannot be."""
        (run, count, _), scope = key
        old_key = next(
            (k for k in reversed(self._entries) if k[1] == scope and k[0][0] == run), None
        )
        if old_key is None:
            return None
        entry = self._entries[old_key]
        if entry.newest is None or entry.matcher.model is None:
            return None
        columns = [Case.__table__.c[name] for name in CASE_FIELDS]  # type: ignore[attr-defined]
        # `>=`: a case updated within the same instant as the newest one held may be
        # newer (an import stamps all of its cases alike); those unchanged are skipped
        stmt = readable(
            select(*columns, Case.proposable, Case.updated_at).where(
                Case.updated_at >= entry.newest
            ),
            principal,
        )
        width = len(CASE_FIELDS)
        matcher = entry.matcher
        rows, opened, closed = session.execute(stmt).all(), [], []
        for row in rows:
            record = dict(zip(CASE_FIELDS, row[:width], strict=True))
            at = matcher.cases.row_of.get(str(record["case_id"]))
            if not row[width]:
                closed.append(str(record["case_id"]))
            elif at is None or matcher.case_records[at] != record:
                opened.append(record)
        # a case updated out of the caller's sight (given to another agency) leaves it
        since = select(Case.case_id).where(Case.updated_at >= entry.newest)
        seen = {str(row[0]) for row in rows}
        closed += [str(c) for c in session.scalars(since) if str(c) not in seen]
        retired = int((~matcher.live).sum())
        if retired + len(opened) + len(closed) > indexes.EXTEND_AT_MOST * max(count, 1):
            return None
        proposable = select(func.count()).select_from(Case).where(Case.proposable.is_(True))
        wanted = session.scalar(readable(proposable, principal))
        with entry.lock:
            held = set(entry.matcher.cases.row_of)
            after = (held - set(closed)) | {str(c["case_id"]) for c in opened}
            if len(after) != wanted:  # a case was deleted, or seen by another scope
                return None
            entry.matcher.change_cases(opened, [c for c in closed if c in held])
            entry.cases = len(after)
            entry.newest = max([entry.newest, *(row[width + 1] for row in rows)])
        del self._entries[old_key]
        self.extensions += 1
        return entry

    def _build(self, session: Session, principal: Principal) -> _Entry:
        newest = session.scalar(readable(select(func.max(Case.updated_at)), principal))
        loaded = self._load_snapshot(session, principal)
        if loaded is not None:
            self.loads += 1
            entry = _Entry(loaded, len(loaded.cases.row_of), len(loaded.encoder.vocabulary))
            entry.newest = newest
            return entry
        columns = [Case.__table__.c[name] for name in CASE_FIELDS]  # type: ignore[attr-defined]
        stmt = readable(select(*columns).where(Case.proposable.is_(True)), principal)
        cases = [dict(zip(CASE_FIELDS, row, strict=True)) for row in session.execute(stmt)]
        extended = self._extend_snapshot(session, principal, cases)
        if extended is not None:
            self.loads += 1
            return _Entry(extended, len(cases), len(extended.encoder.vocabulary), newest=newest)
        model_json = repository.latest_model(session)
        try:
            model = MatchModel.from_json(model_json) if model_json else None
        except ModelMismatch:  # stored by older code: fit afresh until the next re-score
            model = None
        matcher = Matcher(cases, model=model, thresholds=self.thresholds)
        if model is None and cases:
            # No re-score yet: fit on the stored traces (parameters only, nothing shown).
            matcher.fit(list(repository.iter_records(session, "traces")))
        self.builds += 1
        # a matcher fitted here (no re-score yet) is rebuilt with the next change
        fitted_here = model is None
        return _Entry(
            matcher,
            len(cases),
            len(matcher.encoder.vocabulary),
            newest=None if fitted_here else newest,
        )

    def _extend_snapshot(
        self, session: Session, principal: Principal, cases: list[dict[str, str | None]]
    ) -> Matcher | None:
        """The persisted snapshot of other cases, brought up to date with `cases` (all
        the store's proposable ones) in place, when `principal` sees every case and few
        changed (`indexes.bring_up_to_date`)."""
        if self.index_dir is None or not self._sees_all(session, principal):
            return None
        stored = indexes.stored_model(session)
        if stored is None:
            return None
        matcher = snapshot.load_to_extend(self.index_dir, stored[1], thresholds=self.thresholds)
        if matcher is None or indexes.bring_up_to_date(matcher, cases) is None:
            return None
        return matcher

    @staticmethod
    def _sees_all(session: Session, principal: Principal) -> bool:
        proposable = select(func.count()).select_from(Case).where(Case.proposable.is_(True))
        return session.scalar(readable(proposable, principal)) == session.scalar(proposable)

    def _load_snapshot(self, session: Session, principal: Principal) -> Matcher | None:
        """The indexes the last re-score persisted, when `principal` sees every case.

        A snapshot holds all proposable cases, so it serves only a caller who may read
        all of them: scores compete among candidates, and a case the caller cannot see
        must not even lower another's score. It is used only when its fingerprint
        (cases, their content, the fitted model, the code) is the store's now.
        """
        if self.index_dir is None:
            return None
        stored = indexes.stored_model(session)
        if stored is None:
            return None
        if not self._sees_all(session, principal):
            return None
        _, model_json = stored
        wanted = snapshot.fingerprint(indexes.cases_digest(session), model_json)
        return snapshot.load(self.index_dir, wanted)


def run_queries(entry: _Entry, queries: Sequence[Query]) -> dict[str, list[ScoredMatch]]:
    """Each query's ranked matches, at most `limit`, none below `threshold`."""
    results: dict[str, list[ScoredMatch]] = {q.id: [] for q in queries}
    if not queries or not entry.cases:
        return results
    wanted = {q.id: q for q in queries}
    k = max(q.limit for q in queries)
    with entry.lock:  # encoding a query grows the shared vocabulary: one at a time
        for match in entry.matcher.match([q.record for q in queries], k=k):
            query = wanted[match.trace_id]
            found = results[query.id]
            if len(found) < query.limit and match.score >= query.threshold:
                found.append(match)
    return results


def query_record(values: dict[str, Any], query_id: str) -> dict[str, str | None]:
    """A query's trace dict: its id is the query's, the inquiry date defaults to today."""
    record = dict(values)
    record["trace_id"] = query_id
    record["inquiry_date"] = record.get("inquiry_date") or dt.date.today().isoformat()
    return record
