"""Real Redis and real Celery worker processes for the scale tests (tests/scale/cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.cluster import RedisServer, Worker
from tests.scale.pg_fixtures import fresh_postgres, postgres_server  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workers(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Worker]]:
    """Two workers on db 0 of the module's Redis."""
    folder = tmp_path_factory.mktemp("workers")
    ws = [Worker(redis_server.url(0), f"w{i}", folder / f"w{i}.log") for i in range(2)]
    try:
        for w in ws:
            w.wait_ready()
        yield ws
    finally:
        for w in ws:
            w.stop()
