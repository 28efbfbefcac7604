"""Import and export in the contract's formats (CSV and JSON Lines).

An import is all or nothing: rows are validated and written inside the caller's
transaction, and a single bad row makes the caller roll the whole file back. Every
bad row is reported (up to a cap, with a count of the rest). Files are streamed in
batches so memory stays flat however large the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ValidationError
from sqlalchemy import Table, and_, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from case_store.fields import CASE_FIELDS, MATCH_EXPORT_FIELDS, TRACE_FIELDS
from case_store.models import Case, PotentialMatch, Trace, TracingRequest, utcnow
from case_store.records import CaseRecord, TraceRecord, validation_problems

RecordKind = Literal["cases", "traces"]
ProgressCallback = Callable[[int], None]
BATCH = 2000
MAX_REPORTED = 100


@dataclass(frozen=True)
class RowProblem:
    """One reason a row was refused: where, which column, why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportRejected(Exception):
    """The file had bad rows; nothing of it was stored."""

    def __init__(self, path: Path, problems: list[RowProblem], total: int, bad_rows: int):
        self.path = path
        self.problems = problems
        self.total = total
        self.bad_rows = bad_rows
        super().__init__(
            f"{path}: {bad_rows} invalid row(s), nothing imported "
            f"(first: {problems[0] if problems else 'unknown'})"
        )

    def report(self) -> list[str]:
        """Every reported problem a line, then how many more were not listed."""
        lines = [f"{self.path}: {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"... and {self.total - len(self.problems)} more problem(s)")
        return lines


class FileFormatError(Exception):
    """The file itself cannot be read as the contract's CSV or JSON Lines."""


@dataclass
class ImportResult:
    """What an import did, for the summary line."""

    kind: RecordKind
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list, repr=False)


class _CountingReader(io.RawIOBase):
    """Counts the bytes read so a progress bar can follow a streamed file."""

    def __init__(self, raw: IO[bytes], callback: ProgressCallback | None):
        self._raw = raw
        self._callback = callback

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self._callback is not None and n:
            self._callback(n)
        return n


def file_format(path: Path) -> Literal["csv", "jsonl"]:
    """The format the extension names, as the contract says."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise FileFormatError(f"{path}: unknown file type {suffix!r}; expected .csv or .jsonl")


def read_rows(
    path: Path, progress: ProgressCallback | None = None
) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Yield (line number, raw row) or (line number, problem) for each record."""
    fmt = file_format(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(
            io.BufferedReader(_CountingReader(raw, progress)), encoding="utf-8-sig", newline=""
        )
        try:
            if fmt == "csv":
                yield from _csv_rows(text)
            else:
                yield from _jsonl_rows(text)
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise FileFormatError(f"{path}: malformed CSV: {exc}") from exc


def _csv_rows(text: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    reader = csv.reader(text)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    width = len(header)
    previous_end = reader.line_num
    for values in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        if len(values) != width:
            yield (
                line,
                RowProblem(line, "(row)", f"has {len(values)} fields, the header has {width}"),
            )
            continue
        yield line, dict(zip(header, values, strict=True))


def _jsonl_rows(text: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    for line_no, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, RowProblem(line_no, "(row)", f"not valid JSON: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            yield line_no, RowProblem(line_no, "(row)", "not a JSON object")
            continue
        yield line_no, obj


def content_hash(values: dict[str, str | None]) -> str:
    """A digest of the contract values, to tell a real change from a re-import."""
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise FileFormatError(f"unsupported database dialect {dialect!r}")


def _upsert(session: Session, model: type[Case] | type[Trace], rows: list[dict[str, Any]]) -> None:
    table: Table = model.__table__  # type: ignore[assignment]
    stmt = _insert(session, table)
    pk = "case_id" if model is Case else "trace_id"
    changed = table.c.content_hash != stmt.excluded.content_hash
    updates: dict[str, Any] = {
        name: stmt.excluded[name]
        for name in rows[0]
        if name not in (pk, "created_at", "needs_matching", "updated_at")
    }
    updates["needs_matching"] = case((changed, True), else_=table.c.needs_matching)
    updates["updated_at"] = case((changed, stmt.excluded.updated_at), else_=table.c.updated_at)
    upsert = stmt.on_conflict_do_update(index_elements=[pk], set_=updates)
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(upsert, rows)
        return
    # SQLite: compile once and hand the driver plain tuples; SQLAlchemy's per-row
    # parameter processing is a fifth of a million-row import otherwise
    compiled = upsert.compile(dialect=connection.dialect)
    names = compiled.positiontup or []
    # literals the statement binds itself (the True of "needs matching", ...)
    fixed = {name: bind.effective_value for name, bind in compiled.binds.items()}
    fixed.update(
        {
            column.name: column.default.arg
            for column in table.c
            if column.default is not None and column.default.is_scalar
        }
    )
    params = [
        tuple(_sqlite_value(row[name] if name in row else fixed[name]) for name in names)
        for row in rows
    ]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(str(compiled), params)
    finally:
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    """Datetimes as SQLAlchemy's SQLite dialect stores them (ISO text)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _store_batch(
    session: Session,
    kind: RecordKind,
    batch: dict[str, CaseRecord | TraceRecord],
    agency_id: str | None,
    result: ImportResult,
) -> None:
    model: type[Case] | type[Trace] = Case if kind == "cases" else Trace
    pk = model.__table__.c["case_id" if kind == "cases" else "trace_id"]  # type: ignore[attr-defined]
    ids = list(batch)
    known = dict(session.execute(select(pk, model.content_hash).where(pk.in_(ids))).all())
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for record_id, record in batch.items():
        values = record.values()
        digest = content_hash(values)
        previous = known.get(record_id)
        if previous is None:
            result.inserted += 1
        elif previous == digest:
            result.unchanged += 1
        else:
            result.updated += 1
            result.changed_ids.append(record_id)
        row: dict[str, Any] = dict(values)
        row.update(
            content_hash=digest,
            proposable=record.proposable,
            needs_matching=True,
            created_at=now,
            updated_at=now,
            agency_id=agency_id,
        )
        rows.append(row)
    _upsert(session, model, rows)
    if kind == "traces":
        _store_requests(session, batch.values(), agency_id)


def _store_requests(session: Session, traces: Any, agency_id: str | None) -> None:
    """Keep one tracing request per request_id; its inquirer comes from its traces."""
    requests: dict[str, dict[str, Any]] = {}
    for trace in traces:
        if trace.request_id:
            requests[trace.request_id] = {
                "request_id": trace.request_id,
                "inquirer_name": trace.inquirer_name,
                "inquirer_relation": trace.inquirer_relation,
                "inquiry_date": trace.inquiry_date,
                "agency_id": agency_id,
                "created_at": utcnow(),
            }
    if not requests:
        return
    table: Table = TracingRequest.__table__  # type: ignore[assignment]
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["request_id"],
        set_={
            "inquirer_name": stmt.excluded.inquirer_name,
            "inquirer_relation": stmt.excluded.inquirer_relation,
            "inquiry_date": stmt.excluded.inquiry_date,
        },
    )
    session.execute(stmt, list(requests.values()))


def mark_matches_stale(session: Session, kind: RecordKind, ids: Sequence[str]) -> None:
    """A changed record's stored proposals no longer hold until it is matched again."""
    column = PotentialMatch.case_id if kind == "cases" else PotentialMatch.trace_id
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        session.execute(update(PotentialMatch).where(column.in_(chunk)).values(stale=True))


def import_records(
    session: Session,
    kind: RecordKind,
    path: Path,
    *,
    agency_id: str | None = None,
    progress: ProgressCallback | None = None,
    max_reported: int = MAX_REPORTED,
) -> ImportResult:
    """Validate and upsert every row of `path` in the caller's transaction.

    Raises ImportRejected (after reading the whole file, so every bad row is
    named) when any row is invalid; the caller must then roll back.
    """
    record_type: type[CaseRecord] | type[TraceRecord] = (
        CaseRecord if kind == "cases" else TraceRecord
    )
    result = ImportResult(kind=kind)
    problems: list[RowProblem] = []
    total_problems = 0
    bad_rows = 0
    batch: dict[str, CaseRecord | TraceRecord] = {}
    for line, row in read_rows(path, progress):
        result.rows += 1
        if isinstance(row, RowProblem):
            found = [row]
        else:
            try:
                record = record_type.model_validate(row)
            except ValidationError as exc:
                found = [RowProblem(line, col, why) for col, why in validation_problems(exc)]
            else:
                found = []
                if not bad_rows:
                    batch[record.record_id] = record
        if found:
            bad_rows += 1
            total_problems += len(found)
            problems.extend(found[: max(0, max_reported - len(problems))])
            batch.clear()
        elif len(batch) >= BATCH:
            _store_batch(session, kind, batch, agency_id, result)
            batch.clear()
    if bad_rows:
        raise ImportRejected(path, problems, total_problems, bad_rows)
    if batch:
        _store_batch(session, kind, batch, agency_id, result)
    mark_matches_stale(session, kind, result.changed_ids)
    return result


def _open_writer(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", encoding="utf-8", newline="")


def export_records(session: Session, kind: RecordKind, path: Path) -> int:
    """Write stored cases or traces back in the contract's format; returns rows written."""
    fmt = file_format(path)
    model: type[Case] | type[Trace] = Case if kind == "cases" else Trace
    fields = CASE_FIELDS if kind == "cases" else TRACE_FIELDS
    columns = [model.__table__.c[name] for name in fields]  # type: ignore[attr-defined]
    count = 0
    with _open_writer(path) as handle:
        writer = csv.writer(handle, lineterminator="\n") if fmt == "csv" else None
        if writer is not None:
            writer.writerow(fields)
        rows = session.execute(
            select(*columns).order_by(columns[0]).execution_options(yield_per=5000)
        )
        for row in rows:
            if writer is not None:
                writer.writerow(["" if v is None else v for v in row])
            else:
                obj = {name: value for name, value in zip(fields, row, strict=True)}
                handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count


def export_matches(session: Session, path: Path, *, per_trace: int = 10) -> int:
    """The contract's matches file: current, proposable pairs, best first per trace."""
    stmt = (
        select(
            PotentialMatch.trace_id,
            PotentialMatch.case_id,
            PotentialMatch.rank,
            PotentialMatch.score,
            PotentialMatch.likelihood,
        )
        .join(Trace, Trace.trace_id == PotentialMatch.trace_id)
        .join(Case, Case.case_id == PotentialMatch.case_id)
        .where(
            and_(
                PotentialMatch.stale.is_(False),
                PotentialMatch.rank <= per_trace,
                Trace.proposable.is_(True),
                Case.proposable.is_(True),
            )
        )
        .order_by(PotentialMatch.trace_id, PotentialMatch.rank)
        .execution_options(yield_per=5000)
    )
    count = 0
    with _open_writer(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MATCH_EXPORT_FIELDS)
        for trace_id, case_id, rank, score, likelihood in session.execute(stmt):
            writer.writerow([trace_id, case_id, rank, f"{score:.6f}", likelihood])
            count += 1
    return count
