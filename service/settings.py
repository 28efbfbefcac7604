"""All configuration, in one pydantic-settings class.

Values come from `FTR_*` environment variables (or a `.env` file); the CLI's
`--db` overrides the database URL. Settings are passed to what needs them, never
read from a module global, so tests build their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scoring.engine import Thresholds

_DEFAULT = Thresholds()

DEFAULT_DATABASE_URL = "sqlite:///ftr.db"


class Settings(BaseSettings):
    """Service configuration; see the README's Configuration section."""

    model_config = SettingsConfigDict(env_prefix="FTR_", env_file=".env", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the case store; default ./ftr.db (SQLite).",
    )
    environment: str = Field("production", description="`development` relaxes secret checks.")
    index_dir: Path | None = Field(
        None, description="Where persisted indexes live; default beside the SQLite file."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs the review pages' session cookies. Required unless "
        "`environment` is `development`, where a random one is made at each start.",
    )
    cookie_secure: bool | None = Field(
        None,
        description="Send the session cookie over HTTPS only; default: outside development.",
    )
    session_hours: float = Field(8.0, gt=0, le=24 * 30, description="Login lifetime.")
    rescore_on_change: bool = Field(
        True,
        description="Re-score in the background after a record or decision changes "
        "(off for bulk loads that end with `ftr rescore`).",
    )

    # The decision thresholds (`scoring.engine.Thresholds`): a deployment's choice
    # between `likely` precision and recall, documented with its measured effect in
    # the README. A change applies to every proposal at the next re-score, which is
    # then a full one (an incremental run would leave the others labelled the old way).
    likely_threshold: float = Field(
        _DEFAULT.likely,
        gt=0,
        le=1,
        description="Probability among a trace's candidates at which a proposal is `likely`.",
    )
    alone_threshold: float = Field(
        _DEFAULT.alone,
        gt=0,
        le=1,
        description="The pair's own probability, before competition, that `likely` also needs.",
    )
    uncorroborated_threshold: float = Field(
        _DEFAULT.uncorroborated,
        gt=0,
        le=1,
        description=(
            "The pair's own probability that `likely` needs where nothing agrees beyond "
            "what a namesake would share (name, age, place)."
        ),
    )
    possible_threshold: float = Field(
        _DEFAULT.possible,
        gt=0,
        lt=1,
        description="Probability at which a candidate is proposed at all (`possible`).",
    )

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Settings:
        if self.possible_threshold >= self.likely_threshold:
            raise ValueError(
                f"FTR_POSSIBLE_THRESHOLD ({self.possible_threshold}) must be below "
                f"FTR_LIKELY_THRESHOLD ({self.likely_threshold})"
            )
        return self

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            likely=self.likely_threshold,
            possible=self.possible_threshold,
            alone=self.alone_threshold,
            uncorroborated=self.uncorroborated_threshold,
        )

    @property
    def is_development(self) -> bool:
        return self.environment.strip().lower() == "development"


class SettingsError(ValueError):
    """Configuration that cannot be used, each problem named by its variable."""


def load_settings(**overrides: Any) -> Settings:
    """`Settings()` from the environment, its validation errors as one `SettingsError`
    naming each `FTR_*` variable at fault and what it held (pydantic's own message
    names the field and the Python location instead)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            if not where:  # a rule between settings, whose message names them
                problems.append(message)
                continue
            given = error.get("input")
            held = "" if isinstance(given, dict) else f" (given {given!r})"
            problems.append(f"FTR_{where}: {message}{held}")
        raise SettingsError("; ".join(problems)) from exc
