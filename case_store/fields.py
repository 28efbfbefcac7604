"""The contract's record columns (`shared/contract.md`), in one place.

Import, export, the ORM and the API all read these lists, so a column added to the
contract is added once.
"""

from __future__ import annotations

CASE_FIELDS: tuple[str, ...] = (
    "case_id",
    "registration_date",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age",
    "age_estimated",
    "father_name",
    "mother_name",
    "caregiver_name",
    "language",
    "nationality",
    "ethnicity",
    "place_of_origin",
    "separation_place",
    "separation_date",
    "current_location",
    "identifiers",
    "consent_for_tracing",
    "status",
)

TRACE_FIELDS: tuple[str, ...] = (
    "trace_id",
    "request_id",
    "inquiry_date",
    "inquirer_name",
    "inquirer_relation",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "date_of_birth",
    "age_estimated",
    "age",
    "father_name",
    "mother_name",
    "language",
    "nationality",
    "ethnicity",
    "place_of_origin",
    "separation_place",
    "separation_date",
    "identifiers",
    "status",
)

MATCH_EXPORT_FIELDS: tuple[str, ...] = ("trace_id", "case_id", "rank", "score", "likelihood")

RECORD_STATUSES: frozenset[str] = frozenset({"open", "closed", "reunified"})
SEX_VALUES: dict[str, str] = {
    "female": "female",
    "f": "female",
    "male": "male",
    "m": "male",
    "unknown": "unknown",
    "u": "unknown",
}
LIKELIHOODS: tuple[str, ...] = ("likely", "possible")
VERDICTS: tuple[str, ...] = ("confirmed", "rejected", "unsure")
