"""Speed at scale (issue #5): full and incremental re-score, embedded and HTTP queries.

    python -m benchmarks.rescore_bench --cases 10000
    python -m benchmarks.rescore_bench --cases 100000 --queries 300 --http-requests 200

On generated data (`benchmarks.synth`, traces about half as many as cases):

1. **full re-score** of all but `--new` records (half cases, half traces held back),
   run as `ftr rescore --full` in a child process: wall time, the child's peak RSS,
   and recall@10 of the exported matches (`benchmarks.evaluate`);
2. **incremental re-score** after importing the held-back records (`ftr rescore`):
   wall time, peak RSS, how many traces it re-matched, recall@10 over all traces;
3. **embedded queries**: `EmbeddedMatcher.from_store` (which loads the indexes the
   re-score persisted), then `--queries` single-trace `match` calls: p50/p95/p99;
   then the held-back cases added to it in place and the held-back traces matched
   (`embedded_increment`: new registrations meeting their families, no re-score);
4. **HTTP** `POST /v1/match` against `ftr serve` on 127.0.0.1 with `--clients`
   concurrent clients, `--http-requests` in all (one query each), after one warm-up
   request that builds the service's matcher: throughput and latency percentiles.

`--profile` also runs the embedded queries under cProfile and prints the top of it.
Everything stays on this machine; every loop is bounded. Figures are printed as a
Markdown table, with the command, date and machine, ready for `benchmarks/results/`.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.evaluate import evaluate_files
from benchmarks.synth import generate


def machine() -> str:
    """One line: what these numbers were measured on."""
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} cores{memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def split_file(path: Path, held: int, main: Path, extra: Path) -> int:
    """Write all but the last `held` rows of a CSV to `main`, those to `extra`."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    cut = max(0, len(body) - held)
    for target, part in ((main, body[:cut]), (extra, body[cut:])):
        with open(target, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(part)
    return len(body) - cut


def ftr(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run one `ftr` call in a child process: (seconds, the child's peak RSS in MiB, stdout).

    `os.wait4` gives that child's own resource usage, so each phase's peak memory is
    its own (RUSAGE_CHILDREN would be the maximum over every child so far).
    """
    command = [sys.executable, "-m", "service.cli", "--db", url, *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {stderr.strip()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout.strip()


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(samples_ms), [50, 95, 99])
    return float(p50), float(p95), float(p99)


def read_records(path: Path, limit: int) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = []
        for row in csv.DictReader(handle):
            rows.append({k: (v or None) for k, v in row.items()})
            if len(rows) >= limit:
                break
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_bench(
    url: str, queries: list[dict[str, Any]], clients: int, requests: int
) -> dict[str, float]:
    """`POST /v1/match` throughput and latency against a local `ftr serve`."""
    import httpx

    created = subprocess.run(
        [sys.executable, "-m", "service.cli", "--db", url, "users", "create", "bench"]
        + ["--role", "admin", "--service"],
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0:  # the user exists from an earlier run: issue a token
        created = subprocess.run(
            [sys.executable, "-m", "service.cli", "--db", url, "users", "token", "bench"],
            capture_output=True,
            text=True,
            check=True,
        )
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    env = {**os.environ, "FTR_ENVIRONMENT": "development", "FTR_RESCORE_ON_CHANGE": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", url, "serve", "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("ftr serve did not come up")
            time.sleep(0.5)

        def body(i: int) -> dict[str, Any]:
            trace = {k: v for k, v in queries[i % len(queries)].items() if v is not None}
            trace.pop("trace_id", None)
            return {"queries": [{"id": f"q{i}", "limit": 10, "trace": trace}]}

        started = time.perf_counter()
        warm = httpx.post(f"{base}/v1/match", json=body(0), headers=headers, timeout=1800)
        warm.raise_for_status()
        warmup = time.perf_counter() - started
        latencies: list[float] = []
        failures = [0]
        lock = threading.Lock()
        counter = iter(range(requests))

        def client() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=300) as session:
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    t0 = time.perf_counter()
                    response = session.post("/v1/match", json=body(i + 1))
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        if response.status_code == 200:
                            latencies.append(elapsed)
                        else:
                            failures[0] += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        p50, p95, p99 = percentiles(latencies)
        return {
            "warmup_s": warmup,
            "requests": float(len(latencies)),
            "failures": float(failures[0]),
            "throughput": len(latencies) / seconds,
            "p50": p50,
            "p95": p95,
            "p99": p99,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def run(args: argparse.Namespace, work: Path) -> str:
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"## Re-score and query speed: {args.cases:,} cases (seed {args.seed})")
    say()
    say(f"- command: `python -m benchmarks.rescore_bench {' '.join(sys.argv[1:])}`")
    say(f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    say(f"- machine: {machine()}")
    say()
    started = time.perf_counter()
    paths = generate(work / "data", n_cases=args.cases, seed=args.seed)
    say(f"generated in {time.perf_counter() - started:.1f} s")
    held_cases = split_file(
        paths.cases, args.new // 2, work / "cases-main.csv", work / "cases-new.csv"
    )
    held_traces = split_file(
        paths.traces, args.new - args.new // 2, work / "traces-main.csv", work / "traces-new.csv"
    )
    url = f"sqlite:///{work / 'bench.db'}"
    import_s = 0.0
    for kind, file in (("cases", "cases-main.csv"), ("traces", "traces-main.csv")):
        seconds, _, _ = ftr(url, "import", kind, str(work / file))
        import_s += seconds
    say(f"imported the first part in {import_s:.1f} s")
    table = [
        "| phase | cases | traces scored | wall time (s) | peak RSS (MiB) | recall@10 | notes |",
        "|---|---|---|---|---|---|---|",
    ]

    def export_recall(traces_file: Path, cases_files: list[Path]) -> tuple[float, str]:
        """recall@10 over the traces imported so far, against the cases imported so far."""
        matches = work / "matches.csv"
        ftr(url, "export", "matches", str(matches))
        known = {r["case_id"] for f in cases_files for r in read_records(f, 10**9)}
        truth = work / "truth-so-far.csv"
        with open(paths.truth, newline="") as src, open(truth, "w", newline="") as dst:
            writer = csv.writer(dst)
            writer.writerow(["trace_id", "case_id"])
            for row in csv.DictReader(src):
                if row["case_id"] in known:
                    writer.writerow([row["trace_id"], row["case_id"]])
        report = evaluate_files(matches, truth, traces_file, paths.difficulty)
        return report.overall.recall10, report.summary_line()

    def rescore_phase(
        label: str, traces_file: Path, cases_files: list[Path], note: str, *flags: str
    ) -> None:
        """One `ftr rescore` timed, its recall@10 exported, its row added to the table."""
        seconds, peak, stdout = ftr(url, "rescore", *flags)
        recall, summary = export_recall(traces_file, cases_files)
        say(f"{label.split(' ')[0]}: {' '.join(stdout.split())}")
        say(f"  {summary}")
        scored = _number_before(stdout, " traces against")
        cases = _number_before(stdout, " cases,")
        table.append(
            f"| {label} | {cases:,} | {scored:,} | {seconds:.1f} | {peak:.0f} | "
            f"{recall:.4f} | {note} |"
        )

    if args.queries_only:
        say("no re-score (--queries-only): the embedded matcher builds its indexes and fits")
        say()
    else:
        rescore_phase(
            "full re-score",
            work / "traces-main.csv",
            [work / "cases-main.csv"],
            "model fitted",
            "--full",
        )
        if args.full_only:
            say()
            say("\n".join(table))
            return "\n".join(lines)
        for kind, file in (("cases", "cases-new.csv"), ("traces", "traces-new.csv")):
            ftr(url, "import", kind, str(work / file))
        rescore_phase(
            f"incremental re-score ({held_cases} new cases, {held_traces} new traces)",
            paths.traces,
            [paths.cases],
            "stored model reused",
        )
        say()
        say("\n".join(table))
        say()

    # embedded queries
    from service.embedded import EmbeddedMatcher

    started = time.perf_counter()
    embedded = EmbeddedMatcher.from_store(url)
    opened = time.perf_counter() - started
    how = "loaded from the persisted indexes" if embedded.loaded_from else "built"
    queries = read_records(paths.traces, args.queries)
    embedded.match(queries[0])  # first-call costs (imports, caches) are not a query's
    latencies: list[float] = []
    profiler = cProfile.Profile() if args.profile else None
    for trace in queries:
        if profiler is not None:
            profiler.enable()
        t0 = time.perf_counter()
        embedded.match(trace, k=10)
        latencies.append((time.perf_counter() - t0) * 1000)
        if profiler is not None:
            profiler.disable()
    p50, p95, p99 = percentiles(latencies)
    say("| embedded query | value |")
    say("|---|---|")
    say(f"| `EmbeddedMatcher.from_store` ({how}) | {opened:.1f} s |")
    say(
        f"| single-trace `match`, {len(latencies)} queries: p50 / p95 / p99 | "
        f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms |"
    )
    say(f"| mean | {statistics.fmean(latencies):.1f} ms |")
    say()
    say(embedded_increment(embedded, work, paths.truth))
    say()
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        say("cProfile of the embedded queries (cumulative, top 25):")
        say("```")
        say(text.getvalue().strip())
        say("```")
        say()
    del embedded

    if args.http_requests > 0:
        result = http_bench(url, queries, args.clients, args.http_requests)
        say(f"| HTTP `POST /v1/match` ({args.clients} clients, one query a request) | value |")
        say("|---|---|")
        say(f"| first request (builds the service's matcher) | {result['warmup_s']:.1f} s |")
        say(f"| requests answered / failed | {result['requests']:.0f} / {result['failures']:.0f} |")
        say(f"| throughput | {result['throughput']:.1f} requests/s |")
        say(
            f"| latency p50 / p95 / p99 | {result['p50']:.0f} / {result['p95']:.0f} / "
            f"{result['p99']:.0f} ms |"
        )
        say()
    return "\n".join(lines)


SINGLE_ADDS = 20  # held-back cases added one at a time (`embedded_increment`)


def embedded_increment(embedded: Any, work: Path, truth_file: Path) -> str:
    """The held-back cases added to the embedded matcher in place, then the held-back
    traces matched: how long a batch of new registrations takes to meet its families
    without a re-score (with `--queries-only` the matcher holds none of them yet;
    after the incremental re-score it already does, and they count as updates)."""
    cases = read_records(work / "cases-new.csv", 10**9)
    traces = read_records(work / "traces-new.csv", 10**9)
    held = len(embedded)
    # the first few one at a time, each followed by a query: a registration as it is
    # made, meeting its family at once (the first pays for counting the names once)
    alone, cases = cases[:SINGLE_ADDS], cases[SINGLE_ADDS:]
    add_ms: list[float] = []
    query_ms: list[float] = []
    for case in alone:
        started = time.perf_counter()
        embedded.add_cases([case])
        add_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        embedded.match(traces[len(add_ms) % len(traces)] if traces else {"given_name": "A"})
        query_ms.append(1000 * (time.perf_counter() - started))
    started = time.perf_counter()
    embedded.add_cases(cases)
    added = time.perf_counter() - started
    started = time.perf_counter()
    found = embedded.match_many(traces, k=10)
    matched = time.perf_counter() - started
    truth: dict[str, set[str]] = {}
    with open(truth_file, newline="") as handle:
        for row in csv.DictReader(handle):
            truth.setdefault(row["trace_id"], set()).add(row["case_id"])
    sought = [t for t in found if truth.get(t)]
    hits = sum(any(m.case_id in truth[t] for m in found[t]) for t in sought)
    recall = hits / len(sought) if sought else float("nan")
    return "\n".join(
        [
            f"| embedded, new records in place ({held:,} cases held) | value |",
            "|---|---|",
            *(
                [
                    f"| `add_cases` of one case, {len(add_ms)} in turn: first / median / "
                    f"max | {add_ms[0]:.0f} / {statistics.median(add_ms[1:] or add_ms):.0f} "
                    f"/ {max(add_ms[1:] or add_ms):.0f} ms |",
                    f"| `match` right after each: median / max | "
                    f"{statistics.median(query_ms):.0f} / {max(query_ms):.0f} ms |",
                ]
                if add_ms
                else []
            ),
            f"| `add_cases`, {len(cases):,} cases (indexes extended, no rebuild) | {added:.2f} s |",
            f"| `match_many`, {len(traces):,} traces | {matched:.2f} s |",
            f"| together | {added + matched:.2f} s |",
            f"| recall@10 of those traces ({len(sought):,} with a true case) | {recall:.4f} |",
        ]
    )


def _number_before(text: str, marker: str) -> int:
    """The integer just before `marker` in the CLI's summary line (0 if absent)."""
    head = text.replace("\n", " ").split(marker)[0].split()
    try:
        return int(head[-1])
    except (IndexError, ValueError):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--new", type=int, default=1000, help="records held back, then added")
    parser.add_argument("--queries", type=int, default=300, help="embedded single queries")
    parser.add_argument("--http-requests", type=int, default=200, help="0 skips the HTTP part")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="cProfile the embedded queries")
    parser.add_argument(
        "--full-only", action="store_true", help="stop after the full re-score (large stores)"
    )
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="skip the re-scores: import, then time embedded queries (large stores)",
    )
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        report = run(args, args.work)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run(args, Path(tmp))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
