""""Try question N again" under a mock round's feedback: a one-question round with the same question,
whose feedback compares with the earlier answer; the link shows in /history and /stats."""

from __future__ import annotations

import asyncio

from bot.analysis import analyze
from bot.bank import Bank
from bot.practice.round import AnswerResult, RoundState
from bot.storage.retries import retries_of_user
from tests.discord.mock_helpers import (
    TIMEOUT,
    accept_consent,
    interaction_for,
    make_world,
    only_ephemeral,
)

QID = "fund-idempotency-payments"
WEAK = "I would just retry the call and hope it works out, it depends on the situation really."
STRONG = ("I assume clients retry on timeouts. The client sends an idempotency key, and we enforce uniqueness "
          "in the same database transaction as the charge, store the first response and return it to every "
          "retry, and expire keys after a day. The tradeoff is extra storage, which I'd accept here.")


async def _earlier(cog, member_id: int, text: str = WEAK) -> AnswerResult:
    q = cog.services.bank.get(QID)
    a = analyze(q, text=text)
    attempt_id = await cog.services.engine.record(a, user_id=member_id, mode="mock")
    return AnswerResult(1, q, a, None, "typed", attempt_id=attempt_id)


async def test_try_again_runs_the_same_question_and_compares(mock_cog):
    w = make_world()
    earlier = await _earlier(mock_cog, w.member.id)
    press = interaction_for(w)
    await mock_cog._retry_pressed(press, earlier)
    assert only_ephemeral(press) and "joined" in press.reply_text()
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING), TIMEOUT)
    assert r.current_question.id == QID and r.summary.questions_total == 1
    assert r.answer_text(STRONG)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), TIMEOUT)  # the follow-up
    r.done()
    await asyncio.wait_for(active.task, TIMEOUT)

    summary = r.summary
    retry = summary.extras["retry"]
    new = summary.answers[0]
    assert retry["earlier_attempt_id"] == earlier.attempt_id and retry["attempt_id"] == new.attempt_id
    assert retry["change"] == new.analysis.score - earlier.analysis.score > 0
    assert any("stated assumptions" in line for line in retry["lines"] if line.startswith("Closed"))
    _, fb = await w.text.wait_sent(lambda kw: kw.get("file") is not None, timeout=TIMEOUT)
    field = next(f for f in fb["embed"].fields if f.name == "Question 1 compared with your last try")
    assert f"({retry['change']:+d})" in field.value
    assert await retries_of_user(mock_cog.services.db, w.member.id) == {new.attempt_id: earlier.attempt_id}
    # the feedback offers another go
    labels = [b.label for b in fb["view"].children]
    assert "Try question 1 again" in labels and "Strong outline: question 1" in labels


async def test_try_again_on_a_removed_question_or_erased_answer_is_refused_clearly(mock_cog):
    w = make_world()
    earlier = await _earlier(mock_cog, w.member.id)
    bank = mock_cog.services.bank
    mock_cog.services.bank = Bank([q for q in bank if q.id != QID])
    press = interaction_for(w)
    await mock_cog._retry_pressed(press, earlier)
    assert only_ephemeral(press) and "taken out of the question bank" in press.reply_text()
    mock_cog.services.bank = bank
    gone = AnswerResult(1, earlier.question, earlier.analysis, None, "typed", attempt_id=987654)
    press = interaction_for(w)
    await mock_cog._retry_pressed(press, gone)
    assert only_ephemeral(press) and "isn't stored any more" in press.reply_text()
    assert not mock_cog.active and len(mock_cog.registry) == 0
    w.voice.connect.assert_not_awaited()


async def test_a_profile_with_a_domain_gets_one_role_follow_up(mock_cog):
    from bot.practice.tailoring import DOMAINS
    from bot.storage.profiles import save_profile
    from tests.discord.mock_helpers import start
    from tests.role_texts import PAYMENTS

    w = make_world()
    await save_profile(mock_cog.services.db, w.member.id, role="Backend engineer, payments", description=PAYMENTS,
                       skills=["reliability", "security", "api-design"], consented=True)
    await start(mock_cog, interaction_for(w), question="design-inventory-api")
    active = mock_cog.active[w.guild.id]
    r = active.round
    await accept_consent(w)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING), TIMEOUT)
    assert r.answer_text(STRONG)
    await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 2), TIMEOUT)
    assert r.current_prompt == DOMAINS["payments"][1]  # "On a payments team, ... double charge ..."
    assert r.summary.extras["role_follow_up"]["index"] == 1
    r.end()
    await asyncio.wait_for(active.task, TIMEOUT)
