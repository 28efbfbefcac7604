"""Users, passwords and tokens (stored only as hashes), the CLI, and the secret key rule."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from svc_world import settings_for

from case_store.db import transaction
from case_store.models import ApiToken, User
from service import auth, pipeline
from service.api import ConfigurationError, create_app

FTR = [sys.executable, "-c", "from service.cli import main; main()"]


def run_ftr(args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> Any:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FTR_")}
    environment.update(env or {})
    return subprocess.run(
        [*FTR, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_users_create_prints_the_token_last_and_stores_only_hashes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    password = "a long enough passphrase"
    done = run_ftr(
        ["--db", url, "users", "create", "olena", "--role", "supervisor", "--agency", "unhcr"],
        stdin=password + "\n",
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("ftr_") and len(token) > 40
    done = run_ftr(
        ["--db", url, "users", "create", "ivan", "--role", "tracing_officer", "--password-stdin"],
        stdin=password + "\n",
    )
    assert done.returncode == 0, done.stderr
    store = pipeline.Store.open(url)
    app = create_app(settings_for(url), store=store)
    client = TestClient(app)
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["role"], me["agency_id"]) == ("olena", "supervisor", "unhcr")
    with store.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("users", "api_tokens", "audit_events")
            for row in connection.execute(text(f"select * from {table}"))  # noqa: S608
        )
    assert token not in dump and password not in dump
    assert auth.token_digest(token) in dump
    with transaction(store.sessions) as session:
        ivan = session.scalar(select(User).where(User.username == "ivan"))
        assert ivan.password_hash.startswith("scrypt$")
        assert auth.verify_password(password, ivan.password_hash)
    store.engine.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (["users", "create", "x", "--role", "root"], "", "--role must be one of"),
        (["users", "create", "x", "--role", "admin", "--password-stdin"], "short\n", "12"),
        (["users", "create", "a b", "--role", "admin"], "", "without spaces"),
    ],
)
def test_users_create_refuses_bad_input_in_one_line(
    tmp_path, monkeypatch, capsys, args, stdin, words
) -> None:
    from service import cli

    monkeypatch.setattr(sys, "argv", ["ftr", "--db", f"sqlite:///{tmp_path / 'ftr.db'}", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    stderr = capsys.readouterr().err
    assert words in stderr and len(stderr.strip().splitlines()) == 1


def test_no_default_credentials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    store = pipeline.Store.open(url)
    with transaction(store.sessions) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    client = TestClient(create_app(settings_for(url), store=store))
    for guess in ("admin", "ftr_admin", "ftr_", "changeme"):
        answer = client.get("/v1/cases", headers={"Authorization": f"Bearer {guess}"})
        assert answer.status_code == 401
    store.engine.dispose()


def test_passwords_hash_with_salt_and_verify() -> None:
    first, second = auth.hash_password("same password!"), auth.hash_password("same password!")
    assert first != second
    assert auth.verify_password("same password!", first)
    assert not auth.verify_password("other password", first)
    assert not auth.verify_password("x", None)
    assert not auth.verify_password("x", "md5$abc")


def test_the_service_refuses_to_start_without_a_secret_outside_development(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    with pytest.raises(ConfigurationError, match="FTR_SECRET_KEY"):
        create_app(settings_for(url, secret_key=None, environment="production"))
    with pytest.raises(ConfigurationError, match="32 characters"):
        create_app(settings_for(url, secret_key="short", environment="production"))
    # Development makes an ephemeral key.
    assert create_app(settings_for(url, secret_key=None, environment="development"))
    done = run_ftr(["--db", url, "serve", "--port", "1"], env={"FTR_ENVIRONMENT": "production"})
    assert done.returncode == 1
    assert done.stderr.startswith("error: FTR_SECRET_KEY is not set")
