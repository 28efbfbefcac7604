"""Explanations: every proposal carries the evidence that made it.

For each feature: the values on both sides as they were recorded, the comparator's
verdict and its match weight in bits. Weights add up, with the prior, to the score's
log-odds, which is what the review page draws as a waterfall.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from matching.normalize import is_placeholder_name, is_teknonym
from scoring.features import FEATURES

Record = Mapping[str, str | None]


def _join(*values: str | None) -> str:
    return " | ".join(v for v in values if v)


def _birth(record: Record, date_key: str) -> str:
    parts: list[str] = []
    if record.get("date_of_birth"):
        parts.append(f"born {record['date_of_birth']}")
    if record.get("age"):
        parts.append(f"age {record['age']} on {record.get(date_key) or '?'}")
    if parts and str(record.get("age_estimated") or "").lower() in ("true", "yes", "1", "t"):
        parts.append("(estimated)")
    return " ".join(parts)


def side_values(record: Record, is_case: bool) -> dict[str, str]:
    """The recorded values each feature compares, for display beside its verdict."""
    date_key = "registration_date" if is_case else "inquiry_date"
    full = _join(record.get("given_name"), record.get("family_name"), record.get("other_names"))
    if is_case:
        inquirer = _join(record.get("caregiver_name"))
        mother = _join(record.get("mother_name"), record.get("caregiver_name"))
        father = _join(record.get("father_name"), record.get("caregiver_name"))
    else:
        relation = record.get("inquirer_relation")
        name = record.get("inquirer_name")
        inquirer = f"{name} ({relation})" if name and relation else (name or "")
        mother = _join(record.get("mother_name"))
        father = _join(record.get("father_name"))
        if relation == "mother" and not mother:
            mother = name or ""
        if relation == "father" and not father:
            father = name or ""
    return {
        "given_name": full
        if is_case
        else _join(record.get("given_name"), record.get("other_names")),
        "family_name": full if is_case else _join(record.get("family_name")),
        "birth": _birth(record, date_key),
        "sex": record.get("sex") or "",
        "mother": mother,
        "father": father,
        "inquirer": inquirer,
        "origin": record.get("place_of_origin") or "",
        "separation_place": record.get("separation_place") or "",
        "documents": record.get("identifiers") or "",
        "contacts": record.get("identifiers") or "",
        "background": _join(
            record.get("language"), record.get("nationality"), record.get("ethnicity")
        ),
        "separation_date": record.get("separation_date") or "",
        "record_dates": record.get(date_key) or "",
        "chronology": _join(
            f"{'registered' if is_case else 'asked'} {record.get(date_key) or '?'}",
            f"separated {record['separation_date']}" if record.get("separation_date") else None,
        ),
    }


_FEATURES = tuple((i, f.name, f.label, f.levels) for i, f in enumerate(FEATURES))
# features left uncompared on purpose though both sides hold a value: what to say
_NOT_COMPARED = {
    "record_dates": "not compared: a date of separation says more",
    # `features._no_family_name`, `features._family_names_from_the_chain`
    "family_name": "neutral: the case has no family name of its own, or each record "
    "took it from the other's father's names",
}
# a parent's name that names no one (`features.compare_family`, `encode._name_reader`)
_NO_PARENT_NAME = "neutral: a teknonym (Abu Hassan, Umm Ahmad) or a name not known"


def _unknown(name: str, trace_value: str, case_value: str) -> str:
    """The verdict of a feature with no level."""
    if trace_value and case_value and name in _NOT_COMPARED:
        return _NOT_COMPARED[name]
    if name in ("mother", "father") and trace_value and case_value:
        parts = trace_value.split(" | ") + case_value.split(" | ")
        if any(is_teknonym(p) or is_placeholder_name(p) for p in parts):
            return _NO_PARENT_NAME
    return "missing (neutral)"


def explain(
    trace: Record,
    case: Record,
    levels: np.ndarray,
    weights: np.ndarray,
    prior_bits: float,
    competition_bits: float = 0.0,
    relatives_bits: float = 0.0,
    *,
    sides: tuple[dict[str, str], dict[str, str]] | None = None,
    together: tuple[float, str] = (0.0, ""),
    held: str = "",
) -> list[dict[str, Any]]:
    """The evidence list of one pair: the prior, one entry per feature, then how the
    trace's other candidates (a sibling as like the child sought) change the odds.

    `sides` are `side_values` of the trace and the case when the caller has them: a
    re-score explains each trace up to ten times and a case often more, and working
    them out again per proposal was a fifth of explaining. `together` is what the
    pair loses because the case is likelier another child of the same tracing request
    (bits, and that child's trace id: `Matcher._sought_together`). `held` says why a
    pair whose score reaches `likely` is proposed as `possible` only (`Matcher._held`).
    """
    if sides is None:
        sides = side_values(trace, is_case=False), side_values(case, is_case=True)
    t_values, c_values = sides
    level_list = levels.tolist()
    weight_list = weights.tolist()
    evidence: list[dict[str, Any]] = [
        {
            "feature": "prior",
            "label": "Prior odds",
            "trace": "",
            "case": "",
            "level": None,
            "verdict": "before any evidence",
            "weight": round(prior_bits, 3),
        }
    ]
    for i, name, label, verdicts in _FEATURES:
        level = level_list[i]
        evidence.append(
            {
                "feature": name,
                "label": label,
                "trace": t_values[name],
                "case": c_values[name],
                "level": level if level >= 0 else None,
                "verdict": verdicts[level]
                if level >= 0
                else _unknown(name, t_values[name], c_values[name]),
                "weight": round(weight_list[i], 3),
            }
        )
    evidence.append(
        {
            "feature": "relatives",
            "label": "Could be a relative",
            "trace": "",
            "case": "",
            "level": None,
            "verdict": "a sibling or cousin would explain part",
            "weight": round(relatives_bits, 3),
        }
    )
    together_bits, other_trace = together
    claimed = together_bits <= -0.01 and other_trace
    evidence.append(
        {
            "feature": "same_request",
            "label": "Another child of the request",
            "trace": other_trace if claimed else "",
            "case": "",
            "level": None,
            "verdict": f"the case is likelier the child of trace {other_trace}"
            if claimed
            else "no other child of the request claims this case",
            "weight": round(together_bits, 3),
        }
    )
    evidence.append(
        {
            "feature": "other_candidates",
            "label": "Other candidates",
            "trace": "",
            "case": "",
            "level": None,
            "verdict": "against the trace's other candidates",
            "weight": round(competition_bits, 3),
        }
    )
    if held:
        # a rule, not a weight: it adds nothing to the odds
        evidence.append(
            {
                "feature": "held",
                "label": "Why not likely",
                "trace": "",
                "case": "",
                "level": None,
                "verdict": held,
                "weight": 0.0,
            }
        )
    return evidence
