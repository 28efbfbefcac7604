"""Import and export per the contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories import case, trace, write_records
from sqlalchemy import func, select

from case_store import repository
from case_store.db import transaction
from case_store.io import ImportRejected
from case_store.models import Case, PotentialMatch, Trace, TracingRequest
from service import pipeline


def count(store: pipeline.Store, model: type) -> int:
    with transaction(store.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_import_then_reimport_updates_without_duplicates(store, tmp_path, suffix):
    records = [
        case(given_name="Олександр", family_name="Коваленко", other_names="Sasha|Саша"),
        case(given_name="محمد", family_name="Ali", age="7", age_estimated="true"),
    ]
    path = write_records(tmp_path / f"cases{suffix}", records, "cases")
    result = pipeline.import_file(store, "cases", path)
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 0)
    records[1]["age"] = "8"
    path = write_records(tmp_path / f"again{suffix}", records, "cases")
    result = pipeline.import_file(store, "cases", path)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert count(store, Case) == 2
    with transaction(store.sessions) as session:
        stored = session.get(Case, records[1]["case_id"])
        assert stored is not None and stored.age == "8"
        assert session.get(Case, records[0]["case_id"]).other_names == "Sasha|Саша"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_bad_rows_change_nothing_and_are_all_named(store, tmp_path, suffix):
    good = [case(given_name="Anna")]
    pipeline.import_file(store, "cases", write_records(tmp_path / f"g{suffix}", good, "cases"))
    before = count(store, Case)
    rows = [
        case(given_name="Changed", case_id=good[0]["case_id"]),
        case(registration_date="2024-02-30"),
        case(age="seven"),
        case(sex="x"),
        case(),
    ]
    rows[-1]["case_id"] = None
    path = write_records(tmp_path / f"bad{suffix}", rows, "cases")
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_file(store, "cases", path)
    found = {(p.line, p.column) for p in caught.value.problems}
    header = 1 if suffix == ".csv" else 0  # CSV line 1 is the header
    assert found == {
        (2 + header, "registration_date"),
        (3 + header, "age"),
        (4 + header, "sex"),
        (5 + header, "case_id"),
    }
    assert caught.value.bad_rows == 4
    assert count(store, Case) == before
    with transaction(store.sessions) as session:
        assert session.get(Case, good[0]["case_id"]).given_name == "Anna"


def test_problem_report_is_capped_with_a_count(sqlite_url, tmp_path):
    store = pipeline.Store.open(sqlite_url)
    rows = [case(age="x") for _ in range(150)]
    path = write_records(tmp_path / "many.csv", rows, "cases")
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_file(store, "cases", path)
    assert len(caught.value.problems) == 100
    assert caught.value.report()[-1] == "... and 50 more problem(s)"


def test_traces_create_their_tracing_requests(store, tmp_path):
    rows = [
        trace(request_id="R1", inquirer_name="Olena Koval", inquirer_relation="mother"),
        trace(request_id="R1", inquirer_name="Olena Koval", inquirer_relation="mother"),
        trace(request_id="R2", inquirer_name="Ahmed Ali", inquirer_relation="father"),
    ]
    pipeline.import_file(store, "traces", write_records(tmp_path / "t.csv", rows, "traces"))
    assert count(store, Trace) == 3
    assert count(store, TracingRequest) == 2


def test_reimport_of_a_changed_record_marks_its_matches_stale(sqlite_url, tmp_path):
    store = pipeline.Store.open(sqlite_url)
    c, t = case(given_name="Anna"), trace(given_name="Anna")
    pipeline.import_file(store, "cases", write_records(tmp_path / "c.csv", [c], "cases"))
    pipeline.import_file(store, "traces", write_records(tmp_path / "t.csv", [t], "traces"))
    with transaction(store.sessions) as session:
        repository.replace_matches(
            session,
            None,
            [repository.StoredMatch(t["trace_id"], c["case_id"], 0.9, 1, "likely", [])],
            "fs-v1",
        )
    c["given_name"] = "Hanna"
    pipeline.import_file(store, "cases", write_records(tmp_path / "c2.csv", [c], "cases"))
    with transaction(store.sessions) as session:
        assert session.scalar(select(PotentialMatch.stale)) is True
    out = tmp_path / "m.csv"
    assert pipeline.export_matches(store, out) == 0


def test_export_matches_has_exactly_the_contract_header(sqlite_url, tmp_path):
    store = pipeline.Store.open(sqlite_url)
    out = tmp_path / "m.csv"
    pipeline.export_matches(store, out)
    assert out.read_text().splitlines() == ["trace_id,case_id,rank,score,likelihood"]


def _ftr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_rejects_a_bad_file_with_one_line_per_bad_row(db_url, tmp_path):
    path = write_records(tmp_path / "c.csv", [case(), case(age="-3"), case(sex="q")], "cases")
    done = _ftr("--db", db_url, "import", "cases", str(path), cwd=tmp_path)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert any("line 3, column age" in line for line in lines), done.stderr
    assert any("line 4, column sex" in line for line in lines), done.stderr
    assert lines[-1].startswith("error:")
    assert "Traceback" not in done.stderr


def test_cli_unknown_file_type_and_missing_file_are_one_line(sqlite_url, tmp_path):
    for name in ("cases.txt", "missing.csv"):
        done = _ftr("--db", sqlite_url, "import", "cases", str(tmp_path / name), cwd=tmp_path)
        assert done.returncode == 1
        assert len(done.stderr.strip().splitlines()) == 1
        assert done.stderr.startswith("error:")


def test_jsonl_accepts_typed_values(sqlite_url, tmp_path):
    store = pipeline.Store.open(sqlite_url)
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps(
            {
                "case_id": "J1",
                "registration_date": "2024-01-01",
                "age": 6,
                "age_estimated": True,
                "language": ["uk", "ru"],
            }
        )
        + "\n"
    )
    pipeline.import_file(store, "cases", path)
    out = tmp_path / "out.csv"
    pipeline.export_records(store, "cases", out)
    (row,) = list(csv.DictReader(out.open()))
    assert (row["age"], row["age_estimated"], row["language"]) == ("6", "true", "uk|ru")
