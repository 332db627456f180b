"""Answer analysis: delivery (timing), structure, key points, flags, score and follow-up.

`analyze(question, transcript=... | text=...)` is the one entry point; its `Analysis.to_contract()`
is the JSON of docs/architecture.md. Pure CPU work on small strings: a 5-minute answer takes a few ms.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.analysis.learned import apply_learned
from bot.analysis.lexicon import build_doc, doc_from_text, trigger_pattern
from bot.analysis.moments import annotate
from bot.analysis.scoring import (
    CATEGORY_DEFAULT_EXPECTED,
    SPOKEN_WPM,
    LengthInfo,
    biggest_gap,
    build_flags,
    choose_follow_up,
    compute_score,
    derive_strengths,
    make_summary,
)
from bot.analysis.structure import detect_structure
from bot.analysis.timing import text_timing, transcript_timing
from bot.config import Settings
from bot.models import Analysis, KeyPoint, Question, Transcript

__all__ = ["analyze", "expected_elements", "key_point_coverage"]


def expected_elements(question: Question) -> tuple[str, ...]:
    """The elements checked for this question: its `expected`, or the category's defaults."""
    exp = tuple(question.expected) or CATEGORY_DEFAULT_EXPECTED.get(question.category, ())
    return tuple(dict.fromkeys(("assumptions", "outcome") + tuple(e for e in exp)))


@lru_cache(maxsize=4096)
def _kp_patterns(triggers: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(trigger_pattern(t) for t in triggers if t.strip())


def key_point_coverage(key_points: tuple[KeyPoint, ...], normalized_text: str) -> tuple[list[str], list[str]]:
    """(covered labels, missed labels): a point is covered when any trigger or a light variant is heard."""
    covered, missed = [], []
    for kp in key_points:
        if any(p.search(normalized_text) for p in _kp_patterns(tuple(kp.triggers))):
            covered.append(kp.label)
        else:
            missed.append(kp.label)
    return covered, missed


def analyze(
    question: Question,
    *,
    transcript: Transcript | None = None,
    text: str | None = None,
    settings: Settings | None = None,
) -> Analysis:
    if (transcript is None) == (text is None):
        raise ValueError("analyze() needs exactly one of transcript= or text=")
    settings = settings or Settings()
    threshold = settings.long_silence_s
    if transcript is not None:
        words = sorted(transcript.words, key=lambda w: (w.start, w.end))
        source_words, source_times = [w.text for w in words], [w.start for w in words]
        doc = build_doc(source_words, source_times)
        timing = transcript_timing(transcript, threshold)
        raw_text = transcript.text
        duration: float | None = transcript.duration_s
        span = timing.speaking_span_s or 0.0
        length = LengthInfo(seconds=span, estimated=False, words=timing.word_count)
        is_audio = True
    else:
        raw_text = (text or "").strip()
        source_words, source_times = raw_text.split(), None
        doc = doc_from_text(raw_text)
        timing = text_timing(raw_text)
        duration = None
        length = LengthInfo(seconds=timing.word_count / SPOKEN_WPM * 60.0, estimated=True, words=timing.word_count)
        is_audio = False

    struct = detect_structure(doc, question.category, expected_elements(question))
    if settings.structure_detector == "learned":
        apply_learned(struct, doc, question.category, spoken=is_audio)
    covered, missed = key_point_coverage(question.key_points, doc.text)
    flags = build_flags(question, struct, timing, length, missed, len(question.key_points), threshold)
    flags = annotate(flags, question, struct, doc, source_words, source_times, timing.silences, missed)
    score = compute_score(question, struct, timing, length, len(covered), len(question.key_points), flags, is_audio)
    gap = biggest_gap(question, struct, flags) if length.words else None
    follow_up = choose_follow_up(question, gap) if length.words else (
        "Take a moment, then answer out loud: start with what you would assume, and go step by step.")
    strengths = derive_strengths(struct, timing, covered, len(question.key_points), flags, is_audio, question.category)
    summary = make_summary(score, strengths, gap, question.category, length.words, flags)
    return Analysis(
        question_id=question.id,
        category=question.category,
        transcript=raw_text,
        duration_s=duration,
        metrics=timing.metrics(),
        silences=timing.silences,
        structure=dict(struct.present),
        flags=flags,
        score=score,
        follow_up=follow_up,
        summary=summary,
        strengths=strengths,
        key_points_covered=covered,
        key_points_missed=missed,
    )
