"""Retry and compare, and the strong outline, in a daily thread: the buttons under a member's feedback."""

from __future__ import annotations

import dataclasses

import pytest

from bot.bank import Bank
from bot.discord_io.answer_views import AnswerActions
from bot.storage.attempts import list_attempts
from tests.discord.daily_helpers import open_thread, replies_of, thread_message
from tests.discord.helpers import MockInteraction, MockMember

WEAK = ("I think I would just store the events somewhere and check them later, it depends on a lot of "
        "things really, and um we would figure it out as a team when it came up.")


def _view(reply) -> AnswerActions:
    view = reply["kwargs"]["view"]
    assert isinstance(view, AnswerActions)
    return view


def _button(view: AnswerActions, label: str):
    return next(b for b in view.children if getattr(b, "label", "") == label)


async def _answer(world, thread, text):
    msg = thread_message(thread, world.member, text)
    await world.cog.on_message(msg)
    (reply,) = replies_of(msg)
    return reply


async def test_try_again_reasks_and_the_new_feedback_compares(daily_world):
    # a coding question, as the improved answer is written for one (the pick otherwise depends on
    # the mock guild's id, which depends on how many tests ran before)
    thread = await open_thread(daily_world, cats="coding")
    first = await _answer(daily_world, thread, WEAK)
    view = _view(first)
    assert [b.label for b in view.children] == ["Try again", "Show a strong outline"]

    press = MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread)
    await _button(view, "Try again").callback(press)
    text = press.reply_text()
    assert "answer the same question" in text and press.replies()[0][1]["ephemeral"] is True
    question = view.question
    assert question.prompt.lower()[:60] in text

    from tests.discord.daily_helpers import TEXT_ANSWER
    second = await _answer(daily_world, thread, TEXT_ANSWER)
    embed = second["embed"]
    field = next(f for f in embed.fields if f.name == "Compared with your last try")
    old, new = sorted(await list_attempts(daily_world.db, daily_world.member.id), key=lambda a: a.id)
    assert old.question_id == new.question_id == question.id
    assert f"Score {old.score} → {new.score} ({new.score - old.score:+d})" in field.value
    # the weak answer stated no assumptions, the second one opens with them: that gap is closed
    assert not old.structure["assumptions"] and new.structure["assumptions"]
    closed = next(line for line in field.value.splitlines() if line.startswith("Closed since last time:"))
    assert "stated assumptions" in closed
    # the third answer, without pressing again, is an ordinary answer
    third = await _answer(daily_world, thread, TEXT_ANSWER)
    assert all(f.name != "Compared with your last try" for f in third["embed"].fields)

    hist = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.history.callback(daily_world.cog, hist)
    assert f"retry ({new.score - old.score:+d})" in hist.reply_text()
    stats = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await daily_world.cog.stats.callback(daily_world.cog, stats)
    fields = {f.name: f.value for f in stats.followup.send.call_args.kwargs["embed"].fields}
    assert fields["Retries"].startswith("1 retry · average change " + f"{new.score - old.score:+.1f}")


async def test_outline_only_for_the_member_who_answered(daily_world):
    thread = await open_thread(daily_world)
    view = _view(await _answer(daily_world, thread, WEAK))
    press = MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread)
    assert await view.interaction_check(press)
    await _button(view, "Show a strong outline").callback(press)
    kwargs = press.response.send_message.call_args.kwargs
    outline = kwargs["embed"].fields[0].value
    assert kwargs["ephemeral"] is True
    for point in view.question.strong_outline:
        assert point in outline
    other = MockInteraction(user=MockMember(name="bo"), guild=daily_world.guild, channel=thread)
    assert not await view.interaction_check(other)
    assert "answer yourself" in other.reply_text()


async def test_retry_of_a_question_removed_from_the_bank_is_refused_clearly(daily_world):
    thread = await open_thread(daily_world)
    view = _view(await _answer(daily_world, thread, WEAK))
    removed = view.question.id
    bank = daily_world.cog.service.bank
    daily_world.cog.service.bank = Bank([q for q in bank if q.id != removed])
    press = MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread)
    await _button(view, "Try again").callback(press)
    assert "taken out of the question bank" in press.reply_text() and removed in press.reply_text()
    assert not daily_world.cog.service.retry_pending(thread.id, daily_world.member.id)
    # removed after pressing: the answer is refused with the same reason, nothing stored
    daily_world.cog.service.bank = bank
    await _button(view, "Try again").callback(MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread))
    daily_world.cog.service.bank = Bank([q for q in bank if q.id != removed])
    msg = thread_message(thread, daily_world.member, WEAK)
    await daily_world.cog.on_message(msg)
    (reply,) = replies_of(msg)
    assert "taken out of the question bank" in reply["content"]
    assert len(await list_attempts(daily_world.db, daily_world.member.id)) == 1


def test_comparison_lines_name_closed_remaining_and_new():
    from bot.practice.retry import compare

    c = compare(1, 40, {"a": "stated assumptions", "b": "named metrics"}, 55, {"b": "named metrics", "c": "long pause"})
    assert c.change == 15 and c.closed == ("stated assumptions",) and c.remaining == ("named metrics",)
    assert c.lines() == ["Score 40 → 55 (+15).", "Closed since last time: stated assumptions.",
                         "Still missing: named metrics.", "New this time: long pause."]
    same = dataclasses.replace(c, score=40)
    assert same.lines()[0] == "Score 40 → 40 (no change)."


@pytest.mark.slow
async def test_voice_answer_feedback_attaches_its_timeline(daily_world, transcriber, tmp_path):
    from tests.discord.daily_helpers import MockAttachment
    from tests.voice_messages import paused_voice_message

    daily_world.cog.service.engine.transcriber = transcriber
    thread = await open_thread(daily_world)
    voice = MockAttachment(paused_voice_message(tmp_path), voice=True, duration=20.0)
    msg = thread_message(thread, daily_world.member, attachments=[voice])
    await daily_world.cog.on_message(msg)
    (reply,) = replies_of(msg)
    f = reply["kwargs"]["file"]
    assert f.filename == "timeline.png" and f.fp.read().startswith(b"\x89PNG")
    assert reply["embed"].image.url == "attachment://timeline.png"
    # a typed answer has no timeline
    typed = thread_message(thread, daily_world.member, WEAK)
    await daily_world.cog.on_message(typed)
    (reply,) = replies_of(typed)
    assert "file" not in reply["kwargs"]


async def test_profile_question_in_a_daily_thread_is_the_members_next_question(daily_world):
    import unittest.mock

    from bot.practice.tailoring import read_description
    from bot.storage.profiles import save_profile
    from cogs.profile import ProfileCog
    from tests.role_texts import SRE

    thread = await open_thread(daily_world)
    daily_world.bot.get_cog = unittest.mock.Mock(side_effect=lambda name: daily_world.cog if name == "DailyCog" else None)
    profile = ProfileCog(daily_world.bot)
    ask = MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread)
    await profile.question.callback(profile, ask)
    assert "no target role yet" in ask.reply_text()

    needs = read_description(SRE)
    await save_profile(daily_world.db, daily_world.member.id, role="SRE", description=SRE, skills=needs.top(10), consented=True)
    ask = MockInteraction(user=daily_world.member, guild=daily_world.guild, channel=thread)
    await profile.question.callback(profile, ask)
    text = ask.replies()[0][0][0]
    assert ask.replies()[0][1]["ephemeral"] is True and "because it exercises" in text and "answer it here" in text.lower()
    qid = text.split("(", 1)[1].split(")", 1)[0]
    picked = daily_world.cog.service.bank.get(qid)
    assert set(picked.skills) & set(needs.weights)
    push = await daily_world.cog.service.push_for_thread(thread.id)
    assert qid != push.question_id

    first = await _answer(daily_world, thread, WEAK)
    assert _view(first).question.id == qid  # scored against the member's own question
    second = await _answer(daily_world, thread, WEAK)
    assert _view(second).question.id == push.question_id  # then back to today's
    # outside a daily thread it only suggests the question
    elsewhere = MockInteraction(user=daily_world.member, guild=daily_world.guild)
    await profile.question.callback(profile, elsewhere)
    assert "/mock start question:" in elsewhere.reply_text()
