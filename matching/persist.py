"""Saving and loading the matching layer's indexes: vocabulary, encoded cases, blockers.

Encoding every case and building the candidate indexes is most of what it costs to
answer the first query in a new process (a minute and more at 100,000 cases), and it
gives the same arrays every time for the same cases and code. These functions write
those arrays to a directory and read them back: numpy `.npy`/`.npz`, JSON, and
`faiss.write_index` for the vector index. No pickle: a directory that someone else
could write must not become a way to run code in the service.

Only the *state* is stored here. Whether a stored state may be used (same cases,
same code, same format) is decided by the caller from a fingerprint
(`scoring.snapshot`); this module never guesses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from scipy import sparse

from matching.candidates import KeyBlocker, NumpyIndex, VectorBlocker, key_kind
from matching.encode import Encoded, Vocabulary

# Bump when the layout written below changes: an older directory is then rebuilt.
FORMAT_VERSION = 2
_PACKAGE_DIR = Path(__file__).resolve().parent


def library_versions() -> dict[str, str]:
    """Versions whose change may change a stored index's bytes or meaning (pycountry's
    names of countries are place keys of the encoded records, as anyascii's readings
    are name tokens)."""
    found: dict[str, str] = {}
    for name in ("numpy", "scipy", "scikit-learn", "faiss-cpu", "pycountry", "anyascii"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def code_fingerprint() -> str:
    """A digest of the matching code and its data tables (nicknames, places).

    A change to normalisation or encoding changes every encoded case, so an index
    written by other code is never trusted, whatever the cases' own fingerprint says.
    """
    digest = hashlib.sha256()
    files = sorted(_PACKAGE_DIR.glob("*.py")) + sorted((_PACKAGE_DIR / "data").glob("*"))
    for path in files:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- vocabulary and encoded records -------------------------------------------------


def save_vocabulary(vocabulary: Vocabulary, directory: Path) -> None:
    """Token strings in id order with their skeleton keys' ids."""
    data = {"strings": vocabulary.strings, "key_of": vocabulary.key_of}
    (directory / "vocabulary.json").write_text(json.dumps(data, ensure_ascii=False))


def load_vocabulary(directory: Path) -> Vocabulary:
    """The inverse of `save_vocabulary`: ids are positions, so they come back equal."""
    data = json.loads((directory / "vocabulary.json").read_text())
    vocabulary = Vocabulary()
    vocabulary.strings = list(data["strings"])
    vocabulary.key_of = [int(k) for k in data["key_of"]]
    vocabulary._ids = {token: i for i, token in enumerate(vocabulary.strings)}
    return vocabulary


def save_encoded(encoded: Encoded, directory: Path, name: str) -> None:
    """Every column of `encoded`: arrays to `.npz`, lists to JSON.

    The columns are walked generically, so a column added to `Encoded` is saved
    too; one of a type this function does not know makes it fail loudly rather than
    store half a record.
    """
    arrays: dict[str, np.ndarray] = {}
    lists: dict[str, Any] = {"kind": encoded.kind}
    set_columns: list[str] = []
    for column in dataclasses.fields(encoded):
        value = getattr(encoded, column.name)
        if column.name in ("kind", "row_of"):
            continue
        if isinstance(value, np.ndarray):
            arrays[column.name] = value
        elif isinstance(value, list) and any(isinstance(v, frozenset) for v in value):
            lists[column.name] = [sorted(v) for v in value]
            set_columns.append(column.name)
        elif isinstance(value, list):
            lists[column.name] = value
        else:
            raise TypeError(f"cannot save column {column.name!r} of type {type(value)}")
    lists["_set_columns"] = set_columns
    np.savez(directory / f"{name}.npz", **arrays)  # type: ignore[arg-type]
    (directory / f"{name}.json").write_text(json.dumps(lists, ensure_ascii=False))


def load_encoded(directory: Path, name: str) -> Encoded:
    """The inverse of `save_encoded`."""
    lists = json.loads((directory / f"{name}.json").read_text())
    with np.load(directory / f"{name}.npz", allow_pickle=False) as stored:
        values: dict[str, Any] = {key: stored[key] for key in stored.files}
    set_columns = lists.pop("_set_columns")
    values.update(lists)
    for name in set_columns:
        values[name] = [frozenset(v) for v in lists[name]]
    encoded = Encoded(**values)
    encoded.row_of = {rid: i for i, rid in enumerate(encoded.ids)}
    return encoded


# --- candidate generators -----------------------------------------------------------


def _save_csr(path: Path, matrix: sparse.csr_matrix) -> None:
    sparse.save_npz(path, matrix.tocsr(), compressed=False)


def save_key_blocker(blocker: KeyBlocker, directory: Path) -> None:
    """The key ids, their IDF weights, the bounds on common keys and the case-by-key
    matrix (cases added since the build included)."""
    keys = sorted(blocker._key_ids, key=blocker._key_ids.__getitem__)
    (directory / "keys.json").write_text(json.dumps(keys, ensure_ascii=False))
    bounds = {"max_share": blocker.max_share, "max_postings": blocker.max_postings}
    (directory / "keys_bounds.json").write_text(json.dumps(bounds))
    np.save(directory / "keys_idf.npy", blocker._idf)
    _save_csr(directory / "keys_matrix.npz", blocker._cases)


def load_key_blocker(directory: Path, vocabulary: Vocabulary) -> KeyBlocker:
    """A `KeyBlocker` as it was saved, without re-deriving the keys of every case."""
    blocker = KeyBlocker.__new__(KeyBlocker)
    blocker.vocabulary = vocabulary
    keys = json.loads((directory / "keys.json").read_text())
    blocker._key_ids = {key: i for i, key in enumerate(keys)}
    blocker._kind_list = [key_kind(key) for key in keys]
    blocker._kind = np.zeros(0, dtype=np.int8)
    blocker._reset_caches()
    bounds = json.loads((directory / "keys_bounds.json").read_text())
    blocker.max_share = float(bounds["max_share"])
    blocker.max_postings = int(bounds["max_postings"])
    blocker._idf = np.load(directory / "keys_idf.npy", allow_pickle=False)
    blocker._cases = sparse.load_npz(directory / "keys_matrix.npz").tocsr()
    blocker._df = np.bincount(blocker._cases.indices, minlength=blocker._cases.shape[1])
    blocker._postings, blocker._added, blocker._added_postings = None, 0, None
    blocker._added_blocks = []
    return blocker


def save_vector_blocker(blocker: VectorBlocker, directory: Path) -> None:
    """The TF-IDF vocabulary and weights, the SVD projection and the vector index."""
    vectoriser = blocker._vectoriser
    config = {
        "vocabulary": {k: int(v) for k, v in vectoriser.vocabulary_.items()},
        "params": {
            "analyzer": vectoriser.analyzer,
            "ngram_range": list(vectoriser.ngram_range),
            "min_df": vectoriser.min_df,
            "sublinear_tf": vectoriser.sublinear_tf,
        },
        "index": "faiss" if isinstance(blocker._index, faiss.Index) else "numpy",
    }
    (directory / "vectors.json").write_text(json.dumps(config, ensure_ascii=False))
    np.save(directory / "vectors_idf.npy", vectoriser.idf_)
    np.save(directory / "vectors_components.npy", blocker._svd.components_)
    np.save(directory / "vectors_empty.npy", blocker._empty)
    if config["index"] == "faiss":
        faiss.write_index(blocker._index, str(directory / "vectors.faiss"))
    else:
        np.save(directory / "vectors_index.npy", blocker._index._vectors)


def load_vector_blocker(directory: Path, vocabulary: Vocabulary) -> VectorBlocker:
    """A `VectorBlocker` that embeds queries exactly as the saved one did.

    The vectoriser is rebuilt from its vocabulary and IDF weights and the SVD from
    its components (`transform` is a product with them), so no fitting happens.
    """
    from sklearn.decomposition import TruncatedSVD  # slow to import: only when loading
    from sklearn.feature_extraction.text import TfidfVectorizer

    config = json.loads((directory / "vectors.json").read_text())
    params = config["params"]
    vectoriser = TfidfVectorizer(
        analyzer=params["analyzer"],
        ngram_range=tuple(params["ngram_range"]),
        min_df=params["min_df"],
        sublinear_tf=params["sublinear_tf"],
        dtype=np.float32,
        vocabulary=config["vocabulary"],
    )
    vectoriser.idf_ = np.load(directory / "vectors_idf.npy", allow_pickle=False)
    components = np.load(directory / "vectors_components.npy", allow_pickle=False)
    svd = TruncatedSVD(n_components=components.shape[0])
    svd.components_ = components
    svd.n_features_in_ = components.shape[1]
    blocker = VectorBlocker.__new__(VectorBlocker)
    blocker.vocabulary = vocabulary
    blocker._vectoriser = vectoriser
    blocker._svd = svd
    blocker._empty = np.load(directory / "vectors_empty.npy", allow_pickle=False)
    if config["index"] == "faiss":
        blocker._index = faiss.read_index(str(directory / "vectors.faiss"))
    else:
        blocker._index = NumpyIndex(np.load(directory / "vectors_index.npy", allow_pickle=False))
    return blocker
