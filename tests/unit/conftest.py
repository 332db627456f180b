"""Storage fixtures: every unit test that takes `db` (or `db_target`) runs on both backends.

sqlite is the default run; the Postgres run (a real server from the system binaries, one per test
session, a fresh database per test) is marked `scale`: `make test-scale` (-m scale) runs it, and it
skips with the reason when asyncpg or the Postgres binaries are missing. `make test` skips it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from tests.scale.pg_fixtures import fresh_postgres, postgres_server  # noqa: F401 - fixtures

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.scale)]


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
