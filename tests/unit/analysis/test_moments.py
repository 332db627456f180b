"""Feedback that teaches: each flagged gap quotes the moment it is about, at its time, with a stronger sentence."""

from __future__ import annotations

import pytest

from bot.analysis import analyze
from bot.analysis.moments import key_point_clause, load_coaching
from bot.config import Settings
from bot.models import KeyPoint, Question, Transcript, Word

RULES = Settings(structure_detector="rules")
Q = Question(id="design-unit", category="system_design", prompt="Design a telemetry pipeline.", follow_ups=(),
             expected=("assumptions", "outcome"), target_seconds=60, difficulty="medium",
             key_points=(KeyPoint("log", "Writes into a durable log such as Kafka", ("kafka",)),
                         KeyPoint("dedupe", "Deduplicates readings by event id", ("dedupe",))))


def spoken(text: str, pause_after: int | None = None, pause_s: float = 6.0) -> Transcript:
    words, t = [], 0.5
    for k, w in enumerate(text.split()):
        words.append(Word(w, t, t + 0.3, 0.9))
        t += 0.4 + (pause_s if pause_after is not None and k + 1 == pause_after else 0.0)
    return Transcript(words=words, duration_s=t + 0.5)


def flag(analysis, code: str):  # type: ignore[no-untyped-def]
    return next(f for f in analysis.flags if f.code == code)


ANSWER = ("the vehicles post readings to an api. the api puts them on a queue and workers write them to a database. "
          "dashboards read from the database and kafka also feeds the analytics jobs.")


def test_an_unframed_answer_is_quoted_where_the_solving_starts() -> None:
    a = analyze(Q, transcript=spoken(ANSWER), settings=RULES)
    f = flag(a, "missing_assumptions")
    assert f.quote is not None and f.quote.startswith("the vehicles post readings")
    assert f.at_s == pytest.approx(0.5)
    assert f.suggestion and "writes per second" in f.suggestion


def test_an_answer_that_never_lands_is_quoted_where_it_stops_with_a_key_point_in_the_stronger_sentence() -> None:
    a = analyze(Q, transcript=spoken(ANSWER), settings=RULES)
    f = flag(a, "missing_outcome")
    assert f.quote is not None and f.quote.rstrip("…").endswith("feeds the analytics jobs.")
    last_sentence_start = ANSWER.split().index("dashboards")
    assert f.at_s is not None and f.at_s >= 0.5 + 0.4 * last_sentence_start - 1e-6
    assert "deduplicate readings by event id" in (f.suggestion or "")  # the key point the answer missed
    assert f.to_dict()["quote"] == f.quote and f.to_dict()["suggestion"] == f.suggestion


def test_a_long_pause_is_quoted_by_the_words_just_before_it() -> None:
    a = analyze(Q, transcript=spoken(ANSWER, pause_after=14), settings=RULES)
    f = next(f for f in a.flags if f.code == "long_silence" and (f.at_s or 0) > 1)
    assert f.quote is not None and f.quote.rstrip("…").endswith("on a queue")


def test_typed_answers_get_quotes_without_times() -> None:
    a = analyze(Q, text=ANSWER, settings=RULES)
    f = flag(a, "missing_assumptions")
    assert f.quote and f.at_s is None


@pytest.mark.parametrize(("label", "clause"), [
    ("Writes into a durable log", "write into a durable log"),
    ("Deduplicates readings", "deduplicate readings"),
    ("Publishes events for other teams", "publish events for other teams"),
    ("Applies backpressure", "apply backpressure"),
    ("Keeps an append-only history", "keep an append-only history"),
])
def test_key_points_read_as_first_person_clauses(label: str, clause: str) -> None:
    assert key_point_clause(label) == clause


@pytest.mark.parametrize("label", ["Stateless ingestion tier behind a load balancer", "SQL vs NoSQL", "Latency, not just throughput", "Client retries"])
def test_a_key_point_that_opens_without_an_action_is_not_forced_into_one(label: str) -> None:
    assert key_point_clause(label) == ""


def test_every_coaching_template_names_a_known_category() -> None:
    for code, by_cat in load_coaching().items():
        assert set(by_cat) <= {"coding", "fundamentals", "system_design", "behavioral"}, code
