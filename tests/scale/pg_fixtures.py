"""pytest fixtures for a real Postgres (tests/scale/postgres.py): one server per test session, a
fresh database per test. Imported by tests/unit/conftest.py and tests/scale/conftest.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.scale.postgres import PostgresServer, find_binaries


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
    postgres_server.ensure_running()  # a test that stopped the server gives it back running
    await postgres_server.drop_database(name)
