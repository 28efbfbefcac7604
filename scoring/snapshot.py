"""A fitted `Matcher` saved to disk (or to bytes) and loaded without rebuilding.

Layout of an index directory (`settings.index_dir`, by default `ftr.db.index/`
beside an SQLite store)::

    current.json          {"directory": "snap-...", "fingerprint": "..."}
    snap-<id>/manifest.json, records.jsonl, model.json, vocabulary.json,
                          cases.npz/.json, keys*, vectors*

A snapshot is published by writing a complete new `snap-*` directory and then
replacing `current.json` in one `os.replace`, so a reader sees the old snapshot or
the new one, never half of one, and a crash while saving leaves the old one current.

A snapshot is only ever used when its fingerprint equals the one the caller
computes now: the format version, a digest of the matching code and its data
tables, the library versions, the model (its JSON, so its version and feature
list), and a digest of the case data the caller supplies (`data_digest`). Anything
else differing means rebuild: a stale index would silently miss or mis-rank cases.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from matching import persist
from matching.candidates import Budget, CandidateGenerator
from scoring.comparators import TokenSimilarity
from scoring.engine import Matcher, Thresholds, case_term_frequencies
from scoring.features import FEATURES
from scoring.model import MatchModel

log = logging.getLogger("ftr.index")

POINTER = "current.json"
_SCORING_DIR = Path(__file__).resolve().parent
MANIFEST = "manifest.json"
# What `Matcher.__init__` sets and `load` restores. A Matcher that grows other state
# (beyond plain settings) cannot be restored faithfully here: `load` then declines.
RESTORED_ATTRIBUTES = frozenset(
    {
        "encoder",
        "case_records",
        "cases",
        "budget",
        "thresholds",
        "seed",
        "similarity",
        "generators",
        "tf",
        "model",
        "fitted",
        "fit_top",
        "live",
    }
)


def data_digest(records: Iterable[Mapping[str, str | None]], id_field: str = "case_id") -> str:
    """A digest of records held in memory, independent of their order."""
    lines = sorted(
        json.dumps(dict(r), sort_keys=True, ensure_ascii=False, default=str) for r in records
    )
    digest = hashlib.sha256(id_field.encode())
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def code_fingerprint() -> str:
    """A digest of the matching and scoring code, its data tables and the libraries.

    Matching code makes the stored arrays; scoring code reads them. Either changing
    means a stored index may no longer be what this code would build.
    """
    digest = hashlib.sha256(persist.code_fingerprint().encode())
    for path in sorted(_SCORING_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(persist.library_versions(), sort_keys=True).encode())
    return digest.hexdigest()


def fingerprint(data: str, model_json: str) -> str:
    """What a stored snapshot must match to be used: data, model, code and format."""
    parts = {
        "format": persist.FORMAT_VERSION,
        "code": code_fingerprint(),
        "features": [f.name for f in FEATURES],
        "model": hashlib.sha256(model_json.encode()).hexdigest(),
        "data": data,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def model_fingerprint(model_json: str) -> str:
    """`fingerprint` without the data: what a snapshot must match to be extended with
    other cases (`load_to_extend`)."""
    return fingerprint("", model_json)


def matcher_fingerprint(matcher: Matcher, data: str) -> str:
    """`fingerprint` of a matcher's own model."""
    return fingerprint(data, matcher.model.to_json())


# --- writing --------------------------------------------------------------------


def _write_parts(matcher: Matcher, directory: Path, print_: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "records.jsonl", "w", encoding="utf-8") as handle:
        for record in matcher.case_records:
            handle.write(json.dumps(dict(record), ensure_ascii=False) + "\n")
    (directory / "model.json").write_text(matcher.model.to_json())
    persist.save_vocabulary(matcher.encoder.vocabulary, directory)
    persist.save_encoded(matcher.cases, directory, "cases")
    np.save(directory / "live.npy", matcher.live)
    names = [g.name for g in matcher.generators]
    for generator in matcher.generators:
        if generator.name == "keys":
            persist.save_key_blocker(generator, directory)  # type: ignore[arg-type]
        elif generator.name == "vectors":
            persist.save_vector_blocker(generator, directory)  # type: ignore[arg-type]
        else:
            raise TypeError(f"cannot save candidate generator {generator.name!r}")
    manifest = {
        "format": persist.FORMAT_VERSION,
        "fingerprint": print_,
        "cases": len(matcher.cases),
        "generators": names,
        "seed": matcher.seed,
        # term frequencies cover the vocabulary as it was when the cases were indexed;
        # tokens added since (by queries) must stay unknown, not "never seen" (0)
        "tf_size": len(matcher.tf.share),
        "model_version": matcher.model.version,
        "model_fingerprint": model_fingerprint(matcher.model.to_json()),
        "code": code_fingerprint(),
        "libraries": persist.library_versions(),
    }
    # the manifest last: a directory without one was never finished
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1))


def save(matcher: Matcher, index_dir: Path, print_: str) -> Path:
    """Write `matcher` as the current snapshot of `index_dir`; returns its directory.

    Older snapshots are removed after the switch (a reader still loading one of
    them fails and rebuilds, which is always correct).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"snap-{uuid.uuid4().hex[:16]}"
    partial = index_dir / f"{name}.partial"
    _write_parts(matcher, partial, print_)
    partial.rename(index_dir / name)
    pointer = index_dir / f"{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
    pointer.write_text(json.dumps({"directory": name, "fingerprint": print_}))
    os.replace(pointer, index_dir / POINTER)
    for old in index_dir.glob("snap-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return index_dir / name


def current_fingerprint(index_dir: Path) -> str | None:
    """The fingerprint of the current snapshot of `index_dir`, if there is one."""
    try:
        return str(json.loads((index_dir / POINTER).read_text())["fingerprint"])
    except (OSError, ValueError, KeyError):
        return None


def stored_model_json(index_dir: Path) -> str | None:
    """The model JSON of the current snapshot of `index_dir`, if there is one."""
    try:
        pointer = json.loads((index_dir / POINTER).read_text())
        return (index_dir / str(pointer["directory"]) / "model.json").read_text()
    except (OSError, ValueError, KeyError):
        return None


# --- reading --------------------------------------------------------------------


def _read_parts(
    directory: Path,
    budget: Budget | None,
    thresholds: Thresholds | None,
    use_faiss: bool,
) -> Matcher | None:
    manifest = json.loads((directory / MANIFEST).read_text())
    model = MatchModel.from_json((directory / "model.json").read_text())
    matcher = Matcher(
        [],
        model=model,
        budget=budget,
        thresholds=thresholds,
        use_faiss=use_faiss,
        seed=int(manifest["seed"]),
    )
    # plain settings (numbers, flags, names) do not depend on the cases: the empty
    # matcher already holds them; anything else would have to be restored here
    unknown = {
        name
        for name, value in vars(matcher).items()
        if name not in RESTORED_ATTRIBUTES
        and not isinstance(value, int | float | str | bool | type(None))
    }
    if unknown:
        log.warning("Matcher has state a snapshot does not restore (%s): rebuilding", unknown)
        return None
    vocabulary = persist.load_vocabulary(directory)
    matcher.encoder.vocabulary = vocabulary
    with open(directory / "records.jsonl", encoding="utf-8") as handle:
        matcher.case_records = [json.loads(line) for line in handle]
    matcher.cases = persist.load_encoded(directory, "cases")
    # rows of cases updated or removed since the build stay, retired
    matcher.live = np.load(directory / "live.npy", allow_pickle=False)
    if len(matcher.live) != len(matcher.cases):
        raise ValueError("the snapshot's retired rows do not fit its cases")
    matcher.cases.row_of = {i: r for i, r in matcher.cases.row_of.items() if matcher.live[r]}
    matcher.similarity = TokenSimilarity(vocabulary.strings, vocabulary.key_of)
    generators: list[CandidateGenerator] = []
    for name in manifest["generators"]:
        if name == "keys":
            generators.append(persist.load_key_blocker(directory, vocabulary))
        elif name == "vectors":
            generators.append(persist.load_vector_blocker(directory, vocabulary))
    matcher.generators = generators
    live = None if matcher.live.all() else matcher.live
    matcher.tf = case_term_frequencies(
        matcher.cases, int(manifest["tf_size"]), vocabulary.key_of, live, vocabulary=vocabulary
    )
    matcher.fitted = True
    return matcher


def load(
    index_dir: Path,
    print_: str,
    *,
    budget: Budget | None = None,
    thresholds: Thresholds | None = None,
    use_faiss: bool = True,
) -> Matcher | None:
    """The current snapshot of `index_dir` as a Matcher when its fingerprint is
    `print_`; None (rebuild) when there is none, it differs, or it cannot be read."""
    return _load_current(index_dir, "fingerprint", print_, budget, thresholds, use_faiss)


def load_to_extend(
    index_dir: Path,
    model_json: str,
    *,
    budget: Budget | None = None,
    thresholds: Thresholds | None = None,
) -> Matcher | None:
    """The current snapshot of `index_dir` when it was made by this code and format for
    the model `model_json`, whatever cases it holds: the caller brings it up to date
    with `Matcher.change_cases`. None when there is none or it differs in anything but
    its cases."""
    wanted = model_fingerprint(model_json)
    return _load_current(index_dir, "model_fingerprint", wanted, budget, thresholds, True)


def _load_current(
    index_dir: Path,
    field: str,
    wanted: str,
    budget: Budget | None,
    thresholds: Thresholds | None,
    use_faiss: bool,
) -> Matcher | None:
    """The current snapshot when its manifest is of this format and its `field` is
    `wanted`; None when there is none, it differs, or it cannot be read."""
    try:
        pointer = json.loads((index_dir / POINTER).read_text())
        directory = index_dir / str(pointer["directory"])
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.get("format") != persist.FORMAT_VERSION or manifest.get(field) != wanted:
        return None
    try:
        return _read_parts(directory, budget, thresholds, use_faiss)
    except Exception:  # a damaged or vanished snapshot: rebuilding is always correct
        log.warning("could not load the index snapshot in %s: rebuilding", directory, exc_info=True)
        return None


# --- in memory, for shipping to other processes --------------------------------------


def to_bytes(matcher: Matcher, print_: str) -> bytes:
    """The snapshot as one uncompressed tar (numpy arrays compress poorly anyway)."""
    with tempfile.TemporaryDirectory(prefix="ftr-snapshot-") as tmp:
        _write_parts(matcher, Path(tmp), print_)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for path in sorted(Path(tmp).iterdir()):
                tar.add(path, arcname=path.name)
        return buffer.getvalue()


def from_bytes(
    blob: bytes,
    print_: str,
    *,
    budget: Budget | None = None,
    thresholds: Thresholds | None = None,
    use_faiss: bool = True,
) -> Matcher:
    """The inverse of `to_bytes`; raises when the fingerprint or format differ.

    Used by Dask workers: a worker running other code than the driver would score
    differently, so it refuses instead (the fingerprint holds the code's digest).
    """
    with tempfile.TemporaryDirectory(prefix="ftr-snapshot-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        directory = Path(tmp)
        manifest = json.loads((directory / MANIFEST).read_text())
        if manifest.get("format") != persist.FORMAT_VERSION:
            raise ValueError(f"snapshot format {manifest.get('format')} is not ours")
        if manifest.get("fingerprint") != print_:
            raise ValueError("snapshot fingerprint differs from the one expected")
        if manifest.get("code") != code_fingerprint():
            raise ValueError("snapshot made by other code or libraries than this worker's")
        matcher = _read_parts(directory, budget, thresholds, use_faiss)
        if matcher is None:
            raise ValueError("this worker's Matcher cannot be restored from a snapshot")
        return matcher
