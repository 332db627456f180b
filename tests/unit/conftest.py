"""Storage fixtures: every unit test that takes `db` (or `db_target`) runs on both backends.

sqlite is the default run; the Postgres run (a real server from the system binaries, one per test
session, a fresh database per test) is marked `scale`: `make test-scale` (-m scale) runs it, and it
skips with the reason when asyncpg or the Postgres binaries are missing. `make test` skips it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.scale.postgres import PostgresServer, find_binaries

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.scale)]


def postgres_unavailable(config: pytest.Config) -> str | None:
    """Why the Postgres runs cannot or should not run now (None: they run)."""
    expr = str(config.getoption("markexpr") or "")
    if "scale" not in expr.replace("not scale", "") and not os.environ.get("PARLEY_TEST_POSTGRES"):
        return "the Postgres runs belong to make test-scale (-m scale; or set PARLEY_TEST_POSTGRES=1)"
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed: pip install -e '.[scale]' (make test-scale does)"
    if find_binaries() is None:
        return "Postgres is not installed (initdb/pg_ctl): scripts/install-system-deps.sh installs it"
    return None


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    reason = postgres_unavailable(request.config)
    if reason:
        pytest.skip(reason)
    server = PostgresServer().init()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
async def fresh_postgres(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new, empty database on the session's server, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = await postgres_server.create_database(name)
    yield url
    await postgres_server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def db_target(request: pytest.FixtureRequest, settings: Settings) -> Path | str:
    """What `Database(...)` opens: the test's sqlite file, or a fresh Postgres database's URL."""
    if request.param == "sqlite":
        return settings.database
    return str(request.getfixturevalue("fresh_postgres"))


@pytest.fixture
async def db(db_target: Path | str):
    from bot.storage import Database

    async with Database(db_target) as database:
        yield database
