"""Fault probes for issue 13's trust items (erasure, rate limits, private feedback), recorded in
the fault table like the others (`pytest tests/fault -s`).

* a member erased at every point of a running group (lobby, mid-answer, while their answer is
  being stored, while it is rated, while rating someone else, after the end): once the group
  ended, the sqlite file holds nothing of them;
* 100 presses of a group's "Be the interviewer" by one member, through discord.py's own view
  dispatch: cut at the per-user limit, a bystander unaffected, lobby edits coalesced;
* a private mock round whose owner's DMs are closed: nothing of the feedback reaches the channel;
* a manager ends a group: neither their id nor their name lands in a member's data;
* Discord refuses the Message Content intent: Parley runs on and says what it was for.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest

from bot.bank import load_bank
from bot.discord_io.guards import CommandGuard
from bot.discord_io.views import PrivateFeedbackView
from bot.practice.engine import PracticeEngine
from bot.practice.group import GroupConfig, GroupSession, ManualClock, Phase
from bot.practice.round import RoundState
from bot.ratings import Rating
from bot.speech.stt import Transcriber
from bot.storage import Database, privacy
from bot.storage.group import GroupStore
from tests.discord.group_helpers import inter, make_world, press, start_group
from tests.discord.helpers import MockMessage, dispatch
from tests.discord.mock_helpers import accept_consent, dms_closed, interaction_for, start, type_answer
from tests.discord.mock_helpers import make_world as mock_world
from tests.fakes import StepClock
from tests.fault.population import scan_for
from tests.fault.table import record

pytestmark = pytest.mark.usefixtures("keep_root_logging")  # a probe runs the bot's runner, which installs logging

ERIN, ERIN_NAME, A, C = 955_000_000_000_000_555, "erin-erased-member", 1001, 1003
ANSWER = ("I assume reads dominate. The baseline is one database with a cache; the tradeoff is staleness "
          "against latency, and as a result p99 latency dropped forty percent.")


class PausedStore(GroupStore):
    """The real store; with `hold` set, an answer's write waits until the probe lets it go."""

    hold = False

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.writing, self.release = asyncio.Event(), asyncio.Event()

    async def record_attempt(self, *args: Any, **kwargs: Any) -> int:
        if self.hold:
            self.writing.set()
            await self.release.wait()
        return await super().record_attempt(*args, **kwargs)


async def _erase(g: GroupSession, db: Database) -> None:
    """What /privacy delete does: the running group forgets her, then her rows go."""
    await g.erase_member(ERIN)
    await privacy.delete_user(db, ERIN)


async def _lobby(g: GroupSession, store: PausedStore, db: Database) -> None:
    await _erase(g, db)
    await g.start()


async def _answering(g: GroupSession, store: PausedStore, db: Database) -> None:
    await g.start()
    await g.submit_text_answer(A, ANSWER)
    await g.rate(ERIN, 1, Rating(5, 5, 5))
    await g.rate(C, 1, Rating(3, 3, 3))
    assert g.current.answerer_id == ERIN
    await _erase(g, db)


async def _being_stored(g: GroupSession, store: PausedStore, db: Database) -> None:
    await _answering_until_her_turn(g)
    store.hold = True
    answering = asyncio.create_task(g.submit_text_answer(ERIN, ANSWER))
    await asyncio.wait_for(store.writing.wait(), 10)
    await _erase(g, db)
    store.release.set()
    await asyncio.wait_for(answering, 10)


async def _rated(g: GroupSession, store: PausedStore, db: Database) -> None:
    await _answering_until_her_turn(g)
    await g.submit_text_answer(ERIN, ANSWER)
    await g.rate(A, 2, Rating(2, 2, 2))
    await _erase(g, db)


async def _rating(g: GroupSession, store: PausedStore, db: Database) -> None:
    await g.start()
    await g.submit_text_answer(A, ANSWER)
    await g.rate(ERIN, 1, Rating(5, 5, 5))  # C has not rated yet: the window is open
    await _erase(g, db)


async def _after_the_end(g: GroupSession, store: PausedStore, db: Database) -> None:
    await _answering_until_her_turn(g)
    await g.submit_text_answer(ERIN, ANSWER)
    await g.end("done")
    await _erase(g, db)


async def _answering_until_her_turn(g: GroupSession) -> None:
    await g.start()
    await g.submit_text_answer(A, ANSWER)
    await g.rate(ERIN, 1, Rating(5, 5, 5))
    await g.rate(C, 1, Rating(3, 3, 3))


PHASES: list[tuple[str, Callable[[GroupSession, PausedStore, Database], Awaitable[None]]]] = [
    ("in the lobby", _lobby), ("while answering", _answering), ("while her answer is stored", _being_stored),
    ("while her answer is rated", _rated), ("while she rates", _rating), ("after the group ended", _after_the_end),
]


async def test_a_member_erased_at_any_point_of_a_group_leaves_nothing(settings, tmp_path) -> None:
    bank = load_bank(settings.bank_dir)
    failed = []
    for i, (phase, act) in enumerate(PHASES):
        async with Database(tmp_path / f"g{i}.sqlite3") as db:
            engine = PracticeEngine(settings=settings, bank=bank, transcriber=Transcriber(settings), db=db)
            store = PausedStore(db)
            clock = ManualClock(5000.0)
            g = GroupSession(engine, guild_id=77, channel_id=88, owner_id=A, store=store, clock=clock,
                             config=GroupConfig(rating_seconds=30.0, turn_seconds=60.0, warning_seconds=15.0),
                             rng=random.Random(7))
            await g.open()
            for uid, name in ((A, "ada"), (ERIN, ERIN_NAME), (C, "cy")):
                await g.join(uid, name)
            await act(g, store, db)
            while g.phase is not Phase.ENDED:  # the others carry on to the end
                if g.phase is Phase.ANSWERING:
                    await g.submit_text_answer(g.current.answerer_id, ANSWER)
                else:
                    clock.advance(60.0)
                    await g.poll()
            left = scan_for(db.path, (ERIN, ERIN_NAME))
            ok = not left and ERIN not in {m["user_id"] for m in g.summary()["members"]}
            record("privacy", f"erase a group member {phase}",
                   f"{len(left)} value(s) of hers in the sqlite file once the group ended", ok)
            if not ok:
                failed.append((phase, left))
    assert failed == []


async def test_a_burst_of_100_interviewer_presses_is_cut_and_coalesced(group_cog) -> None:
    w = make_world(3)
    owner, spammer, bystander = w.members
    view = await start_group(group_cog, w)
    run = group_cog.runs[w.guild.id]
    for m in (spammer, bystander):
        await press(view.join_button, inter(w, m))
    await run.lobby_settled()
    limit = 20
    group_cog.bot.command_guard = CommandGuard(limit, clock=StepClock())
    lobby, in_flight, release = MockMessage(), asyncio.Event(), asyncio.Event()

    async def edit(**kwargs: Any) -> None:  # Discord takes its time with the first edit
        if not in_flight.is_set():
            in_flight.set()
            await release.wait()

    lobby.edit.side_effect = edit
    run.lobby_message = lobby
    presses = []
    for n in range(100):
        i = inter(w, spammer)
        i.client, i.type = group_cog.bot, discord.InteractionType.component
        presses.append(await dispatch(view, view.interviewer_button, i))
        if n == 0:
            await asyncio.wait_for(in_flight.wait(), 5)
    other = inter(w, bystander)
    other.client, other.type = group_cog.bot, discord.InteractionType.component
    await dispatch(view, view.interviewer_button, other)
    release.set()
    await asyncio.wait_for(run.lobby_settled(), 5)
    told = sum(1 for i in presses if "faster than i can take" in i.reply_text())
    served = 100 - told
    bystander_served = "faster than i can take" not in other.reply_text() and bool(other.replies())
    ok = served == limit and lobby.edit.await_count == 2 and bystander_served
    assert record("limits", "100 'Be the interviewer' presses by one member (limit 20/min)",
                  f"{served} served, {told} told to wait, {lobby.edit.await_count} lobby edits; "
                  f"a bystander's press {'served' if bystander_served else 'refused'}", ok)


async def test_private_feedback_never_reaches_the_channel_when_dms_are_closed(mock_cog) -> None:
    w = mock_world()
    w.member.send.side_effect = dms_closed()
    await start(mock_cog, interaction_for(w), private=True)
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await r.wait_state(RoundState.LISTENING)
    await active.io.switch_to_text("probe: voice can't be decrypted")
    await type_answer(w, active.io.controls, ANSWER)
    await r.wait_state(RoundState.LISTENING, count=2)
    await mock_cog.stop.callback(mock_cog, interaction_for(w))
    await asyncio.wait_for(active.task, 60)
    score = f"{r.summary.answers[0].analysis.score}/100"
    public = [kw for _, kw in w.text.sent
              if kw.get("file") is not None or score in str(kw.get("embed").to_dict() if kw.get("embed") else "")]
    offered = any(isinstance(kw.get("view"), PrivateFeedbackView) for _, kw in w.text.sent)
    assert record("privacy", "/mock start private:True with the owner's DMs closed",
                  f"{len(public)} channel message(s) with the feedback; private button offered: {offered}",
                  not public and offered)


async def test_who_ended_a_group_never_lands_in_a_members_data(settings, tmp_path) -> None:
    """A manager outside the group ends it: the member's export carries neither the manager's id
    nor name, and the manager's erasure leaves neither in the file."""
    import json

    manager, manager_name = 615_000_000_000_000_777, "manager-with-a-display-name"
    bank = load_bank(settings.bank_dir)
    async with Database(tmp_path / "ended.sqlite3") as db:
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=Transcriber(settings), db=db)
        await privacy.record_consent(db, manager, 77, manager_name)
        g = GroupSession(engine, guild_id=77, channel_id=88, owner_id=A, store=GroupStore(db),
                         clock=ManualClock(5000.0), rng=random.Random(7))
        await g.open()
        await g.join(A, "ada")
        await g.start()
        await g.submit_text_answer(A, ANSWER)
        await g.end("ended", by=manager)
        export = json.dumps(await privacy.export_user(db, A))
        in_export = [x for x in (str(manager), manager_name) if x in export]
        await privacy.delete_user(db, manager)
        left = scan_for(db.path, (manager, manager_name))
    assert record("privacy", "a manager ends a group; the member exports, the manager erases",
                  f"manager in the member's export: {len(in_export)}; left after their erasure: {len(left)}",
                  not in_export and not left)


def test_without_message_content_the_bot_runs_on_and_says_why(settings, capsys) -> None:
    """Discord refuses the privileged intent: Parley names what it was for and runs without it."""
    import unittest.mock

    from bot.discord_io import runner

    async def connect(self: discord.Client, *, reconnect: bool = True) -> None:  # Discord's gateway
        if self.intents.message_content:
            raise discord.PrivilegedIntentsRequired(None)

    with unittest.mock.patch.object(discord.Client, "login", unittest.mock.AsyncMock()), \
         unittest.mock.patch.object(discord.Client, "connect", connect), \
         unittest.mock.patch("bot.speech.stt.Transcriber.ensure_loaded", unittest.mock.AsyncMock()):
        rc = runner.run_bot(settings.with_(discord_token="not-a-real-token"))
    err = capsys.readouterr().err
    says_why = "daily question threads" in err and "only needs" not in err
    assert record("startup", "Discord refuses the Message Content intent",
                  f"exit {rc}; {'names what it was for' if says_why else 'does not say why'}",
                  rc == 0 and says_why and "Traceback" not in err)
