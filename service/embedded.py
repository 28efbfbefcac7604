"""The embedded match API: ranked, explained matches in-process, no server.

For a program that holds its own records (a registration app, a notebook, a batch
job) and wants the matcher as a library::

    from service.embedded import EmbeddedMatcher

    matcher = EmbeddedMatcher(cases=cases, traces=traces)   # fits a model on them
    for match in matcher.match({"given_name": "Olena", "family_name": "Kovalenko"}):
        print(match.case_id, match.score, match.likelihood)

or over a store, reusing its newest fitted model and its persisted indexes::

    matcher = EmbeddedMatcher.from_store("sqlite:///ftr.db")

Results are the `ScoredMatch` of `ftr rescore` (rank, calibrated score, likelihood,
per-field evidence), computed by the same `Matcher` with the same model, so a
query answers as the stored proposals would. Nothing is written to any store.

Changes (`add_cases`, `update_case`, `remove_case`) keep the record set and the
indexes current: once built, the indexes are extended in place (`Matcher.add_cases`),
so a new registration is found by the next query at the cost of indexing it alone,
with the model already fitted (re-fitting is `refit()`, on purpose: a model that
moved with every record would make scores incomparable over time; it also builds the
indexes afresh). Traces only serve that fitting; their own `add/update/remove_trace`
keep the fitting set current.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from case_store import repository
from case_store.db import transaction
from case_store.records import CaseRecord, TraceRecord, validation_problems
from matching.candidates import Budget
from scoring import snapshot
from scoring.engine import Matcher, ScoredMatch, Thresholds
from scoring.model import MatchModel
from service import indexes
from service.collector import bulk_work

Record = dict[str, str | None]


class InvalidRecord(ValueError):
    """A record that `ftr import` would refuse, with every reason."""


def _validated(kind: str, values: Mapping[str, Any]) -> tuple[Record, bool]:
    """The contract values of a record and whether it may be proposed; raises
    InvalidRecord naming each bad column, as the import and the API do."""
    record_type: type[CaseRecord] | type[TraceRecord] = (
        CaseRecord if kind == "cases" else TraceRecord
    )
    try:
        record = record_type.model_validate(dict(values))
    except ValidationError as exc:
        problems = "; ".join(f"{col}: {why}" for col, why in validation_problems(exc))
        raise InvalidRecord(f"invalid {kind[:-1]}: {problems}") from exc
    return record.values(), record.proposable


class EmbeddedMatcher:
    """Cases indexed in this process; `match` answers trace-shaped queries.

    Closed, reunified and no-consent cases are kept (so `update_case` can reopen
    them) but left out of the index, as `ftr rescore` leaves them out. Thread-safe:
    queries and changes take one lock (encoding a query grows the shared vocabulary).
    """

    def __init__(
        self,
        cases: Iterable[Mapping[str, Any]] = (),
        traces: Iterable[Mapping[str, Any]] = (),
        *,
        model: MatchModel | str | None = None,
        thresholds: Thresholds | None = None,
        budget: Budget | None = None,
        use_faiss: bool = True,
    ) -> None:
        self._cases: dict[str, Record] = {}
        self._closed: set[str] = set()
        self._traces: dict[str, Record] = {}
        self._by_request: dict[str, list[str]] | None = None  # `_request_mates`, built lazily
        self.model: MatchModel | None = (
            MatchModel.from_json(model) if isinstance(model, str) else model
        )
        self.thresholds = thresholds
        self.budget = budget
        self.use_faiss = use_faiss
        self._matcher: Matcher | None = None
        self._lock = threading.RLock()
        self.builds = 0  # how often the indexes were built (not loaded): for tests, metrics
        self.loaded_from: Path | None = None
        self._put_cases(cases)
        for trace in traces:
            values, _ = _validated("traces", trace)
            self._traces[str(values["trace_id"])] = values

    # --- construction from a store ------------------------------------------------

    @classmethod
    def from_store(
        cls,
        url: str,
        *,
        index_dir: Path | str | None = None,
        persist: bool = True,
        thresholds: Thresholds | None = None,
        budget: Budget | None = None,
    ) -> EmbeddedMatcher:
        """The store's proposable cases with its newest fitted model.

        The indexes come from the persisted snapshot in `index_dir` (default:
        `ftr.db.index/` beside an SQLite file) when it is for exactly these cases,
        this model and this code; otherwise they are built and, with `persist`,
        saved there for the next process. With no fitted model yet (no re-score
        ran), one is fitted on the stored traces. Without `thresholds`, those the
        newest re-score labelled its proposals with, so a query answers as they do.
        """
        with bulk_work():
            return cls._from_store(url, index_dir, persist, thresholds, budget)

    @classmethod
    def _from_store(
        cls,
        url: str,
        index_dir: Path | str | None,
        persist: bool,
        thresholds: Thresholds | None,
        budget: Budget | None,
    ) -> EmbeddedMatcher:
        from service.pipeline import Store

        store = Store.open(url)
        folder = indexes.default_index_dir(url, Path(index_dir) if index_dir else None)
        try:
            with transaction(store.sessions) as session:
                stored = indexes.stored_model(session)
                model, model_json = stored if stored else (None, "")
                if thresholds is None:
                    recorded = repository.latest_run_detail(session).get("thresholds")
                    thresholds = Thresholds(**recorded) if recorded else None
                digest = indexes.cases_digest(session)
                # the fitting set when no model is stored, and always each query's
                # request mates (`match_many`)
                traces = list(repository.iter_records(session, "traces"))
                wanted = snapshot.fingerprint(digest, model_json) if model else None
                loaded = None
                if wanted and folder is not None:
                    loaded = snapshot.load(folder, wanted, budget=budget, thresholds=thresholds)
                cases = [] if loaded is not None else indexes.load_cases(session)
        finally:
            store.engine.dispose()
        if loaded is None and wanted and folder is not None:
            # a snapshot of other cases: brought up to date in place when few changed
            stored_index = snapshot.load_to_extend(
                folder, model_json, budget=budget, thresholds=thresholds
            )
            changed = (
                None if stored_index is None else indexes.bring_up_to_date(stored_index, cases)
            )
            if stored_index is not None and changed is not None:
                loaded = stored_index
                if persist:
                    indexes.save_snapshot(loaded, folder, wanted)
        embedded = cls(model=model, thresholds=thresholds, budget=budget)
        embedded._traces = {str(t["trace_id"]): t for t in traces}
        embedded._by_request = None
        if loaded is not None:
            # the rows it holds now: an updated case's older row and a removed case's
            # are retired, not gone
            records = loaded.case_records
            embedded._cases = {cid: dict(records[row]) for cid, row in loaded.cases.row_of.items()}
            embedded._matcher = loaded
            embedded.loaded_from = folder
            return embedded
        # stored records were validated on import: no need to parse them again
        embedded._cases = {str(r["case_id"]): r for r in cases}
        embedded._build()
        if persist and folder is not None and embedded._matcher is not None:
            print_ = snapshot.fingerprint(digest, model_json or embedded._matcher.model.to_json())
            indexes.save_snapshot(embedded._matcher, folder, print_)
        return embedded

    # --- queries ------------------------------------------------------------------

    @property
    def matcher(self) -> Matcher:
        """The current `Matcher`, built first if a change made it stale."""
        with self._lock:
            if self._matcher is None:
                self._build()
            assert self._matcher is not None
            return self._matcher

    def match(self, trace: Mapping[str, Any], k: int = 10) -> list[ScoredMatch]:
        """The best `k` cases for one trace-shaped record, ranked and explained.

        `trace_id` and `inquiry_date` may be left out (a query id and today).
        Only pairs at or above the `possible` threshold are returned.
        """
        return self.match_many([trace], k=k)[self._query_id(trace, 0)]

    def match_many(
        self, traces: Iterable[Mapping[str, Any]], k: int = 10
    ) -> dict[str, list[ScoredMatch]]:
        """Each trace's best `k` cases, keyed by trace id (one batch: faster than a loop).

        The known traces of the same tracing requests are matched alongside (their
        results not returned): a request's traces are scored together
        (`Matcher._sought_together`), so a query answers as the stored proposals do.
        """
        records: list[Record] = []
        for position, trace in enumerate(traces):
            record = dict(trace)
            record["trace_id"] = self._query_id(trace, position)
            record["inquiry_date"] = record.get("inquiry_date") or dt.date.today().isoformat()
            values, _ = _validated("traces", record)
            records.append(values)
        results: dict[str, list[ScoredMatch]] = {str(r["trace_id"]): [] for r in records}
        with self._lock:
            matcher = self.matcher
            if not len(matcher.cases):
                return results
            for found in matcher.match(records + self._request_mates(records), k=k):
                if found.trace_id in results:
                    results[found.trace_id].append(found)
        return results

    def _request_mates(self, records: list[Record]) -> list[Record]:
        """Known traces of the tracing requests of `records`, other than those."""
        requests = {r.get("request_id") for r in records} - {None, ""}
        if not requests:
            return []
        if self._by_request is None:
            self._by_request = {}
            for trace_id, trace in self._traces.items():
                request = trace.get("request_id")
                if request:
                    self._by_request.setdefault(str(request), []).append(trace_id)
        asked = {r["trace_id"] for r in records}
        return [
            self._traces[trace_id]
            for request in sorted(str(r) for r in requests)
            for trace_id in self._by_request.get(request, [])
            if trace_id not in asked
        ]

    @staticmethod
    def _query_id(trace: Mapping[str, Any], position: int) -> str:
        return str(trace.get("trace_id") or f"query-{position + 1}")

    def score_pair(self, trace: Mapping[str, Any], case: Mapping[str, Any]) -> ScoredMatch:
        """Score and explain one pair, found by candidate generation or not."""
        trace_values, _ = _validated("traces", {"trace_id": "query", **dict(trace)})
        case_values, _ = _validated("cases", case)
        with self._lock:
            return self.matcher.score_pair(trace_values, case_values)

    def __len__(self) -> int:
        """How many cases may be proposed (the indexed ones)."""
        return len(self._cases) - len(self._closed)

    # --- changes ------------------------------------------------------------------

    def add_cases(self, cases: Iterable[Mapping[str, Any]]) -> None:
        """Add (or replace, by `case_id`) cases; the next query sees them.

        All of them are checked before any is taken: one invalid case changes nothing.
        """
        with self._lock:
            checked = [_validated("cases", case) for case in cases]
            # a case closed by this change leaves the index, if it was in it; an open
            # one enters it (again, when it was there before: the matcher retires its
            # older row). Only the changed ids are looked up: a set of every indexed
            # id, made for each change, cost 12 ms a case added at 100,000 cases.
            leaving = [str(v["case_id"]) for v, open_ in checked if not open_]
            indexed = {c for c in leaving if c in self._cases and c not in self._closed}
            self._put_valid(checked)
            if self._matcher is None:
                return
            self._matcher.change_cases(
                [v for v, open_ in checked if open_], [c for c in leaving if c in indexed]
            )

    def update_case(self, case: Mapping[str, Any]) -> None:
        """Replace a stored case (by `case_id`); a closed status takes it out of results."""
        case_id = str(case.get("case_id"))
        if case_id not in self._cases:
            raise KeyError(f"no case {case_id!r}")
        self.add_cases([case])

    def remove_case(self, case_id: str) -> None:
        """Forget a case altogether."""
        with self._lock:
            if self._cases.pop(case_id, None) is None:
                raise KeyError(f"no case {case_id!r}")
            self._closed.discard(case_id)
            if self._matcher is not None:
                self._matcher.remove_cases([case_id])

    def add_traces(self, traces: Iterable[Mapping[str, Any]]) -> None:
        """Add (or replace) traces of the fitting set; takes effect at `refit()`."""
        with self._lock:
            for trace in traces:
                values, _ = _validated("traces", trace)
                self._traces[str(values["trace_id"])] = values
            self._by_request = None

    def update_trace(self, trace: Mapping[str, Any]) -> None:
        """Replace a trace of the fitting set."""
        if str(trace.get("trace_id")) not in self._traces:
            raise KeyError(f"no trace {trace.get('trace_id')!r}")
        self.add_traces([trace])

    def remove_trace(self, trace_id: str) -> None:
        """Drop a trace from the fitting set."""
        with self._lock:
            if self._traces.pop(trace_id, None) is None:
                raise KeyError(f"no trace {trace_id!r}")
            self._by_request = None

    def refit(self) -> MatchModel:
        """Fit a new model on the current cases and traces (scores change meaning)."""
        with self._lock:
            self.model = None
            self._matcher = None
            self._build()
            assert self._matcher is not None
            return self._matcher.model

    # --- persistence ------------------------------------------------------------------

    def save(self, index_dir: Path | str) -> Path:
        """Persist the current indexes and model; `load` reads them back without rebuilding."""
        with self._lock:
            matcher = self.matcher
            return snapshot.save(matcher, Path(index_dir), self._fingerprint(matcher))

    @classmethod
    def load(
        cls,
        index_dir: Path | str,
        cases: Iterable[Mapping[str, Any]],
        traces: Iterable[Mapping[str, Any]] = (),
        *,
        thresholds: Thresholds | None = None,
        budget: Budget | None = None,
    ) -> EmbeddedMatcher | None:
        """The saved indexes of `index_dir` if they are for exactly `cases` (and this
        code and format); None when anything differs (build a new one then). `traces`
        are the known traces (a query's request mates, the fitting set of `refit`)."""
        with bulk_work():
            return cls._load(index_dir, cases, traces, thresholds, budget)

    @classmethod
    def _load(
        cls,
        index_dir: Path | str,
        cases: Iterable[Mapping[str, Any]],
        traces: Iterable[Mapping[str, Any]],
        thresholds: Thresholds | None,
        budget: Budget | None,
    ) -> EmbeddedMatcher | None:
        embedded = cls(cases, traces, thresholds=thresholds, budget=budget)
        model_json = snapshot.stored_model_json(Path(index_dir))
        if model_json is None:
            return None
        print_ = snapshot.fingerprint(embedded._digest(), model_json)
        loaded = snapshot.load(Path(index_dir), print_, budget=budget, thresholds=thresholds)
        if loaded is None:
            return None
        embedded.model = loaded.model
        embedded._matcher = loaded
        embedded.loaded_from = Path(index_dir)
        return embedded

    # --- internals --------------------------------------------------------------------

    def _put_cases(self, cases: Iterable[Mapping[str, Any]]) -> None:
        self._put_valid([_validated("cases", case) for case in cases])

    def _put_valid(self, checked: list[tuple[Record, bool]]) -> None:
        for values, proposable in checked:
            case_id = str(values["case_id"])
            self._cases[case_id] = values
            if proposable:
                self._closed.discard(case_id)
            else:
                self._closed.add(case_id)

    def _indexed(self) -> list[Record]:
        return [r for cid, r in self._cases.items() if cid not in self._closed]

    def _digest(self) -> str:
        return snapshot.data_digest(self._indexed())

    def _fingerprint(self, matcher: Matcher) -> str:
        return snapshot.fingerprint(self._digest(), matcher.model.to_json())

    def _build(self) -> None:
        with bulk_work():
            self._build_now()

    def _build_now(self) -> None:
        cases = self._indexed()
        options: dict[str, Any] = {"thresholds": self.thresholds, "budget": self.budget}
        if self.model is not None:
            matcher = Matcher(cases, model=self.model, use_faiss=self.use_faiss, **options)
        elif self._traces and cases:
            matcher = Matcher(cases, use_faiss=self.use_faiss, **options)
            matcher.fit(list(self._traces.values()))
        else:
            # nothing to fit on: the default model ranks sensibly, its scores are
            # not calibrated until a model is fitted (`refit` once traces exist)
            matcher = Matcher(cases, model=MatchModel(), use_faiss=self.use_faiss, **options)
        self.model = matcher.model
        self._matcher = matcher
        self.builds += 1
