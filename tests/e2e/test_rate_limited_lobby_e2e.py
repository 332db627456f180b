"""REST 429 on the group lobby's edits, against the real bot process and the stand-in (DAVE on).

Four members fill a peer-group lobby and two leave again (Sam and Kim stay: a state the lobby never
had before the last change, so an edit showing it was built after every change), five lobby
changes in quick succession,
while the lobby message's PATCH route answers 429 with `retry_after` (as Discord does when a
route's bucket is exhausted). The bot must back off (no PATCH of the lobby before the
retry_after of the 429 it got has passed), coalesce (fewer lobby PATCHes than changes: the lobby
editor keeps one edit in flight and sends the latest state when it lands) and show the final
state; the group then runs to its summary. Every wait is bounded.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from tests.conftest import espeak
from tests.e2e.group_helpers import ANSWER, STARTUP_S, STEP_S, accept_notice, take_turn
from tests.e2e.standin import DiscordStandIn, StoredMessage, World
from tests.e2e.standin.audio import pcm48_stereo, read_wav
from tests.e2e.standin.driver import embed_title, has_enabled_button, press

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RETRY_AFTER_S = 2.0
LIMITED = 2  # 429s in a row on the lobby's edits


@pytest.fixture
def world() -> World:
    w = World()
    for name in ("sam", "lee", "kim", "ann"):
        w.add_member(name, in_voice=True)
    return w


def _members_field(m: StoredMessage) -> str:
    for e in m.embeds:
        for f in e.get("fields") or []:
            if (f.get("name") or "").startswith("Members"):
                return f"{f['name']}\n{f.get('value') or ''}"
    return ""


async def test_rate_limited_lobby_edits_back_off_coalesce_and_the_group_completes(
        standin: DiscordStandIn, start_bot, tmp_path) -> None:
    sam, lee, kim, ann = standin.world.members
    audio, rate = read_wav(espeak(ANSWER, tmp_path / "answer.wav"))
    pad = np.zeros(int(0.4 * rate), dtype=np.float32)
    pcm = pcm48_stereo(np.concatenate([pad, audio, pad]), rate)
    bot = await start_bot()
    await bot.guard(standin.gateway.wait_online(STARTUP_S))

    t0 = time.monotonic()
    await standin.gateway.slash_command(sam, "group", "start", {"rounds": 1})
    await bot.guard(accept_notice(standin, sam, t0))
    lobby = await bot.guard(standin.wait_message(has_enabled_button("Join"), timeout=STEP_S, after=t0,
                                                 what="the lobby"))
    lobby_route = re.compile(rf"/messages/{lobby.id}$")
    standin.rest.rate_limit("PATCH", lobby_route.pattern, times=LIMITED, retry_after=RETRY_AFTER_S)

    # five lobby changes: three joins (each with its privacy notice), two leaves
    t_changes = time.monotonic()
    for member in (lee, kim, ann):
        t = time.monotonic()
        await press(standin, member, standin.rest.messages[lobby.id], "Join")
        await bot.guard(accept_notice(standin, member, t))
    for member in (lee, ann):
        await press(standin, member, standin.rest.messages[lobby.id], "Leave")
    changes = 5
    t_pressed = time.monotonic()

    def final(m: StoredMessage) -> bool:
        field = _members_field(m)
        return (m.id == lobby.id and "(2/" in field and "Kim" in field and "Lee" not in field
                and "Ann" not in field)

    shown = await bot.guard(standin.events.wait_for("message_update", final, timeout=STEP_S, after=t_pressed,
                                                    what="the lobby's final state (Sam and Kim)"))

    # --- back-off: after each 429, no PATCH of the lobby before its retry_after has passed ---
    limited = [e for e in standin.events.find("rate_limited", after=t_changes) if lobby_route.search(e.data["path"])]
    assert len(limited) == LIMITED, limited
    served = [e for e in standin.events.find("request", after=t_changes)
              if e.data["method"] == "PATCH" and lobby_route.search(e.data["path"])]
    attempts = sorted([(e.at, "429") for e in limited] + [(e.at, "ok") for e in served])
    gaps = []
    for (at, what), (next_at, _) in zip(attempts, attempts[1:]):
        if what == "429":
            gaps.append(next_at - at)
            assert next_at - at >= RETRY_AFTER_S - 0.02, f"a PATCH {next_at - at:.2f} s after a 429 ({attempts})"
    # --- coalescing: fewer lobby edits than lobby changes, and the last one shows the latest state ---
    updates = [e for e in standin.events.find("message_update", after=t_changes) if e.data.id == lobby.id]
    print(f"\nfigures: {changes} lobby changes → {len(served)} PATCHes sent after {LIMITED} × 429 "
          f"(gaps after 429: {', '.join(f'{g:.2f}' for g in gaps)} s; retry_after {RETRY_AFTER_S} s); "
          f"final state shown {shown.at - t_pressed:.2f} s after the last press")
    assert len(served) < changes, f"{len(served)} PATCHes for {changes} changes: no coalescing"
    assert final(standin.rest.messages[lobby.id]), _members_field(standin.rest.messages[lobby.id])
    assert len(updates) == len(served), "every PATCH that went through edited the lobby once"

    # --- and the group still runs: Begin, a turn each, the summary ---
    bot_id = standin.world.bot.id
    await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=STEP_S,
                                  what="the bot in the call's MLS group")
    t_begin = time.monotonic()
    await press(standin, sam, standin.rest.messages[lobby.id], "Begin")
    first = await bot.guard(standin.wait_message(has_enabled_button("Done"), timeout=STEP_S, after=t_begin,
                                                 what="the first turn"))
    answerer, rater = (sam, kim) if "Sam" in first.text() else (kim, sam)
    t1 = await bot.guard(take_turn(standin, answerer, rater, pcm, t_begin))
    await bot.guard(take_turn(standin, rater, answerer, pcm, t1))
    summary = await bot.guard(standin.wait_message(lambda m: "summary" in embed_title(m).lower(), timeout=STEP_S,
                                                   after=t1, what="the group summary"))
    assert "2 answers" in summary.text(), summary.text()
    assert not standin.events.find("unhandled_request")
