"""All configuration, in one pydantic-settings class.

Values come from `FTR_*` environment variables (or a `.env` file); the CLI's
`--db` overrides the database URL. Settings are passed to what needs them, never
read from a module global, so tests build their own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @property
    def is_development(self) -> bool:
        return self.environment.strip().lower() == "development"
