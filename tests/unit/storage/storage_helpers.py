"""A stored analysis to write in the storage tests (tests/unit/storage/test_storage.py,
tests/scale/test_postgres.py)."""

from __future__ import annotations

from bot.models import Analysis, Flag, Silence


def make_analysis(qid: str = "coding-rate-limiter", score: int = 64) -> Analysis:
    return Analysis(
        question_id=qid, category="coding", transcript="I assume one region. A hash map, linear time.",
        duration_s=42.5, metrics={"words_per_minute": 140.0, "time_to_first_word_s": 1.2,
                                  "filler_words": 2, "speaking_ratio": 0.8},
        silences=[Silence(10.0, 15.5)], structure={"assumptions": True, "outcome": False},
        flags=[Flag("long_silence", "5.5 s of silence", 10.0), Flag("missing_outcome", "Land it.")],
        score=score, follow_up="What is the space cost?", summary="Good start.",
    )
