"""A spoken answer with long pauses to the telemetry-ingestion question, as whisper's words would
time it (tests/unit/practice/test_timeline.py, tests/discord/test_tailored_round.py)."""

from __future__ import annotations

from pathlib import Path

from bot.bank import load_bank
from bot.models import Transcript, Word

BANK = load_bank(Path(__file__).resolve().parents[3] / "question_bank")
Q = BANK.get("design-telemetry-ingestion")

PARTS = (
    "So um first I assume about ten thousand vehicles, each sending one reading per second.",
    "Vehicles send to a stateless ingestion service behind a load balancer, which writes into Kafka.",
    "In the end I would pick Kafka over a database queue because replay matters more than simplicity.",
)


def spoken(parts=PARTS, gap_s: float = 6.0) -> Transcript:
    """Words at a steady pace, with a long pause between the parts."""
    words, t = [], 0.5
    for part in parts:
        for w in part.split():
            words.append(Word(" " + w, t, t + 0.25))
            t += 0.32
        t += gap_s
    return Transcript(words=words, duration_s=t)
