"""Feedback: top fixes, strengths, follow-up choice, text and embed data."""

from __future__ import annotations

import re

import pytest

from bot.analysis import analyze
from bot.feedback import feedback_dict, mmss, render_text, strengths, top_fixes
from bot.models import KeyPoint, Question, Transcript, Word

DESIGN = Question(
    id="design-unit-telemetry", category="system_design", prompt="Design telemetry ingestion.",
    follow_ups=(
        "How would you roll out a schema change to the payload?",
        "A consumer falls behind for an hour. What happens, and how do you catch up?",
        "Which numbers would you put on the on-call dashboard?",
    ),
    expected=("scale", "architecture", "failure_modes", "observability", "tradeoffs"),
    key_points=(KeyPoint("log", "Durable log between ingest and storage", ("kafka", "durable log", "event log")),
                KeyPoint("dedupe", "Deduplicates retried writes", ("idempotent", "dedupe", "duplicate"))),
    target_seconds=120, difficulty="medium",
)
BEHAVIORAL = Question(
    id="behav-unit-incident", category="behavioral", prompt="Tell me about an incident.", follow_ups=(),
    expected=("scope", "result", "learning", "ownership"), key_points=(), target_seconds=90, difficulty="medium",
)

THIN_DESIGN = ("devices send data to an ingest service behind a load balancer, which writes to kafka, and "
               "consumers store it in a database for the dashboards and for analytics queries later.")


def spoken(text: str, *, start: float = 0.6, step: float = 0.4, pauses: dict[int, float] | None = None) -> Transcript:
    """Words of `text` at a steady pace, with extra pauses inserted before given word indexes."""
    words, t = [], start
    for i, w in enumerate(text.split()):
        t += (pauses or {}).get(i, 0.0)
        words.append(Word(w, t, t + 0.3))
        t += step
    return Transcript(words, duration_s=t + 1.0)


def test_follow_up_targets_the_biggest_gap_using_the_questions_own_follow_ups() -> None:
    a = analyze(DESIGN, text="let's say ten thousand devices a second. " + THIN_DESIGN)
    assert a.structure["failure_modes"] is False
    assert a.follow_up == DESIGN.follow_ups[1]  # the consumer-falls-behind question, not the first one


def test_follow_up_falls_back_to_a_specific_generic_question() -> None:
    q = Question(id="design-x", category="system_design", prompt="", follow_ups=("How would you shard it?",),
                 expected=("observability",), key_points=(), target_seconds=120, difficulty="easy")
    text = ("assuming a thousand writes a second, the api puts jobs on a queue and workers retry failures with "
            "backoff, then move poison messages to a dead letter queue; i'd pick a managed queue rather than our own "
            "cluster because the team is small.")
    a = analyze(q, text=text)
    assert a.structure["observability"] is False
    assert re.search(r"metric|alert", a.follow_up, re.I)


def test_top_fixes_are_ordered_deduplicated_and_timestamped() -> None:
    text = "um " + THIN_DESIGN + " and that's about it i think, yeah, that's the design."
    t = spoken(text, start=6.5, pauses={10: 6.0, 20: 5.0, 30: 9.0})
    a = analyze(DESIGN, transcript=t)
    fixes = top_fixes(a, 3)
    assert len(fixes) == 3
    assert fixes[0].severity >= fixes[-1].severity
    all_codes = [f.code for f in a.flags]
    assert all_codes.count("long_silence") == 4  # one per silence, the wait before the first word included
    assert "slow_start" in all_codes
    # the leading wait is reported once (as slow_start), not twice
    assert not any(f.code == "long_silence" and f.at_s == 0.0 for f in top_fixes(a, 10))
    assert sum(f.code == "long_silence" for f in top_fixes(a, 10)) <= 2


def test_render_text_has_score_strengths_fixes_with_mmss_follow_up_and_missed_points() -> None:
    t = spoken("let's say about ten thousand devices each sending once a second. " + THIN_DESIGN, pauses={12: 7.0})
    a = analyze(DESIGN, transcript=t)
    out = render_text(a, DESIGN)
    assert f"Score {a.score}/100" in out
    assert "What went well" in out and "Top fixes" in out
    assert "Follow-up: " + a.follow_up in out
    silence = next(s for s in a.silences)
    assert f"[{mmss(silence.start)}]" in out
    assert "Key points missed: Deduplicates retried writes" in out
    assert "\n  + " in out


def test_strengths_name_what_went_well() -> None:
    story = ("at my last job i owned the payments api. i found a retry loop that double charged customers, added "
             "idempotency keys, and duplicate charges dropped from about thirty a week to zero. what i learned is to "
             "treat every retry path as a feature with its own tests.")
    a = analyze(BEHAVIORAL, text=story)
    good = strengths(a)
    assert any("context" in g.lower() for g in good)
    assert any("measurable result" in g.lower() for g in good)
    assert not any(f.code in ("missing_outcome", "no_measurable_result", "team_not_i") for f in a.flags)


def test_feedback_dict_is_embed_ready() -> None:
    a = analyze(DESIGN, text=THIN_DESIGN)
    d = feedback_dict(a, DESIGN)
    assert d["title"].startswith(f"{a.score}/100")
    assert d["description"] == a.summary
    names = [f["name"] for f in d["fields"]]
    assert names[:3] == ["What went well", "Top fixes", "Follow-up"]
    assert all(len(f["value"]) <= 1024 and f["value"] for f in d["fields"])
    assert isinstance(d["colour"], int)


def test_summary_is_one_or_two_sentences_and_names_the_gap() -> None:
    a = analyze(DESIGN, text=THIN_DESIGN)
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", a.summary)) <= 2
    assert "gap" in a.summary and str(a.score) in a.summary


def test_flags_carry_stable_codes_and_messages_in_the_contract() -> None:
    a = analyze(DESIGN, transcript=spoken(THIN_DESIGN, pauses={5: 6.0}))
    c = a.to_contract()
    for f in c["flags"]:
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", f["code"]) and f["message"]
    sil = [f for f in c["flags"] if f["code"] == "long_silence"]
    assert sil and sil[0]["at_s"] == c["silences"][0]["start"]
    assert c["metrics"]["words_per_minute"] is not None and 0 <= c["score"] <= 100


def test_mostly_we_story_flags_team_not_i_and_asks_what_you_did() -> None:
    story = ("we had a flaky deploy pipeline, so we looked into it as a team, we fixed the tests, we added retries, "
             "and our build failures went from about thirty percent to under five.")
    a = analyze(BEHAVIORAL, text=story)
    codes = [f.code for f in a.flags]
    assert "team_not_i" in codes and "missing_ownership" in codes
    fixes = [f.code for f in top_fixes(a, 5)]
    assert "team_not_i" in fixes and "missing_ownership" not in fixes  # one piece of advice, not two
    assert "personally" in a.follow_up or "you" in a.follow_up.lower()


def test_summary_mentions_long_pauses_for_audio_answers() -> None:
    t = spoken("let's say about ten thousand devices each sending once a second. " + THIN_DESIGN, pauses={12: 7.0})
    a = analyze(DESIGN, transcript=t)
    assert "pause" in a.summary


def test_behavioral_outcome_gap_asks_for_the_measured_result_not_the_decision() -> None:
    q = Question(id="behav-unit-fu", category="behavioral", prompt="", expected=("result",), key_points=(),
                 follow_ups=("How did you decide what to cut?", "How did you measure the impact afterwards?"),
                 target_seconds=90, difficulty="medium")
    story = ("at my last job i owned the export service. exports were timing out for big customers, so i moved them "
             "to a background job and emailed a link when ready. people were happy with it.")
    a = analyze(q, text=story)
    assert a.structure["outcome"] is False
    assert a.follow_up == "How did you measure the impact afterwards?"


@pytest.mark.slow
def test_spoken_answer_with_a_spliced_pause_gets_a_timestamped_fix(transcriber, tmp_path) -> None:
    """Real TTS + real model: a 6 s pause spliced between two sentences is reported where it is."""
    import numpy as np

    from bot.speech.audio import SAMPLE_RATE, decode_file
    from tests.conftest import espeak

    first = decode_file(espeak("Let's say about ten thousand devices, each sending once a second.",
                               tmp_path / "a.wav", voice="en-gb"))
    second = decode_file(espeak("They post to an ingest tier that writes to a durable log, and consumers "
                                "store the data in a time series database.", tmp_path / "b.wav", voice="en-gb"))
    loud = np.flatnonzero(np.abs(first) > 0.02)
    speech_end = (loud[-1] + 1) / SAMPLE_RATE
    pause = np.zeros(int(6.0 * SAMPLE_RATE), dtype=np.float32)
    samples = np.concatenate([first, pause, second]).astype(np.float32)
    a = analyze(DESIGN, transcript=transcriber.transcribe_sync(samples))
    assert len(a.silences) == 1
    gap = a.silences[0]
    assert abs(gap.start - speech_end) <= 0.6 and gap.duration_s >= 5.4
    assert any(f.code == "long_silence" for f in top_fixes(a, 3))
    assert f"[{mmss(gap.start)}]" in render_text(a, DESIGN)
