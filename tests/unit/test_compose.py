"""compose.yaml (issue 16 item 4), checked without Docker: Postgres, Redis, N transcription workers
and M bot shard processes, each with a health check; the bots share the database and the broker,
and every shard of PARLEY_SHARD_COUNT runs in exactly one bot service."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent.parent


def _default(value: str) -> str:
    """What compose makes of `${VAR:-default}` with VAR unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return doc["services"]


def env(service: dict[str, Any]) -> dict[str, str]:
    return {k: _default(str(v)) for k, v in (service.get("environment") or {}).items()}


def test_every_service_has_a_health_check_and_the_stores_have_their_own(services):
    assert {"postgres", "redis", "worker"} <= set(services)
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])
    assert int(_default(str(services["worker"]["deploy"]["replicas"]))) >= 2  # N workers


def test_the_bot_shard_processes_share_one_database_and_cover_every_shard_once(services):
    bots = {name: svc for name, svc in services.items() if name.startswith("bot")}
    assert len(bots) >= 2  # M shard processes
    owned: list[int] = []
    for name, svc in bots.items():
        e = env(svc)
        assert e["PARLEY_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in e["PARLEY_DATABASE_URL"]
        assert e["PARLEY_TRANSCRIBE_URL"].startswith("redis://redis:")
        s = Settings.from_env(e)  # the settings the process will start with are valid
        assert s.shards is not None, f"{name} is not sharded"
        owned += list(s.shards)
        assert s.shard_count == int(e["PARLEY_SHARD_COUNT"])
        deps = svc["depends_on"]
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy"
        health = " ".join(svc["healthcheck"]["test"])
        assert "PARLEY_DATABASE_URL" in health and "PARLEY_TRANSCRIBE_URL" in health
    counts = {int(env(svc)["PARLEY_SHARD_COUNT"]) for svc in bots.values()}
    assert len(counts) == 1, "every bot service must agree on PARLEY_SHARD_COUNT"
    assert sorted(owned) == list(range(counts.pop())), "each shard must run in exactly one process"


def test_the_workers_and_the_bots_use_the_same_broker(services):
    worker_url = env(services["worker"])["PARLEY_TRANSCRIBE_URL"]
    assert all(env(svc)["PARLEY_TRANSCRIBE_URL"] == worker_url for n, svc in services.items() if n.startswith("bot"))
