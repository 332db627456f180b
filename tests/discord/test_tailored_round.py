"""A mock round for a member with a profile picks by their role and says why on each card."""

from __future__ import annotations

import random
from pathlib import Path

from bot.bank import load_bank
from bot.discord_io.embeds import question_embed
from bot.practice.tailoring import read_description
from cogs.mock import make_picker
from tests.unit.test_tailoring import SRE

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
