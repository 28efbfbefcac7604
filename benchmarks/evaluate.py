"""Scores a matches file against ground truth, as the held-back evaluation does.

recall@1 and recall@10 over traces that have a true case (a trace counts as found
when any of its true cases is at that rank or better), mean reciprocal rank,
precision and recall of `likely` pairs, and the share of traces with no true case
that still got a `likely` proposal; each also per difficulty label.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Scores:
    """Accuracy figures over one set of traces."""

    traces: int = 0
    with_truth: int = 0
    hits1: int = 0
    hits10: int = 0
    rr: float = 0.0
    likely_pairs: int = 0
    likely_true: int = 0
    true_pairs: int = 0
    unmatched: int = 0
    unmatched_with_likely: int = 0

    @property
    def recall1(self) -> float:
        return self.hits1 / self.with_truth if self.with_truth else float("nan")

    @property
    def recall10(self) -> float:
        return self.hits10 / self.with_truth if self.with_truth else float("nan")

    @property
    def mrr(self) -> float:
        return self.rr / self.with_truth if self.with_truth else float("nan")

    @property
    def likely_precision(self) -> float:
        return self.likely_true / self.likely_pairs if self.likely_pairs else float("nan")

    @property
    def likely_recall(self) -> float:
        return self.likely_true / self.true_pairs if self.true_pairs else float("nan")

    @property
    def false_likely_rate(self) -> float:
        return self.unmatched_with_likely / self.unmatched if self.unmatched else float("nan")


@dataclass
class Report:
    """Overall and per-difficulty scores, plus what the demo shows."""

    overall: Scores
    by_difficulty: dict[str, Scores] = field(default_factory=dict)
    found_pairs: list[tuple[str, str]] = field(default_factory=list)

    def summary_line(self) -> str:
        o = self.overall
        return (
            f"recall@1 {o.recall1:.4f}  recall@10 {o.recall10:.4f}  MRR {o.mrr:.4f}  "
            f"likely precision {o.likely_precision:.4f} recall {o.likely_recall:.4f}  "
            f"false-likely on unmatched {o.false_likely_rate:.4f}"
        )

    def examples(self, n: int) -> list[tuple[str, str]]:
        return self.found_pairs[:n]

    def rows(self) -> list[tuple[str, Scores]]:
        return [("overall", self.overall), *sorted(self.by_difficulty.items())]


def read_pairs(path: Path) -> dict[str, set[str]]:
    truth: dict[str, set[str]] = defaultdict(set)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[row["trace_id"]].add(row["case_id"])
    return truth


def read_ids(path: Path, key: str) -> list[str]:
    if path.suffix == ".jsonl":
        import json

        with open(path, encoding="utf-8") as handle:
            return [str(json.loads(line)[key]) for line in handle if line.strip()]
    with open(path, newline="", encoding="utf-8") as handle:
        return [row[key] for row in csv.DictReader(handle)]


def evaluate(
    matches: Iterable[dict[str, str]],
    truth: dict[str, set[str]],
    trace_ids: Iterable[str],
    difficulty: dict[str, str] | None = None,
) -> Report:
    """Score proposals (dicts with trace_id, case_id, rank, likelihood) against truth."""
    ranked: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in matches:
        ranked[row["trace_id"]].append((int(row["rank"]), row["case_id"], row["likelihood"]))
    overall = Scores()
    groups: dict[str, Scores] = defaultdict(Scores)
    found: list[tuple[str, str]] = []
    for trace_id in trace_ids:
        targets = [overall]
        if difficulty is not None:
            targets.append(groups[difficulty.get(trace_id, "unlabelled")])
        proposals = sorted(ranked.get(trace_id, []))
        true_cases = truth.get(trace_id, set())
        first_hit = next((r for r, c, _ in proposals if c in true_cases), None)
        likely = [(c in true_cases) for _, c, lk in proposals if lk == "likely"]
        for s in targets:
            s.traces += 1
            s.likely_pairs += len(likely)
            s.likely_true += sum(likely)
            if true_cases:
                s.with_truth += 1
                s.true_pairs += len(true_cases)
                if first_hit is not None:
                    s.hits1 += first_hit == 1
                    s.hits10 += first_hit <= 10
                    s.rr += 1.0 / first_hit
            else:
                s.unmatched += 1
                s.unmatched_with_likely += bool(likely)
        if first_hit == 1 and len(found) < 50:
            found.append((trace_id, proposals[0][1]))
    return Report(overall, dict(groups), found)


def evaluate_files(
    matches: Path, truth: Path, traces: Path, difficulty: Path | None = None
) -> Report:
    """`evaluate` on the files the generator and `ftr export matches` write."""
    with open(matches, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels: dict[str, str] | None = None
    if difficulty is not None and difficulty.exists():
        with open(difficulty, newline="", encoding="utf-8") as handle:
            labels = {r["trace_id"]: r["difficulty"] for r in csv.DictReader(handle)}
    return evaluate(rows, read_pairs(truth), read_ids(traces, "trace_id"), labels)


def format_table(report: Report, title: str = "") -> str:
    """A plain-text table of the report, one row per difficulty."""
    header = (
        f"{'slice':<16}{'traces':>8}{'r@1':>8}{'r@10':>8}{'MRR':>8}"
        f"{'lk prec':>9}{'lk rec':>8}{'false lk':>9}"
    )
    lines = [title, header] if title else [header]
    for name, s in report.rows():
        lines.append(
            f"{name:<16}{s.traces:>8}{s.recall1:>8.4f}{s.recall10:>8.4f}{s.mrr:>8.4f}"
            f"{s.likely_precision:>9.4f}{s.likely_recall:>8.4f}{s.false_likely_rate:>9.4f}"
        )
    return "\n".join(lines)
