"""`ParleyBot.close()` leaves voice in bounded time and never asks to leave twice.

discord.py's own leave (`VoiceClient.disconnect`) waits up to its voice timeout for Discord's
VOICE_STATE_UPDATE confirming it. After Ctrl-C nothing reads the gateway any more, so that
confirmation never comes; `Client.close()` would wait that long for every voice client. The voice
clients here are `MockVoiceClient`s (spec'd on VoiceRecvClient) whose `disconnect` behaves like
discord.py's: marked disconnected at once, then waiting for a confirmation the test controls, and
swallowing a cancellation of that wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.bank import load_bank
from bot.discord_io.client import ParleyBot
from bot.practice.engine import PracticeEngine
from bot.services import Services
from bot.speech.stt import Transcriber
from bot.speech.tts import Speaker
from tests.discord.helpers import MockVoiceClient, next_id

BOUND_S = 0.05        # the bot's leave bound in these tests
NEVER_S = 10.0        # "would hang": far above the bound, far below discord.py's 20-30 s


@pytest.fixture
async def bot(settings, db):
    bank = load_bank(settings.bank_dir)
    transcriber = Transcriber(settings)  # never loaded: nothing is transcribed here
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
    b = ParleyBot(Services(settings, db, bank, transcriber, Speaker(settings), engine), extensions=())
    b.voice_leave_timeout_s = BOUND_S
    yield b
    if not b.is_closed():
        await b.close()


async def close_within(bot: ParleyBot, seconds: float, *, release: asyncio.Event) -> None:
    """Close the bot; fail (instead of hanging) when that takes longer than `seconds`."""
    closing = asyncio.create_task(bot.close())
    done, _ = await asyncio.wait({closing}, timeout=seconds)
    if closing not in done:
        release.set()  # let the stuck leaves finish so the test ends
        await closing
        pytest.fail(f"close() took over {seconds} s: it waited for a leave confirmation that never comes")
    closing.result()


def add_voice_client(bot: ParleyBot, *, confirmed: asyncio.Event, connected: bool = True) -> Any:
    """A voice client registered with the bot, as discord.py's `connect()` registers it."""
    gid = next_id()
    vc = MockVoiceClient()
    vc.fake.connected = connected
    vc.fake.leaves = 0
    vc.fake.leaving = asyncio.Event()

    def cleanup() -> None:  # VoiceProtocol.cleanup: forget the client
        bot._connection._remove_voice_client(gid)

    async def disconnect(*, force: bool = False) -> None:  # VoiceClient.disconnect, network edge faked
        vc.fake.leaves += 1
        vc.fake.connected = False
        vc.fake.leaving.set()
        try:
            await confirmed.wait()
        except asyncio.CancelledError:
            pass  # discord.py's disconnect swallows it too, then cleans up
        vc.cleanup()

    vc.cleanup.side_effect = cleanup
    vc.disconnect.side_effect = disconnect
    bot._connection._add_voice_client(gid, vc)
    return vc


async def test_close_is_bounded_when_no_leave_confirmation_comes(bot) -> None:
    never = asyncio.Event()  # the gateway reader is gone: nothing will confirm
    a, b = add_voice_client(bot, confirmed=never), add_voice_client(bot, confirmed=never)

    await close_within(bot, NEVER_S, release=never)

    for vc in (a, b):
        assert vc.disconnect.await_count == 1  # asked once, by us; discord.py's close did not ask again
        assert vc.disconnect.await_args.kwargs == {"force": True}
        vc.cleanup.assert_called()
    assert bot.voice_clients == [] and bot.is_closed()


async def test_close_leaves_connected_voice_once_when_discord_confirms(bot) -> None:
    confirmed = asyncio.Event()
    confirmed.set()  # Discord answers at once
    vc = add_voice_client(bot, confirmed=confirmed)

    await close_within(bot, NEVER_S, release=confirmed)

    assert vc.disconnect.await_count == 1 and vc.fake.leaves == 1
    assert bot.voice_clients == []


async def test_close_does_not_leave_again_while_a_round_is_leaving(bot) -> None:
    """A round's own leave is under way (disconnected, waiting for its confirmation) when the bot
    is stopped: close() must not send a second leave (that would restart the first one's wait) and
    must not wait for it."""
    never = asyncio.Event()
    vc = add_voice_client(bot, confirmed=never)
    round_leave = asyncio.create_task(vc.disconnect(force=False))
    await vc.fake.leaving.wait()
    assert not vc.fake.connected and bot.voice_clients == [vc]

    await close_within(bot, NEVER_S, release=never)

    assert vc.fake.leaves == 1 and vc.disconnect.await_count == 1
    assert bot.voice_clients == []
    assert not round_leave.done()  # still waiting: asyncio.run cancels it at exit
    round_leave.cancel()
    await round_leave
