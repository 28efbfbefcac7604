"""The speed benchmark imports and its helpers still hold, so it cannot rot.

The real run (`python -m benchmarks.rescore_bench --cases 100000`) takes many
minutes and is not part of the suite.
"""

from __future__ import annotations

import csv

from benchmarks import rescore_bench


def test_split_file_holds_back_the_last_rows(tmp_path):
    source = tmp_path / "all.csv"
    with open(source, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "given_name"])
        writer.writerows([[f"C{i}", "x"] for i in range(10)])
    held = rescore_bench.split_file(source, 3, tmp_path / "main.csv", tmp_path / "new.csv")
    assert held == 3
    main = list(csv.DictReader(open(tmp_path / "main.csv", newline="")))
    new = list(csv.DictReader(open(tmp_path / "new.csv", newline="")))
    assert [r["case_id"] for r in main] == [f"C{i}" for i in range(7)]
    assert [r["case_id"] for r in new] == ["C7", "C8", "C9"]


def test_the_cli_summary_is_read_back():
    line = "incremental re-score: 12 traces against 3456 cases, 20 potential matches"
    assert rescore_bench._number_before(line, " traces against") == 12
    assert rescore_bench._number_before(line, " cases,") == 3456
    assert rescore_bench.percentiles([1.0, 2.0, 3.0])[0] == 2.0
    assert "cores" in rescore_bench.machine()


def test_new_records_are_added_in_place_and_found(tmp_path):
    """`embedded_increment` adds held-back cases to a built matcher (no rebuild) and
    finds the held-back traces' children among them."""
    from benchmarks.synth import generate
    from service.embedded import EmbeddedMatcher

    paths = generate(tmp_path / "data", n_cases=300, seed=7)
    rescore_bench.split_file(
        paths.cases, 40, tmp_path / "cases-main.csv", tmp_path / "cases-new.csv"
    )
    rescore_bench.split_file(
        paths.traces, 20, tmp_path / "traces-main.csv", tmp_path / "traces-new.csv"
    )
    embedded = EmbeddedMatcher(
        cases=rescore_bench.read_records(tmp_path / "cases-main.csv", 10**9),
        traces=rescore_bench.read_records(tmp_path / "traces-main.csv", 10**9),
    )
    embedded.match({"given_name": "Olena"})  # built once
    table = rescore_bench.embedded_increment(embedded, tmp_path, paths.truth)
    assert embedded.builds == 1
    assert "`add_cases`, 20 cases" in table and "`match_many`, 20 traces" in table
    assert "`add_cases` of one case, 20 in turn" in table
    recall = float(table.splitlines()[-1].split("|")[-2])
    assert recall >= 0.9
