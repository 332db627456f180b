"""Embeds rendered from real analyses (the real analyzer on real word timings), within Discord's limits."""

from __future__ import annotations

import discord
import pytest

from bot.analysis import analyze
from bot.bank import load_bank
from bot.discord_io.embeds import (
    consent_embed,
    feedback_embed,
    fmt_time,
    question_embed,
    transcript_file,
)
from bot.models import Transcript, Word
from bot.practice.round import CONSENT_TEXT, AnswerResult, RoundSummary


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    from bot.config import Settings

    return load_bank(Settings().bank_dir)


def timed(text: str, *, pause_after: int, pause_s: float) -> Transcript:
    """Words 0.4 s apart, with one long pause after word `pause_after`."""
    words, t = [], 0.5
    for i, w in enumerate(text.split()):
        words.append(Word(w, t, t + 0.3))
        t += 0.4 + (pause_s if i == pause_after else 0.0)
    return Transcript(words=words, duration_s=t + 0.5)


def result(index: int, question, transcript: Transcript, settings) -> AnswerResult:
    a = analyze(question, transcript=transcript, settings=settings)
    return AnswerResult(index=index, question=question, analysis=a, transcript=transcript,
                        end_reason="done_button")


def test_feedback_shows_scores_and_flags_at_their_times(bank, settings) -> None:
    q = bank.questions[0]
    tr = timed("so first I would assume the input fits in memory and then " * 3, pause_after=5, pause_s=9.0)
    r = result(1, q, tr, settings)
    silence_flags = [f for f in r.analysis.flags if f.at_s is not None]
    assert silence_flags, "the 9 s pause should be flagged by the analyzer"
    summary = RoundSummary(session_id=7, user_id=1, user_name="ada", guild_id=2, status="done",
                           reason="completed", answers=[r], questions_total=1)
    e = feedback_embed(summary)
    assert f"{r.analysis.score}/100" in e.title
    body = "\n".join(f.value for f in e.fields)
    for f in silence_flags:
        assert f"`{fmt_time(f.at_s)}`" in body
    assert any(f.name.startswith("Top fixes") for f in e.fields)


def test_partial_feedback_says_why_and_skipped_questions_show(bank, settings) -> None:
    q1, q2 = bank.questions[0], bank.questions[1]
    r1 = result(1, q1, timed("I assume a single region and the result was fine " * 2, pause_after=99,
                             pause_s=0), settings)
    r2 = AnswerResult(index=2, question=q2, analysis=None, transcript=None, end_reason="skipped")
    summary = RoundSummary(session_id=None, user_id=1, user_name="ada", guild_id=2, status="interrupted",
                           reason="user_left", answers=[r1, r2], questions_total=3)
    e = feedback_embed(summary)
    assert "(partial)" in e.title and "left the voice channel" in e.description
    assert "1 of 3" in e.description
    assert any("_skipped_" in f.value for f in e.fields)


def test_huge_rounds_stay_inside_discord_limits(bank, settings) -> None:
    long_text = " ".join(["um so basically we would like kind of shard the data"] * 120)
    answers = [result(i + 1, bank.questions[i % len(bank.questions)],
                      timed(long_text, pause_after=3, pause_s=6.0), settings) for i in range(10)]
    summary = RoundSummary(session_id=1, user_id=1, user_name="ada", guild_id=2, status="done",
                           reason="completed", answers=answers, questions_total=10)
    e = feedback_embed(summary)
    assert len(e) <= 6000 and len(e.fields) <= 25
    assert all(len(f.value) <= 1024 and len(f.name) <= 256 for f in e.fields)
    f = transcript_file(summary)
    assert isinstance(f, discord.File) and f.filename.endswith(".txt")
    text = f.fp.read().decode()
    assert text.count("shard the data") >= 10 * 120  # the file carries the full transcripts


def test_question_and_consent_cards(bank) -> None:
    q = bank.questions[0]
    e = question_embed(q, 2, 3)
    assert e.title.startswith("Question 2 of 3") and e.description == q.prompt and q.id in e.footer.text
    c = consent_embed(CONSENT_TEXT)
    blob = (c.description + c.fields[0].value).lower()
    assert "/privacy delete" in blob and "not kept" in blob
    assert "start recording" in c.footer.text.lower()


def test_typed_answers_are_in_the_feedback_and_the_transcript_file(bank, settings) -> None:
    """A typed answer has no words heard (the listener's transcript is empty): the feedback and
    the attached transcript show the typed text, marked as typed."""
    q = bank.questions[0]
    main = "I assume the data fits in memory, so I would sort once and then binary search each query."
    follow = "With more data than memory I would shard by key range and merge the results."
    heard_nothing = Transcript(words=[], duration_s=0.0)
    r = AnswerResult(index=1, question=q, analysis=analyze(q, text=main, settings=settings),
                     transcript=heard_nothing, end_reason="typed", follow_up="What if it doesn't fit?",
                     follow_up_transcript=heard_nothing,
                     follow_up_analysis=analyze(q, text=follow, settings=settings), follow_up_end_reason="typed")
    summary = RoundSummary(session_id=3, user_id=1, user_name="ada", guild_id=2, status="done",
                           reason="completed", answers=[r], questions_total=1)
    e = feedback_embed(summary)
    assert f"{r.analysis.score}/100" in e.title and "typed" in e.fields[0].value
    text = transcript_file(summary).fp.read().decode()
    assert f"Answer (typed): {main}" in text and f"Answer (typed): {follow}" in text
