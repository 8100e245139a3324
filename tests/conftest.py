"""Shared fixtures: every storage and store test runs on the embedded default and on the real
PostgreSQL (127.0.0.1:5432, database `test`, trust auth) and Redis (127.0.0.1:6379) servers."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import make_engine, upgrade
from bot.records.models import Base
from bot.settings import Settings

PG_ADMIN_URL = os.environ.get("NONGBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NONGBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# CI starts PostgreSQL, Redis and Chromium (.ci/run): there a missing one fails the run. On a newcomer's
# machine without them their tests are skipped, and one line at the end says how to run them.
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
HOW_TO_RUN = ("start PostgreSQL (127.0.0.1:5432, database `test`, trust) and Redis (127.0.0.1:6379) and install "
              "Debian's chromium, or run .ci/run, to run them")
_missing: dict[str, str] = {}


def service_missing(what: str, detail: str) -> None:
    """Fail in CI; elsewhere skip this test (and remember the service for the summary line)."""
    if IN_CI:
        pytest.fail(f"{what} is needed for these tests ({detail}); .ci/run starts it")
    _missing[what] = detail
    pytest.skip(f"{what} not available here: {HOW_TO_RUN}")


def pytest_terminal_summary(terminalreporter) -> None:
    if _missing:
        terminalreporter.write_line(f"Skipped the tests needing {', '.join(sorted(_missing))}: {HOW_TO_RUN}.")


def _pg_url_for(db_name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name


@contextmanager
def fresh_pg_database(prefix: str = "nongbot_t") -> Iterator[str]:
    """The URL of a new PostgreSQL database, migrated with Alembic, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        service_missing("PostgreSQL", f"{PG_ADMIN_URL}: {str(exc).splitlines()[0]}")
    url = _pg_url_for(name)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test run."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'nongbot.db'}"
    upgrade(url)
    return url


_engines: dict[str, object] = {}


def _engine_for(url: str):
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def _wipe(engine) -> None:
    with engine.begin() as conn:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """The URL of a migrated, empty database: the embedded SQLite and the real PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    _wipe(_engine_for(url))
    return url


@pytest.fixture
def engine(database_url):
    return _engine_for(database_url)


@pytest.fixture
def sqlite_engine(sqlite_url):
    eng = _engine_for(sqlite_url)
    _wipe(eng)
    return eng


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, engine):
    """A Store on both backends: the embedded one in the database, and Redis (isolated by prefix)."""
    if request.param == "embedded":
        from bot.store.sql import SqlStore

        yield SqlStore(engine)
        return
    from bot.store.redis import RedisStore

    prefix = f"nongbot-test:{uuid.uuid4().hex[:8]}:"
    st = RedisStore.from_url(request.getfixturevalue("redis_url"), prefix=prefix)
    yield st
    st.clear_prefix()


@pytest.fixture
def make_settings(tmp_path):
    """Settings for a test deployment; keyword arguments override fields."""

    def build(**overrides) -> Settings:
        base = dict(database_url=f"sqlite:///{tmp_path / 'app.db'}", wechat_token="test-token",
                    wechat_appid="wx1234567890abcdef", secret_key="test-secret-key")
        base.update(overrides)
        return Settings(**base)

    return build


from tests.fakes.plugin import *  # noqa: E402,F401,F403 - shared fakes (fake WeChat API) as fixtures

REPO = Path(__file__).resolve().parent.parent
