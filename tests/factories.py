"""Tiny record factories: tests read as tables of cases and traces."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from case_store.fields import CASE_FIELDS, TRACE_FIELDS

_counter = {"case": 0, "trace": 0}


def case(**fields: str | None) -> dict[str, str | None]:
    """A case with a fresh id and registration date unless given."""
    _counter["case"] += 1
    record: dict[str, str | None] = dict.fromkeys(CASE_FIELDS)
    record.update(case_id=f"C{_counter['case']:05d}", registration_date="2024-05-01")
    record.update(fields)
    return record


def trace(**fields: str | None) -> dict[str, str | None]:
    """A trace with a fresh id and inquiry date unless given."""
    _counter["trace"] += 1
    record: dict[str, str | None] = dict.fromkeys(TRACE_FIELDS)
    record.update(trace_id=f"T{_counter['trace']:05d}", inquiry_date="2024-03-01")
    record.update(fields)
    return record


def write_records(path: Path, records: Iterable[Mapping[str, str | None]], kind: str) -> Path:
    """Write records as the contract's CSV or JSONL (by extension)."""
    fields = CASE_FIELDS if kind == "cases" else TRACE_FIELDS
    if path.suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(dict(record), ensure_ascii=False) + "\n")
        return path
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for record in records:
            writer.writerow(["" if record.get(f) is None else record.get(f) for f in fields])
    return path
