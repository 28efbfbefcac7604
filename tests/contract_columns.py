"""The contract's columns and difficulty labels, spelled out from `contract.md` rather
than imported from a generator, so that a change on either side fails the generators'
tests (`tests/benchmarks/test_synth*.py`)."""

from __future__ import annotations

CONTRACT_CASE_COLUMNS = [
    "case_id", "registration_date", "given_name", "family_name", "other_names", "sex",
    "date_of_birth", "age", "age_estimated", "father_name", "mother_name", "caregiver_name",
    "language", "nationality", "ethnicity", "place_of_origin", "separation_place",
    "separation_date", "current_location", "identifiers", "consent_for_tracing", "status",
]  # fmt: skip
CONTRACT_TRACE_COLUMNS = [
    "trace_id", "request_id", "inquiry_date", "inquirer_name", "inquirer_relation",
    "given_name", "family_name", "other_names", "sex", "date_of_birth", "age_estimated", "age",
    "father_name", "mother_name", "language", "nationality", "ethnicity", "place_of_origin",
    "separation_place", "separation_date", "identifiers", "status",
]  # fmt: skip
LABELS = {
    "transliteration", "other_script", "nickname", "name_order", "estimated_age",
    "place_variant", "sibling_twin", "common_name", "duplicate", "unmatched", "plain",
}  # fmt: skip
