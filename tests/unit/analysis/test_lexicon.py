"""Transcript normalisation of whisper tiny.en artefacts: split compounds, number spellings, mishearings.

Every case also checks that each normalised token still points at the source word it came from,
so a match found in the normalised text maps back to the right word (and timestamp).
"""

from __future__ import annotations

import pytest

from bot.analysis import analyze, lexicon
from bot.analysis.lexicon import build_doc, doc_from_text, trigger_pattern
from bot.models import KeyPoint, Question


def norm(text: str) -> str:
    return doc_from_text(text).text


@pytest.mark.parametrize(
    ("heard", "typed"),
    [
        ("we weigh the trade -off here", "we weigh the trade-off here"),
        ("exponential back -off with jitter", "exponential backoff with jitter"),
        ("the on -call engineer gets paged", "the on-call engineer gets paged"),
        ("requests pile -up in the queue", "requests pile up in the queue"),
        ("a roll -back plan", "a rollback plan"),
        ("automatic fail -over to the replica", "automatic failover to the replica"),
        ("send it to a dead -letter queue", "send it to a dead letter queue"),
        ("a client time -out of two seconds", "a client timeout of two seconds"),
        ("one extra round -trip per call", "one extra round trip per call"),
        ("trade -offs, and more", "tradeoffs and more"),
    ],
)
def test_compounds_split_with_a_stray_hyphen_read_like_the_typed_word(heard: str, typed: str) -> None:
    assert norm(heard) == norm(typed)


def test_glued_compound_keeps_the_positions_of_the_words_around_it() -> None:
    words = "then the dead -letter queue fills".split()
    doc = build_doc(words, times=[0.0, 0.4, 0.8, 1.1, 1.5, 2.0])
    assert doc.tokens == ["then", "the", "dead", "letter", "queue", "fills"]
    assert [words[s] for s in doc.source] == ["then", "the", "dead", "dead", "queue", "fills"]
    assert doc.time_at(doc.text.index("queue")) == 1.5
    # a word split inside (not a compound) is still glued without the hyphen
    assert norm("tran -sactions") == "transactions"


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("about 100 ,000 users", "about 100000 users"),
        ("1 ,500 ,000 rows a day", "1500000 rows a day"),
        ("12 % of requests", "12 percent of requests"),
        ("12% of requests", "12 percent of requests"),
        ("the 95th percentile", "the 95 percentile"),
        ("the 99.9th percentile", "the 99.9 percentile"),
        ("keep p 99 under 200 ms", "keep p99 under 200 ms"),
        ("keep P99 under 200 ms", "keep p99 under 200 ms"),
        ("keep p ninety nine low", "keep p99 low"),
        ("a P-95 of", "a p95 of"),
    ],
)
def test_number_spellings_converge(heard: str, expected: str) -> None:
    assert norm(heard) == expected


def test_severity_levels_are_not_read_as_percentiles() -> None:
    assert norm("a p 1 incident") == "a p 1 incident"
    assert norm("p one incident") == "p one incident"


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("make the handler item potent", "make the handler idempotent"),
        ("item potency keys", "idempotency keys"),
        ("the right volume is high", "the write volume is high"),
        ("right volumes spike", "write volumes spike"),
        ("10000 rights per second", "10000 writes per second"),
        ("a right heavy workload", "a write heavy workload"),
        ("exactly, once delivery", "exactly once delivery"),
        ("at least, one delivery", "at least once delivery"),
        ("at least one's semantics", "at least once semantics"),
        ("at least one\u2019s semantics", "at least once semantics"),
        ("a dead letter cue", "a dead letter queue"),
        ("a message cue and a job cue", "a message queue and a job queue"),
        ("a cash hit or cash miss", "a cache hit or cache miss"),
        ("post gres or post grass", "postgres or postgres"),
        ("no sequel versus sequel", "nosql versus sql"),
        ("cafka or kafca", "kafka or kafka"),
        ("put it in red is", "put it in redis"),
        ("red is as a cache", "redis as a cache"),
    ],
)
def test_backend_mishearings_read_as_the_intended_term(heard: str, expected: str) -> None:
    assert norm(heard) == expected


def test_ordinary_phrases_are_left_alone() -> None:
    assert norm("at least one replica stays up") == "at least one replica stays up"
    assert norm("the right answer") == "the right answer"
    assert norm("users with admin rights") == "users with admin rights"


def test_three_word_mishearing_keeps_each_word_near_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # no three-word entry is in the table today (the ones there were fixed a synthetic voice's artefacts);
    # the mechanism stays for real ones: check it with an entry of the same shape
    monkeypatch.setitem(lexicon.TRIGRAM_MAP, ("and", "luckily", "once"), "exactly once")
    words = "we want and luckily once delivery".split()
    doc = build_doc(words, times=[0.0, 0.3, 0.6, 0.8, 1.2, 1.5])
    assert doc.tokens == ["we", "want", "exactly", "once", "delivery"]
    assert [words[s] for s in doc.source] == ["we", "want", "and", "once", "delivery"]
    assert doc.time_at(doc.text.index("once")) == 1.2
    assert doc.n_words == 6


def test_key_point_triggers_fire_on_the_misheard_forms() -> None:
    assert trigger_pattern("backoff").search(norm("retry with exponential back -off"))
    assert trigger_pattern("dead-letter queue").search(norm("park it in a dead -letter cue."))
    assert trigger_pattern("p99").search(norm("the p 99 latency"))
    assert trigger_pattern("exactly once").search(norm("you never get exactly once"))
    assert trigger_pattern("idempotency key").search(norm("send an item potency key"))


_Q = Question(
    id="t-db-choice", category="fundamentals", prompt="Which database for the ledger?", follow_ups=(),
    expected=("outcome",), key_points=(KeyPoint("choice", "a choice", ("postgres",)),), target_seconds=60, difficulty="easy",
)


@pytest.mark.parametrize("verb", ["And pick", "Pick", "Choose", "And choose", "So go with"])
def test_bare_choice_verb_with_over_is_a_decision(verb: str) -> None:
    # whisper drops a quiet "I'd": "And pick Postgres over Mongo." still commits to a choice
    text = (f"Postgres gives joins and transactions, Mongo gives a flexible schema. "
            f"{verb} Postgres over Mongo, the ledger is relational.")
    assert analyze(_Q, text=text).structure["outcome"] is True


def test_comparing_without_choosing_is_not_a_decision() -> None:
    text = "Postgres gives joins and transactions, Mongo gives a flexible schema. Both are fine, it depends."
    assert analyze(_Q, text=text).structure["outcome"] is False
