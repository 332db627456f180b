"""A peer group's steps against the real bot process and the stand-in: accepting the privacy notice and
one full spoken turn rated by the other member (tests/e2e/test_group_e2e.py,
test_rate_limited_lobby_e2e.py). Every wait is bounded."""

from __future__ import annotations

import time

from tests.e2e.standin import DiscordStandIn
from tests.e2e.standin.driver import embed_title, has_enabled_button, press, wait_speech_finished
from tests.e2e.standin.world import User

STARTUP_S = 180.0
STEP_S = 60.0
SCORES = ("4", "3", "5")  # structure, clarity, depth
ANSWER = ("I assume reads dominate, so I would put a cache in front of the database. The tradeoff is "
          "staleness against latency, and as a result the p99 latency dropped by forty percent.")


async def accept_notice(s: DiscordStandIn, user: User, after: float) -> None:
    """The privacy notice, shown privately to `user` the first time: Accept."""
    notice = await s.wait_message(lambda m: m.ephemeral and has_enabled_button("Accept")(m), timeout=STEP_S,
                                  after=after, what=f"the privacy notice for {user.username}")
    await press(s, user, notice, "Accept")


async def take_turn(s: DiscordStandIn, answerer: User, rater: User, pcm: bytes, after: float) -> float:
    """One turn: the question is spoken, the answerer answers aloud and presses Done, the other
    member rates it in the rating modal. Returns the time the rating was submitted (the last
    rating starts the next turn at once)."""
    turn_msg = await s.wait_message(lambda m: has_enabled_button("Done")(m) and answerer.username.title() in m.text(),
                                    timeout=STEP_S, after=after, what=f"{answerer.username}'s turn")
    await wait_speech_finished(s, after=after, timeout=STEP_S, what=f"{answerer.username}'s question")
    await s.voice.play(answerer, pcm)
    t_done = time.monotonic()
    await press(s, answerer, s.rest.messages[turn_msg.id], "Done")
    await s.wait_message(lambda m: "Feedback" in embed_title(m) or answerer.username.title() in embed_title(m),
                         timeout=STEP_S, after=t_done, what=f"the feedback on {answerer.username}'s answer")
    rate = await s.wait_message(has_enabled_button("Rate this answer"), timeout=STEP_S, after=t_done,
                                what="the rating button")
    pressed = await press(s, rater, rate, "Rate this answer")
    shown = await s.events.wait_for(
        "interaction_response", lambda d: d["interaction"]["id"] == pressed["id"] and d["type"] == 9,
        timeout=STEP_S, what="the rating modal")
    modal = shown.data["data"]
    assert modal["title"] == f"Rate {answerer.username.title()}'s answer", modal["title"]
    labels = [c for c in modal["components"] if c["type"] == 18]
    assert [c["label"] for c in labels] == ["Structure", "Clarity", "Depth"], modal
    assert all(c["component"]["type"] == 3 and c["component"]["required"] for c in labels), modal
    t_submit = time.monotonic()
    submitted = await s.gateway.submit_modal(
        rater, modal, {c["component"]["custom_id"]: score for c, score in zip(labels, SCORES, strict=True)})
    # acknowledged privately at once, then thanked in that private reply
    ack = await s.events.wait_for("interaction_response", lambda d: d["interaction"]["id"] == submitted["id"],
                                  timeout=STEP_S, what="the rating acknowledged")
    assert ack.data["message"] is not None and ack.data["message"].ephemeral
    await s.wait_message(lambda m: m.id == ack.data["message"].id and "anonymous" in m.text().lower(),
                         timeout=STEP_S, after=t_submit, what="the rating thanked")
    return t_submit
