"""Transcript normalisation of whisper tiny.en artefacts: split compounds, number spellings, mishearings.

Every case also checks that each normalised token still points at the source word it came from,
so a match found in the normalised text maps back to the right word (and timestamp).
"""

from __future__ import annotations

import pytest

from bot.analysis.lexicon import build_doc, doc_from_text


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
