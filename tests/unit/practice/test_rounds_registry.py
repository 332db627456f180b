"""The voice-slot registry names what holds a server's slot: a mock round or a peer group.

Both implementations of `VoiceSlots` answer alike: `RoundsRegistry` (one process) and
`SharedRoundsRegistry` (the slots held in the database, for several bot processes; here on the
test's sqlite file, and on Postgres in the scale run)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.practice.rounds_registry import (
    KIND_GROUP,
    KIND_MOCK,
    RoundAlreadyRunning,
    RoundsRegistry,
    SharedRoundsRegistry,
    TooBusy,
    VoiceSlots,
    voice_slots,
)
from bot.storage import Database
from bot.storage.shared import SharedSlots


@pytest.fixture(params=["in-process", "shared"])
async def make(request: pytest.FixtureRequest, db_target) -> AsyncIterator:
    """registry(per_guild, total) of the parametrised kind."""
    dbs: list[Database] = []

    async def registry(per_guild: int = 1, total: int = 2) -> VoiceSlots:
        settings = Settings.from_env({}, max_rounds_per_guild=per_guild, max_rounds_total=total)
        if request.param == "in-process":
            return RoundsRegistry(settings)
        db = Database(db_target)
        await db.open()
        dbs.append(db)
        async with db.transaction() as conn:  # one fresh cap per registry made
            await conn.execute("DELETE FROM round_slots")
        return SharedRoundsRegistry(settings, SharedSlots(db, max_per_guild=per_guild, max_total=total))

    yield registry
    for db in dbs:
        await db.close()


async def test_a_peer_group_holding_the_slot_is_named_as_such(make):
    reg = await make()
    held = await reg.claim(1, 100, channel_id=555, kind=KIND_GROUP)
    assert held.kind == KIND_GROUP
    with pytest.raises(RoundAlreadyRunning) as other:
        await reg.claim(1, 101, kind=KIND_MOCK)
    text = str(other.value)
    assert "peer group is already running" in text and "<#555>" in text and "mock round" not in text
    assert other.value.kind == KIND_GROUP and other.value.channel_id == 555
    with pytest.raises(RoundAlreadyRunning) as own:  # the group's owner tries a mock round
        await reg.claim(1, 100, kind=KIND_MOCK)
    assert "you already have a peer group" in str(own.value).lower() and "/group end" in str(own.value)
    await reg.release(held)
    assert (await reg.claim(1, 101, kind=KIND_MOCK)).kind == KIND_MOCK


async def test_a_mock_round_holding_the_slot_keeps_its_wording_and_is_the_default(make):
    reg = await make()
    held = await reg.claim(1, 100)
    assert held.kind == KIND_MOCK
    with pytest.raises(RoundAlreadyRunning, match="A mock round is already running in this server") as e:
        await reg.claim(1, 101, kind=KIND_GROUP)
    assert "peer group" not in str(e.value)
    with pytest.raises(RoundAlreadyRunning, match="already have a mock round"):
        await reg.claim(1, 100, kind=KIND_GROUP)


async def test_the_global_cap_counts_both_kinds(make):
    reg = await make(total=2)
    await reg.claim(1, 100, kind=KIND_MOCK)
    await reg.claim(2, 200, kind=KIND_GROUP)
    with pytest.raises(TooBusy, match="maximum of 2 mock rounds and peer groups"):
        await reg.claim(3, 300, kind=KIND_GROUP)
    one = await make(total=1)
    await one.claim(1, 100, kind=KIND_GROUP)
    with pytest.raises(TooBusy, match="maximum of 1 mock round or peer group"):
        await one.claim(2, 200)


async def test_release_is_idempotent_and_find_sees_the_attached_round(make):
    reg = await make(total=2)
    a = await reg.claim(1, 100)
    reg.attach(a, "round-a")
    assert reg.find(1).round == "round-a" and reg.find(1, 999) is None and len(reg) == 1
    await reg.release(a)
    await reg.release(a)
    assert reg.find(1) is None and len(reg) == 0
    await reg.claim(1, 101)


# ------------------------------------------------------------------ several processes


class Erasable:
    def __init__(self) -> None:
        self.forgot: list[int] = []

    async def erase_member(self, user_id: int) -> bool:
        self.forgot.append(user_id)
        return True


async def test_two_processes_share_the_caps_and_a_refusal_names_the_other_s_round(db_target):
    settings = Settings.from_env({}, max_rounds_per_guild=1, max_rounds_total=2)
    async with Database(db_target) as a, Database(db_target) as b:
        one, two = voice_slots(settings.with_(database_url="postgresql://x/y"), a), \
            voice_slots(settings.with_(database_url="postgresql://x/y"), b)
        assert isinstance(one, SharedRoundsRegistry) and isinstance(two, SharedRoundsRegistry)
        group = await one.claim(1, 100, channel_id=555, kind=KIND_GROUP)
        with pytest.raises(RoundAlreadyRunning) as e:  # the other process refuses, naming the group
            await two.claim(1, 101)
        assert "peer group is already running" in str(e.value) and "<#555>" in str(e.value)
        await two.claim(2, 200)
        with pytest.raises(TooBusy):
            await one.claim(3, 300)
        await one.release(group)
        await two.claim(1, 101)  # freed for every process at once


async def test_a_member_erased_in_another_process_is_forgotten_by_the_round_here(db_target):
    settings = Settings.from_env({}, max_rounds_per_guild=1, max_rounds_total=4)
    async with Database(db_target) as a, Database(db_target) as b:
        here = SharedRoundsRegistry(settings, SharedSlots(a, max_per_guild=1, max_total=4))
        there = SharedRoundsRegistry(settings, SharedSlots(b, max_per_guild=1, max_total=4))
        claim = await here.claim(1, 100)
        running = Erasable()
        here.attach(claim, running)
        mark = here.erasure_mark(100)
        assert await there.erase_member(100) == 0  # /privacy delete answered by the other process
        assert running.forgot == []
        assert await here.renew_once() == 1  # the renewal pass (every lease/4) sees it
        assert running.forgot == [100] and claim.owner_id is None and here.erased_since(100, mark)
        await here.renew_once()
        assert running.forgot == [100]  # once


async def test_a_group_member_erased_through_another_process_is_forgotten_at_once(db_target):
    """Not the owner of any slot, only a member of a group running here: the erasure committed by
    the other process reaches the group now (a notification), not at some later renewal."""
    if not str(db_target).startswith("postgresql"):
        pytest.skip("only Postgres is shared by several bot processes (sqlite: one process)")
    settings = Settings.from_env({}, max_rounds_per_guild=1, max_rounds_total=4)
    async with Database(db_target) as a, Database(db_target) as b:
        here = SharedRoundsRegistry(settings, SharedSlots(a, max_per_guild=1, max_total=4))
        there = SharedRoundsRegistry(settings, SharedSlots(b, max_per_guild=1, max_total=4))
        await here.start()
        try:
            assert here.erasures.listening
            group = Erasable()
            forgotten = asyncio.Event()
            real = group.erase_member

            async def erase_member(user_id: int) -> bool:
                ok = await real(user_id)
                forgotten.set()
                return ok
            group.erase_member = erase_member  # type: ignore[method-assign]
            here.attach(await here.claim(1, 100, channel_id=7, kind=KIND_GROUP), group)
            mark = here.erasure_mark(555)
            await there.erase_member(555)            # /privacy delete answered by the other process
            await asyncio.wait_for(forgotten.wait(), 5)
            assert group.forgot == [555] and here.erased_since(555, mark)
        finally:
            await here.stop()
        assert not here.erasures.listening


async def test_stop_frees_this_process_s_slots_for_the_others(db_target):
    settings = Settings.from_env({}, max_rounds_per_guild=1, max_rounds_total=1)
    async with Database(db_target) as a, Database(db_target) as b:
        here = SharedRoundsRegistry(settings, SharedSlots(a, max_per_guild=1, max_total=1))
        there = SharedRoundsRegistry(settings, SharedSlots(b, max_per_guild=1, max_total=1))
        await here.start()
        await here.claim(1, 100)
        with pytest.raises(TooBusy):
            await there.claim(2, 200)
        await here.stop()
        assert len(here) == 0
        await there.claim(2, 200)


def test_without_a_shared_database_the_registry_is_the_in_process_one(settings):
    assert type(voice_slots(settings, None)) is RoundsRegistry
