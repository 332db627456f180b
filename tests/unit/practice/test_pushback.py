"""Pushback: finding the committed decision, choosing the challenge, and judging the reply.

The labelled replies below were written for this test by the same author as the rules (dev data,
not a sealed evaluation): they check that the rules do what they say, and the per-class precision
and recall printed by `test_reply_judgement_precision_and_recall` are figures on that dev set.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.bank import load_bank
from bot.models import Transcript, Word
from bot.practice.pushback import VERDICTS, choose_challenge, feedback_lines, find_decision, judge_reply

BANK = load_bank(Path(__file__).resolve().parents[3] / "question_bank")

# (question id, answer's decision, challenge) contexts the replies answer
CTX = {
    "kafka": ("design-telemetry-ingestion",
              "I'd go with Kafka as the durable log because replay matters more than simplicity here.",
              "Kafka is a lot to operate for one team. Why not write straight into a time-series database?"),
    "sql": ("fund-sql-vs-nosql", "For the orders service I'd pick Postgres since we need transactions across tables.",
            "Document stores let teams move faster without migrations. Why take on a rigid schema?"),
    "ttl": ("fund-caching-invalidation", "So I'd use a short TTL and skip explicit invalidation.",
            "Invalidation is famously hard. Why not just use a short TTL and skip it?"),
    "lock": ("coding-shared-counter-race", "I'd protect the increment with a lock.",
             "Locks are slow. Why not just accept a slightly wrong count?"),
    "story": ("behav-architecture-disagreement", "In the end we chose the event-driven design I proposed.",
              "If the other approach had been chosen, what would really have gone wrong?"),
}

LABELLED: list[tuple[str, str, str]] = [
    # ---- updated: changes or narrows the position
    ("kafka", "updated", "That's a fair point. For a team of three I'd start with a managed time-series database "
                         "and add a log later if replay becomes a real need."),
    ("kafka", "updated", "You're right, operating Kafka is heavy. I'd use a managed queue like Kinesis instead, "
                         "since we still get replay without running brokers."),
    ("kafka", "updated", "Hmm, I hadn't considered the operations load. In that case I'd write straight into the "
                         "time-series store and keep raw files in object storage for replays."),
    ("sql", "updated", "Good point. If the schema really changes every week I'd go with a document store instead, "
                       "and keep only the payments ledger in Postgres."),
    ("sql", "updated", "Actually I'd reconsider: the orders are mostly read by id, so a key-value store would do, "
                       "as long as we can live without joins."),
    ("ttl", "updated", "I agree the TTL alone serves stale prices. I'd add invalidation on writes for prices and "
                       "keep the TTL only as a safety net."),
    ("ttl", "updated", "On second thought, for inventory counts a stale read is costly, so I'd switch to "
                       "write-through for that table."),
    ("lock", "updated", "That's fair, for a dashboard an approximate count is fine, so I'd use per-thread "
                        "counters and sum them at the end instead of locking."),
    ("lock", "updated", "OK, that changes my answer: I'd use an atomic increment instead of the lock, "
                        "which is cheaper and still exact."),
    ("story", "updated", "Fair enough, honestly the other design would probably have worked too; I'd say our "
                         "choice mostly saved us a migration, not an outage."),
    ("kafka", "updated", "Yeah, let me revise that. A single Postgres table partitioned by day would carry "
                         "this load for a year, so I'd start there."),
    ("sql", "updated", "I was wrong to say we need joins everywhere. I'd rather model the catalog as documents "
                       "because each product has different attributes."),
    # ---- defended: keeps the decision and gives a reason
    ("kafka", "defended", "I'd still keep Kafka, because replaying a day of data after a bad deploy is exactly "
                          "what this pipeline needs, and a managed offering takes most of the operations away."),
    ("kafka", "defended", "The operations cost is real, but it's a cost I'm willing to pay: with ten thousand "
                          "vehicles writing every second, the database alone would fall over during backfills."),
    ("sql", "defended", "I'd stick with Postgres, since orders and payments must change together in one "
                        "transaction; migrations are a small price for that."),
    ("sql", "defended", "The schema isn't rigid in practice: we add nullable columns online. The reason I chose "
                        "SQL is the reporting joins the finance team runs daily."),
    ("ttl", "defended", "For this catalog a minute of staleness is acceptable, since prices change once a day, "
                        "so the short TTL keeps things simple."),
    ("ttl", "defended", "I'm comfortable with the TTL here because every write already goes through one service, "
                        "and we can lower it to ten seconds if complaints show up."),
    ("lock", "defended", "The count drives billing, so it has to be exact; the lock is held for a few "
                         "nanoseconds, which is not a bottleneck at our scale."),
    ("lock", "defended", "I'd keep the lock. A wrong count means invoices that don't match, and contention is "
                         "low because each thread increments maybe a thousand times a second."),
    ("story", "defended", "The synchronous design would have coupled checkout to the email service, so every "
                          "email outage would have blocked orders; that's why I stand by the event-driven choice."),
    ("story", "defended", "We measured it: the polling version needed three times the database reads, which "
                          "is why the team agreed with the event-driven design."),
    ("kafka", "defended", "Writing straight to the time-series database loses the buffer we need when it slows "
                          "down, so I'd still put the log in front, given how bursty vehicle uploads are."),
    ("sql", "defended", "Moving faster without migrations just moves the schema into the code. For money I "
                        "want the database to enforce it, so I'd keep Postgres."),
    # ---- rigid: dismisses without a reason, repeats, gets defensive
    ("kafka", "rigid", "No, Kafka is fine. Everyone uses it."),
    ("kafka", "rigid", "Like I said, I'd go with Kafka as the durable log, replay matters more than simplicity."),
    ("kafka", "rigid", "That doesn't really matter. It's the standard choice, trust me."),
    ("sql", "rigid", "I already told you, Postgres. That's just how it's done for orders."),
    ("sql", "rigid", "No. Document stores are a bad idea, obviously."),
    ("ttl", "rigid", "It's fine. A short TTL, skip invalidation, that's my answer."),
    ("ttl", "rigid", "Whatever, stale data never happens in practice."),
    ("lock", "rigid", "I disagree. We just wouldn't do that."),
    ("lock", "rigid", "As I said, I'd protect the increment with a lock."),
    ("story", "rigid", "Nothing would have gone wrong because we chose mine, that's not a relevant question."),
    ("story", "rigid", "I don't need to justify it, the team went with the event-driven design I proposed."),
    ("sql", "rigid", "That's not an issue. I'd pick Postgres, we need transactions across tables."),
]


def _judge(ctx: str, reply: str):
    qid, answer, challenge = CTX[ctx]
    return judge_reply(reply, challenge=challenge, answer=answer, question=BANK.get(qid))


def test_reply_judgement_precision_and_recall(capsys):
    predicted = [(_judge(ctx, reply).verdict, label) for ctx, label, reply in LABELLED]
    counts = Counter(label for _, label, _ in LABELLED)
    assert all(counts[v] >= 12 for v in VERDICTS)
    report = []
    for cls in VERDICTS:
        tp = sum(1 for p, g in predicted if p == cls and g == cls)
        fp = sum(1 for p, g in predicted if p == cls and g != cls)
        fn = sum(1 for p, g in predicted if p != cls and g == cls)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        report.append((cls, precision, recall, counts[cls]))
        assert precision >= 0.8 and recall >= 0.8, (cls, precision, recall,
                                                    [(c, g, r) for (c, g, r), (p, _) in zip(LABELLED, predicted)
                                                     if (p == cls) != (g == cls)])
    with capsys.disabled():
        print("\npushback reply judgement on the labelled dev set:")
        for cls, p, r, n in report:
            print(f"  {cls:<9} precision {p:.2f}  recall {r:.2f}  (n={n})")


@pytest.mark.parametrize(("reply", "verdict"), [
    ("", "no_reply"),
    ("um", "no_reply"),
    ("I had pasta for lunch today and the weather is lovely outside.", "off_topic"),
])
def test_silence_and_off_topic_replies(reply, verdict):
    j = _judge("kafka", reply)
    assert j.verdict == verdict
    assert not j.reason_given or verdict != "no_reply"


def test_decision_found_in_typed_and_spoken_answers():
    text = ("We need to ingest ten thousand readings a second. There are options like a database queue or a log. "
            "I'd go with Kafka here because replay matters. Then consumers write to a time-series store.")
    d = find_decision(text)
    assert d is not None and d.text.startswith("I'd go with Kafka") and d.at_s is None
    assert find_decision("It depends on many things. Caching is nice and queues are useful.") is None
    assert find_decision("Caching is nice. That's my answer.") is None  # the end phrase commits to nothing
    assert find_decision(text + " That's my answer.").text == d.text
    words, t = [], 0.0
    for w in text.split():
        words.append(Word(w, t, t + 0.3))
        t += 0.4
    spoken = find_decision(transcript=Transcript(words=words, duration_s=t))
    assert spoken is not None and spoken.text == d.text
    first = text.split().index("I'd")
    assert spoken.at_s == pytest.approx(first * 0.4)


def test_challenge_is_chosen_by_what_was_decided():
    q = BANK.get("design-telemetry-ingestion")
    kafka = find_decision("I'd go with Kafka and a time-series database here.")
    assert "Kafka" in choose_challenge(q, kafka)
    two_stores = find_decision("I'd go with two stores: a hot store and cheap analytics storage.")
    assert "two stores" in choose_challenge(q, two_stores)


def test_feedback_quotes_the_moment():
    qid, answer, challenge = CTX["lock"]
    assert find_decision(answer) is None  # a proposal, not a firm choice: it needs a matching challenge
    decision = find_decision(answer, challenges=BANK.get(qid).challenges)
    assert find_decision("I'd protect it with care.", challenges=BANK.get(qid).challenges) is None
    j = _judge("lock", "Whatever, we just wouldn't do that.")
    lines = feedback_lines(decision, challenge, j)
    assert lines[0] == "You committed: “I'd protect the increment with a lock.”"
    assert lines[1] == f"I challenged: “{challenge}”"
    assert lines[2].startswith("You replied: “Whatever")
    assert "rigid" in lines[3]
