"""A mock round for a member with a profile picks by their role and says why on each card."""

from __future__ import annotations

import random
from pathlib import Path

from bot.bank import load_bank
from bot.discord_io.embeds import question_embed
from bot.practice.tailoring import make_picker, read_description
from tests.role_texts import SRE

BANK = load_bank(Path(__file__).resolve().parents[2] / "question_bank")


def test_round_picker_uses_the_profile_and_records_why():
    needs = read_description(SRE)
    reasons: dict[str, str] = {}
    pick = make_picker(BANK, None, None, None, random.Random(4), needs=needs, reasons=reasons)
    asked: list[str] = []
    for i in range(1, 4):
        asked.append(pick(i, tuple(asked)).id)
    assert len(set(asked)) == 3 and set(reasons) == set(asked)
    for qid in asked:
        assert set(BANK.get(qid).skills) & set(needs.weights)
        card = question_embed(BANK.get(qid), 1, 3, why=reasons[qid])
        field = next(f for f in card.fields if f.name == "Why this question")
        assert field.value == reasons[qid] and "Picked because" in field.value


def test_round_picker_without_a_profile_stays_random_and_silent():
    reasons: dict[str, str] = {}
    pick = make_picker(BANK, None, "coding", "hard", random.Random(1), reasons=reasons)
    first = pick(1, ())
    assert (first.category, first.difficulty) == ("coding", "hard") and reasons == {}
    card = question_embed(first, 1, 3)
    assert all(f.name != "Why this question" for f in card.fields)
    chosen = BANK.get("coding-lru-cache")
    assert make_picker(BANK, chosen, None, None)(1, ()) is chosen  # a chosen first question is kept


async def test_round_feedback_offers_outlines_only_for_answered_questions():
    from bot.analysis import analyze
    from bot.discord_io.answer_views import RoundOutlines
    from bot.discord_io.round_io import DiscordRoundIO
    from bot.practice.round import AnswerResult, RoundSummary
    from tests.discord.helpers import MockGuild, MockInteraction, MockMember, MockTextChannel, MockVoiceClient

    member = MockMember(name="ada")
    guild = MockGuild(members=[member])
    channel = MockTextChannel(guild=guild)
    io = DiscordRoundIO(voice_client=MockVoiceClient(), channel=channel, member=member, speaker=None)
    qs = [BANK.get(i) for i in ("coding-lru-cache", "fund-sql-vs-nosql", "design-catalog-cache")]
    text = "I assume a read heavy load, so I would cache with a TTL and invalidate on writes; the tradeoff is staleness."
    answers = [AnswerResult(1, qs[0], analyze(qs[0], text=text), None, "done"),
               AnswerResult(2, qs[1], None, None, "skipped"),
               AnswerResult(3, qs[2], analyze(qs[2], text=text), None, "done")]
    summary = RoundSummary(session_id=9, user_id=member.id, user_name="ada", guild_id=guild.id, status="done",
                           reason="completed", answers=answers, questions_total=3)
    await io.post_feedback(summary)
    (_, kwargs), = channel.sent
    view = kwargs["view"]
    assert isinstance(view, RoundOutlines)
    assert [b.label for b in view.children] == ["Strong outline: question 1", "Strong outline: question 3"]
    press = MockInteraction(user=member, guild=guild)
    await view.children[1].callback(press)
    shown = press.response.send_message.call_args.kwargs
    assert shown["ephemeral"] is True and qs[2].strong_outline[0] in shown["embed"].fields[0].value
    assert not await view.interaction_check(MockInteraction(user=MockMember(name="bo"), guild=guild))


def test_round_feedback_shows_the_pushback_moment_and_the_candidates_questions():
    from bot.analysis import analyze
    from bot.discord_io.embeds import feedback_embed
    from bot.practice.candidate_questions import judge_candidate_questions
    from bot.practice.pushback import feedback_lines, find_decision, judge_reply
    from bot.practice.round import AnswerResult, RoundSummary

    q = BANK.get("design-telemetry-ingestion")
    answer = "I'd go with Kafka here because replay matters. @everyone"
    decision = find_decision(answer)
    challenge = q.challenges[0]
    j = judge_reply("No, Kafka is fine. Everyone uses it.", challenge=challenge, answer=answer, question=q)
    summary = RoundSummary(session_id=1, user_id=5, user_name="ada", guild_id=2, status="done", reason="completed",
                           answers=[AnswerResult(1, q, analyze(q, text=answer), None, "done")], questions_total=1)
    summary.extras["pushback"] = [{"index": 1, "verdict": j.verdict, "lines": feedback_lines(decision, challenge, j)}]
    summary.extras["candidate_questions"] = judge_candidate_questions("What's the salary?").to_dict()
    fields = {f.name: f.value for f in feedback_embed(summary).fields}
    pb = fields["Pushback on question 1: rigid"]
    assert "You committed: “I'd go with Kafka here because replay matters.”" in pb
    assert "You replied: “No, Kafka is fine." in pb and "@everyone" not in pb
    assert "recruiter" in fields["Your questions for the interviewer"]


def test_mock_start_offers_pushback_and_your_questions_options():
    from cogs.mock import MockCog

    params = {p.name: p for p in MockCog.start.parameters}
    assert not params["pushback"].default
    # a real interview ends with the candidate's questions: on unless the member turns it off
    assert params["your_questions"].default is True


async def test_round_feedback_sends_a_timeline_per_spoken_answer():
    from bot.analysis import analyze
    from bot.discord_io.round_io import DiscordRoundIO
    from bot.practice.round import AnswerResult, RoundSummary
    from tests.discord.helpers import MockGuild, MockMember, MockTextChannel, MockVoiceClient
    from tests.unit.practice.timeline_helpers import Q, spoken

    member = MockMember(name="ada")
    guild = MockGuild(members=[member])
    channel = MockTextChannel(guild=guild)
    io = DiscordRoundIO(voice_client=MockVoiceClient(), channel=channel, member=member, speaker=None)
    tr = spoken()
    typed = "I assume ten thousand devices and would pick Kafka because replay matters."
    answers = [AnswerResult(1, Q, analyze(Q, transcript=tr), tr, "silence"),
               AnswerResult(2, Q, analyze(Q, text=typed), None, "typed")]
    summary = RoundSummary(session_id=3, user_id=member.id, user_name="ada", guild_id=guild.id, status="done",
                           reason="completed", answers=answers, questions_total=2)
    await io.post_feedback(summary)
    (_, feedback), (_, pictures) = channel.sent
    assert feedback["file"].filename.endswith(".txt")
    assert [f.filename for f in pictures["files"]] == ["timeline-q1.png"]  # the typed answer has none
    assert pictures["files"][0].fp.read().startswith(b"\x89PNG")


def test_group_interviewer_card_offers_the_questions_pushback():
    from bot.discord_io.group_embeds import question_card_embed

    q = BANK.get("design-telemetry-ingestion")
    fields = {f.name: f.value for f in question_card_embed(q).fields}
    pushback = fields["Push back once they commit to a choice"]
    assert all(c in pushback for c in q.challenges[:3])
