"""Import -> export -> import preserves every value, in any script."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from factories import write_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from case_store.fields import CASE_FIELDS
from service import pipeline

LATIN = string.ascii_letters + "áéíóúñçÀ-' ,\"\n"
CYRILLIC = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя'"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي ءآأإة"


def _word() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from([LATIN, CYRILLIC, ARABIC]).flatmap(
        lambda chars: st.text(alphabet=chars, min_size=1, max_size=12)
    )
    return alphabet.map(str.strip).filter(bool)


def _text() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), _word())


def _multi() -> st.SearchStrategy[str | None]:
    return st.lists(_word(), max_size=3).map(lambda v: "|".join(v) or None)


CASE_ROW = st.fixed_dictionaries(
    {
        "registration_date": st.dates().map(lambda d: d.isoformat()),
        "given_name": _text(),
        "family_name": _text(),
        "other_names": _multi(),
        "father_name": _text(),
        "mother_name": _text(),
        "place_of_origin": _text(),
        "sex": st.sampled_from([None, "female", "m", "U"]),
        "age": st.one_of(st.none(), st.integers(0, 17).map(str)),
        "age_estimated": st.sampled_from([None, "true", "false"]),
        "identifiers": _multi(),
        "status": st.sampled_from([None, "open", "closed"]),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(CASE_ROW, min_size=1, max_size=5), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_round_trip_preserves_every_value(rows, suffix):
    records = []
    for i, row in enumerate(rows):
        record = dict.fromkeys(CASE_FIELDS)
        record.update(row, case_id=f"id-{i}-ü")
        records.append(record)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        store = pipeline.Store.open(f"sqlite:///{tmp_path / 'a.db'}")
        pipeline.import_file(
            store, "cases", write_records(tmp_path / f"in{suffix}", records, "cases")
        )
        exported = tmp_path / f"out{suffix}"
        pipeline.export_records(store, "cases", exported)
        second = pipeline.Store.open(f"sqlite:///{tmp_path / 'b.db'}")
        pipeline.import_file(second, "cases", exported)
        again = tmp_path / f"again{suffix}"
        pipeline.export_records(second, "cases", again)
        assert exported.read_bytes() == again.read_bytes()
        from case_store.db import transaction
        from case_store.repository import iter_records

        with transaction(second.sessions) as session:
            stored = {
                r["case_id"]: r for r in iter_records(session, "cases", proposable_only=False)
            }
        for record in records:
            assert stored[record["case_id"]] == record
        store.engine.dispose()
        second.engine.dispose()
