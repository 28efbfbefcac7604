"""Validation of incoming records against the contract.

Every value is kept as it was written (after trimming the surrounding whitespace
that CSV editors leave behind); validation only decides whether a row may enter the
store and says, column by column, why not. Parsing into dates and numbers happens
again where the values are used, so what a caseworker sees is what was recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from case_store.fields import CASE_FIELDS, RECORD_STATUSES, SEX_VALUES, TRACE_FIELDS

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def parse_date(value: str | None) -> dt.date | None:
    """An ISO 8601 date (a datetime is cut to its date); None when empty."""
    if not value:
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).date()


def parse_bool(value: str | None) -> bool | None:
    """`true`/`false` (and yes/no, 1/0, any case); None when empty."""
    if value is None or value == "":
        return None
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def parse_age(value: str | None) -> int | None:
    """Whole years; a whole-valued decimal such as `7.0` is accepted."""
    if value is None or value == "":
        return None
    number = float(value)
    if number != int(number):
        raise ValueError(f"age must be whole years, got {value!r}")
    if not 0 <= number <= 130:
        raise ValueError(f"age out of range: {value!r}")
    return int(number)


def parse_status(value: str | None) -> str:
    """`open` when empty, else one of open/closed/reunified (any case)."""
    if not value:
        return "open"
    low = value.strip().lower()
    if low not in RECORD_STATUSES:
        raise ValueError(f"status must be open, closed or reunified, got {value!r}")
    return low


def parse_sex(value: str | None) -> str | None:
    """female/male/unknown (or f/m/u, any case); None when empty."""
    if not value:
        return None
    low = value.strip().lower()
    if low not in SEX_VALUES:
        raise ValueError(f"sex must be female, male or unknown (f/m/u), got {value!r}")
    return SEX_VALUES[low]


def _as_text(value: Any) -> str | None:
    """JSON Lines may carry numbers, booleans and lists: store them as CSV would."""
    if type(value) is str:  # the common case first: imports call this 20 times a row
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value if v is not None and str(v) != "") or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


class _Record(BaseModel):
    """Shared checks of cases and traces; all fields are verbatim text."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    id_field: ClassVar[str]
    date_field: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    given_name: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    age: str | None = None
    age_estimated: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    language: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    place_of_origin: str | None = None
    separation_place: str | None = None
    separation_date: str | None = None
    identifiers: str | None = None
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: _as_text(v) for k, v in data.items() if isinstance(k, str)}
        return data

    @field_validator("date_of_birth", "separation_date")
    @classmethod
    def _optional_date(cls, value: str | None) -> str | None:
        try:
            parse_date(value)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc
        return value

    @field_validator("age")
    @classmethod
    def _age(cls, value: str | None) -> str | None:
        try:
            parse_age(value)
        except ValueError as exc:
            reason = str(exc) if "age" in str(exc) else f"age is not a number: {value!r}"
            raise ValueError(reason) from exc
        return value

    @field_validator("age_estimated")
    @classmethod
    def _estimated(cls, value: str | None) -> str | None:
        parse_bool(value)
        return value

    @field_validator("sex")
    @classmethod
    def _sex(cls, value: str | None) -> str | None:
        parse_sex(value)
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        parse_status(value)
        return value

    @property
    def record_id(self) -> str:
        return str(getattr(self, self.id_field))

    def values(self) -> dict[str, str | None]:
        """The contract's columns, verbatim, in contract order."""
        return {name: getattr(self, name) for name in self.fields}


def _required_date(value: str | None, column: str) -> str:
    if not value:
        raise ValueError(f"{column} is required")
    try:
        parse_date(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc
    return value


class CaseRecord(_Record):
    """A registered child, as the contract's case row."""

    id_field = "case_id"
    date_field = "registration_date"
    fields = CASE_FIELDS

    case_id: str
    registration_date: str | None = None
    caregiver_name: str | None = None
    current_location: str | None = None
    consent_for_tracing: str | None = None

    @field_validator("registration_date")
    @classmethod
    def _registration(cls, value: str | None) -> str:
        return _required_date(value, "registration_date")

    @field_validator("consent_for_tracing")
    @classmethod
    def _consent(cls, value: str | None) -> str | None:
        parse_bool(value)
        return value

    @model_validator(mode="after")
    def _required(self) -> CaseRecord:
        if self.registration_date is None:
            raise ValueError("registration_date is required")
        return self

    @property
    def proposable(self) -> bool:
        """Open and not refused consent: the only cases ever proposed."""
        consent = parse_bool(self.consent_for_tracing)
        return parse_status(self.status) == "open" and consent is not False


class TraceRecord(_Record):
    """One child sought by a tracing request, as the contract's trace row."""

    id_field = "trace_id"
    date_field = "inquiry_date"
    fields = TRACE_FIELDS

    trace_id: str
    request_id: str | None = None
    inquiry_date: str | None = None
    inquirer_name: str | None = None
    inquirer_relation: str | None = None

    @field_validator("inquiry_date")
    @classmethod
    def _inquiry(cls, value: str | None) -> str:
        return _required_date(value, "inquiry_date")

    @model_validator(mode="after")
    def _required(self) -> TraceRecord:
        if self.inquiry_date is None:
            raise ValueError("inquiry_date is required")
        return self

    @property
    def proposable(self) -> bool:
        """Only open traces get proposals."""
        return parse_status(self.status) == "open"


RecordType = type[CaseRecord] | type[TraceRecord]


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(column, reason) pairs from a pydantic error, worded for a caseworker."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        column = ".".join(str(p) for p in err["loc"]) or "(row)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required value is missing"
        problems.append((column, message))
    return problems
