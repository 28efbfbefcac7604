"""All configuration, in one pydantic-settings class.

Values come from `FTR_*` environment variables (or a `.env` file); the CLI's
`--db` overrides the database URL. Settings are passed to what needs them, never
read from a module global, so tests build their own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    candidates_per_trace: int = Field(200, ge=10, le=2000)
    matches_per_trace: int = Field(10, ge=1, le=100)
