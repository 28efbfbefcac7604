"""Re-scoring after a change, off the request thread.

A created or edited record, or a decision, marks records as needing matching; the API
then asks for an incremental `pipeline.rescore` as a background task. Requests that
arrive while a re-score runs are folded into one more run after it, so a burst of
edits costs at most two runs, and two re-scores never write at the same time.
"""

from __future__ import annotations

import logging
import threading

from case_store import repository
from case_store.db import transaction
from service import pipeline

log = logging.getLogger("ftr.rescore")


class BackgroundRescorer:
    """Coalescing, single-flight re-scores of one store."""

    def __init__(
        self,
        store: pipeline.Store,
        *,
        enabled: bool = True,
        thresholds: pipeline.Thresholds | None = None,
    ) -> None:
        self.store = store
        self.enabled = enabled
        self.thresholds = thresholds  # the configured ones (`Settings.thresholds`)
        self._lock = threading.Lock()
        self._running = False
        self._pending = False
        self.runs = 0
        self.last_error: str | None = None

    def _work_waiting(self) -> bool:
        """Whether any record needs matching: a re-score with nothing to do still
        rebuilds the matcher, which is the expensive part."""
        with transaction(self.store.sessions) as session:
            return bool(
                repository.ids_needing_matching(session, "cases")
                or repository.ids_needing_matching(session, "traces")
            )

    def request(self) -> None:
        """Re-score now, or make the running re-score go round once more."""
        if not self.enabled:
            return
        with self._lock:
            if self._running:
                self._pending = True
                return
            self._running = True
        try:
            while True:
                with self._lock:
                    self._pending = False
                try:
                    if not self._work_waiting():
                        summary = None
                    else:
                        summary = pipeline.rescore(self.store, thresholds=self.thresholds)
                    self.last_error = None
                    if summary is not None:
                        self.runs += 1
                        log.info(
                            "%s re-score: %d traces, %d proposals",
                            summary.mode,
                            summary.traces_scored,
                            summary.pairs_written,
                        )
                except Exception as exc:  # a failed re-score must not kill the worker
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("background re-score failed")
                with self._lock:
                    if not self._pending:
                        self._running = False
                        return
        except BaseException:
            with self._lock:
                self._running = False
            raise
