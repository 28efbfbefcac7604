"""Alembic environment: runs on the engine the caller hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from case_store.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = context.config.attributes.get("engine")
    if engine is None:
        from case_store.db import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations_online()
