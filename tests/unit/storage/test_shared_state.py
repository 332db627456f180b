"""State several bot processes share through the database (bot/storage/shared.py): the round cap
and the rate limits. Two `Database` connections stand for two processes; on Postgres (the `scale`
run) they are two server sessions, on sqlite two connections to one file."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import Database
from bot.storage.shared import SharedRateLimiter, SharedSlots, SlotsFull, SlotTaken, forget_member
from tests.fakes import StepClock


@pytest.fixture
async def two(db_target):
    async with Database(db_target) as a, Database(db_target) as b:
        yield a, b


async def test_the_round_cap_holds_across_processes(two):
    a, b = two
    one = SharedSlots(a, max_per_guild=1, max_total=2, holder="p1")
    other = SharedSlots(b, max_per_guild=1, max_total=2, holder="p2")
    s1 = await one.claim(10, 100, channel_id=5, kind="group")
    with pytest.raises(SlotTaken) as same_server:
        await other.claim(10, 200, kind="mock")
    assert not same_server.value.same_user and same_server.value.kind == "group"
    assert (same_server.value.owner_id, same_server.value.channel_id) == (100, 5)
    with pytest.raises(SlotTaken) as same_member:
        await other.claim(10, 100)
    assert same_member.value.same_user
    await other.claim(11, 200)
    with pytest.raises(SlotsFull) as full:
        await one.claim(12, 300)
    assert full.value.limit == 2
    await other.release(s1)  # not its slot: nothing happens
    assert len(await one.running()) == 2
    await one.release(s1)
    await one.release(s1)  # idempotent
    assert [s.guild_id for s in await other.running()] == [11]
    await other.claim(10, 200)


async def test_claims_at_the_same_moment_never_exceed_the_cap(two):
    a, b = two
    slots = [SharedSlots(d, max_per_guild=1, max_total=3, holder=f"p{i}") for i, d in enumerate((a, b))]
    results = await asyncio.gather(*(slots[g % 2].claim(g, 1000 + g) for g in range(8)), return_exceptions=True)
    taken = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(taken) == 3 and all(isinstance(r, SlotsFull) for r in refused), results
    assert len(await slots[0].running()) == 3


async def test_a_dead_process_s_slots_expire_and_a_live_one_renews_its_own(two):
    a, b = two
    clock = StepClock(1_000_000.0)
    dead = SharedSlots(a, max_per_guild=1, max_total=4, lease_s=60, holder="dead", clock=clock)
    live = SharedSlots(b, max_per_guild=1, max_total=4, lease_s=60, holder="live", clock=clock)
    await dead.claim(1, 10)
    await live.claim(2, 20)
    clock.t += 45
    assert await live.renew() == 1  # the live process renews; the dead one does not
    clock.t += 30  # 75 s after the claims: the dead process's lease ran out, the live one's did not
    await live.claim(1, 30)  # its server is free again
    with pytest.raises(SlotTaken):
        await dead.claim(2, 40)
    assert sorted(s.guild_id for s in await live.running()) == [1, 2]


async def test_a_rate_limit_counts_every_process_s_hits(two):
    a, b = two
    clock = StepClock(1_000_000.0)
    limiters = [SharedRateLimiter(d, "commands", limit=3, window_s=60, clock=clock) for d in (a, b)]
    assert [await limiters[i % 2].hit(7) for i in range(3)] == [0.0, 0.0, 0.0]
    clock.t += 20
    assert await limiters[1].hit(7) == pytest.approx(40.0)  # the 4th within a minute, whichever process
    assert await limiters[0].hit(8) == 0.0  # another member has their own count
    assert await SharedRateLimiter(a, "uploads", limit=1, window_s=3600, clock=clock).hit(7) == 0.0  # another scope
    clock.t += 41
    assert await limiters[0].hit(7) == 0.0
    clock.t += 60
    assert await limiters[0].prune() == 2  # member 7's last hit and member 8's (the uploads scope keeps its own)


async def test_hits_at_the_same_moment_let_exactly_the_limit_through(two):
    a, b = two
    clock = StepClock(1_000_000.0)
    limiters = [SharedRateLimiter(d, "uploads", limit=5, window_s=3600, clock=clock) for d in (a, b)]
    waits = await asyncio.gather(*(limiters[i % 2].hit(9) for i in range(12)))
    assert sum(1 for w in waits if w == 0.0) == 5 and all(w > 0 for w in waits if w != 0.0)


async def test_erasure_clears_the_member_from_the_shared_state(two):
    a, b = two
    clock = StepClock(1_000_000.0)
    slots = SharedSlots(a, max_per_guild=1, max_total=4, holder="p1", clock=clock)
    await slots.claim(1, 77)
    await SharedRateLimiter(a, "commands", limit=1, window_s=60, clock=clock).hit(77)
    await forget_member(b, 77)
    assert [s.owner_id for s in await slots.running()] == [None]
    assert await SharedRateLimiter(b, "commands", limit=1, window_s=60, clock=clock).hit(77) == 0.0
