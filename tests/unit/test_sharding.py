"""Sharded bot processes (issue 16 item 3): the settings, Discord's shard formula, which client a
process runs, which servers' daily pushes it schedules, and the per-member limits shared by every
process through the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.config import ConfigError, Settings
from bot.discord_io.daily_scheduler import DiscordPushPoster
from bot.discord_io.guards import CommandGuard, LocalHits, UploadGuard
from bot.sharding import ShardSet, shard_of
from bot.storage import Database
from bot.storage.shared import SharedRateLimiter
from tests.fakes import RecordingPoster, UtcClock
from tests.unit.practice.schedule_helpers import service


def guild_on_shard(shard: int, count: int, n: int = 0) -> int:
    """A snowflake whose shard is `shard` (the timestamp bits above bit 22 pick it)."""
    return ((1_000 * count + shard + n * count) << 22) | 12345


def test_settings_parse_shards_and_refuse_what_cannot_work():
    assert Settings.from_env({}).shards is None  # the default: one process, not sharded
    shared = {"PARLEY_DATABASE_URL": "postgresql://parley@db/parley"}
    s = Settings.from_env({"PARLEY_SHARD_COUNT": "4", "PARLEY_SHARD_IDS": "2, 0", **shared})
    assert (s.shard_count, s.shards) == (4, (0, 2))
    assert Settings.from_env({"PARLEY_SHARD_COUNT": "2"}).shards == (0, 1)  # every shard in this process
    assert Settings.from_env({"PARLEY_SHARD_COUNT": "2", "PARLEY_SHARD_IDS": "1,0"}).shards == (0, 1)  # all: sqlite is fine
    for env, words in (({"PARLEY_SHARD_IDS": "0"}, "needs PARLEY_SHARD_COUNT"),
                       ({"PARLEY_SHARD_COUNT": "2", "PARLEY_SHARD_IDS": "2", **shared}, "from 0 to 1"),
                       ({"PARLEY_SHARD_COUNT": "2", "PARLEY_SHARD_IDS": "one"}, "separated by commas"),
                       ({"PARLEY_SHARD_COUNT": "2", "PARLEY_SHARD_IDS": "1"}, "set PARLEY_DATABASE_URL"),
                       ({"PARLEY_SHARD_COUNT": "-1"}, "PARLEY_SHARD_COUNT")):
        with pytest.raises(ConfigError, match=words):
            Settings.from_env(env)


def test_the_shard_of_a_server_is_discord_s_formula():
    assert shard_of(81384788765712384, 1) == 0
    assert shard_of(81384788765712384, 2) == (81384788765712384 >> 22) % 2
    for shard in range(3):
        assert shard_of(guild_on_shard(shard, 3), 3) == shard
    evens, odds = ShardSet.of(2, [0]), ShardSet.of(2, [1])
    gids = [guild_on_shard(i % 2, 2, n=i) for i in range(10)]
    assert all(evens.owns(g) != odds.owns(g) for g in gids)  # every server has exactly one owner
    assert all(ShardSet.of(None, None).owns(g) for g in gids)  # unsharded: owns everything


async def test_the_process_runs_an_auto_sharded_client_only_when_sharded(settings):
    from bot.discord_io.client import ParleyBot, ShardedParleyBot, make_bot
    from bot.services import Services

    services = await Services.create(settings, load_model=False)
    try:
        plain = make_bot(services)
        assert type(plain) is ParleyBot and not isinstance(plain, discord.AutoShardedClient)
        assert plain.shard_count is None
        sharded_settings = settings.with_(shard_count=4, shard_ids="1,3")
        services.settings = sharded_settings
        sharded = make_bot(services)
        assert isinstance(sharded, ShardedParleyBot) and isinstance(sharded, discord.AutoShardedClient)
        assert (sharded.shard_count, sharded.shard_ids) == (4, [1, 3])
        assert sharded.rounds is not None and sharded.command_guard is not None  # ParleyBot's own set-up
    finally:
        await services.close()


async def test_a_sharded_process_schedules_only_its_own_servers_pushes(settings, db):
    clock = UtcClock(datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    svc = service(settings, db, clock)
    mine, theirs = guild_on_shard(1, 2), guild_on_shard(0, 2)
    for gid in (mine, theirs):
        await svc.setup(gid, 10, "09:00", "Europe/Berlin")
    owner = DiscordPushPoster(discord.Client(intents=discord.Intents.none()),
                              settings.with_(shard_count=2, shard_ids="1"))
    assert owner.owns(mine) and not owner.owns(theirs)
    unsharded = DiscordPushPoster(discord.Client(intents=discord.Intents.none()), settings)
    assert unsharded.owns(mine) and unsharded.owns(theirs)
    poster = RecordingPoster(clock)
    clock.advance(seconds=timedelta(hours=14).total_seconds())  # 10:00 in Berlin on July 1
    report = await svc.tick(poster, owns=owner.owns)
    assert [p.guild_id for p in report.posted] == [mine]
    report = await svc.tick(poster)  # the process owning the other shard (here: no filter) posts it
    assert [p.guild_id for p in report.posted] == [theirs]


class Interaction:
    """The two attributes the guard reads (user id, type) and a response it can answer on."""

    def __init__(self, user_id: int) -> None:
        self.type = discord.InteractionType.application_command
        self.user = discord.Object(user_id)
        self.sent: list[str] = []
        self.response = self

    def is_done(self) -> bool:
        return False

    async def send_message(self, content: str, **_: object) -> None:
        self.sent.append(content)

    data = None
    message = None


async def test_limits_are_counted_once_for_a_member_across_processes(db_target):
    now = [1_000_000.0]
    async with Database(db_target) as a, Database(db_target) as b:
        one, two = (CommandGuard(3, clock=lambda: now[0], db=d) for d in (a, b))
        assert isinstance(one.hits, SharedRateLimiter)
        results = []
        for guard in (one, two, one, two):  # the member's presses reach both processes
            results.append(await guard.check(Interaction(7)))  # type: ignore[arg-type]
        assert results == [True, True, True, False]
        assert await two.check(Interaction(8))  # type: ignore[arg-type]  # another member is not affected
        up_a, up_b = (UploadGuard(1, clock=lambda: now[0], db=d) for d in (a, b))
        assert await up_a.wait(7) == 0.0 and await up_b.wait(7) > 3500
        now[0] += 3600
        assert await up_b.wait(7) == 0.0


def test_without_a_shared_database_the_limits_are_counted_in_this_process():
    assert isinstance(CommandGuard(3).hits, LocalHits) and isinstance(UploadGuard(3).hits, LocalHits)
