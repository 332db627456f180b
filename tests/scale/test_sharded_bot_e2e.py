"""A sharded bot process against the local Discord stand-in (tests/e2e/standin): with
PARLEY_SHARD_COUNT the real `python -m bot run` is discord.py's AutoShardedBot, identifies with
its shard, syncs its commands and runs a mock round like the single-connection bot; the round's
slot is held like any other (a second `/mock start` by the same member is refused)."""

from __future__ import annotations

import time

import pytest

from bot.bank import load_bank
from bot.config import PROJECT_ROOT
from tests.e2e.conftest import standin, start_bot  # noqa: F401 - the e2e fixtures
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.driver import start_mock_round

pytestmark = [pytest.mark.scale, pytest.mark.slow]

QUESTION_ID = "coding-merge-sensor-windows"
STARTUP_S = 180.0
STEP_S = 60.0


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("sam", in_voice=True)
    return w


async def test_a_sharded_bot_process_identifies_with_its_shard_and_runs_a_round(standin: DiscordStandIn,
                                                                                start_bot) -> None:
    sam = standin.world.members[0]
    question = load_bank(PROJECT_ROOT / "question_bank").get(QUESTION_ID)
    # one shard, run by this process (every shard here, so the default sqlite file is allowed)
    bot = await start_bot(PARLEY_QUESTIONS_PER_ROUND="1", PARLEY_SHARD_COUNT="1")
    await bot.guard(standin.events.wait_for("commands_synced", timeout=STARTUP_S, what="the bot's command sync"))
    await bot.guard(standin.gateway.wait_online(STEP_S))
    identify = standin.events.find("identify")
    assert identify and identify[-1].data.get("shard") == [0, 1], identify[-1].data
    assert "running shards 0 of 1 in this process" in bot.log_text()

    card, _ = await bot.guard(start_mock_round(standin, sam, question_id=QUESTION_ID, timeout=STEP_S))
    assert QUESTION_ID in card.text() or question.prompt[:40] in card.text()

    t0 = time.monotonic()
    interaction = await standin.gateway.slash_command(sam, "mock", "start", {"question": QUESTION_ID})
    refused = await bot.guard(standin.events.wait_for(
        "interaction_response", lambda d: d["interaction"]["id"] == interaction["id"], timeout=STEP_S,
        after=t0, what="the answer to a second /mock start"))
    assert "already have a mock round" in str(refused.data), refused.data
    assert bot.proc.returncode is None, bot.tail()
