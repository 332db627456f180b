"""Setting a member's target role: read the pasted text, then store it (only with consent)."""

from __future__ import annotations

import random

from bot.models import Question
from bot.practice.tailoring import Pick, RoleNeeds, choose_many, clean_markup, read_description
from bot.storage.db import Database
from bot.storage.profiles import save_profile

PREVIEW_PICKS = 3


async def set_profile(db: Database, user_id: int, *, role: str, text: str, consented: bool,
                      user_name: str = "") -> RoleNeeds:
    """Read `text` (raises `DescriptionError` with the reason when unusable: nothing is stored then)
    and store the role, the cleaned text and the matched skills, strongest first."""
    needs = read_description(text, role)
    await save_profile(db, user_id, role=needs.role, description=clean_markup(text),
                       skills=needs.top(len(needs.weights)), consented=consented, user_name=user_name)
    return needs


def preview(questions: list[Question], needs: RoleNeeds, seed: int) -> list[Pick]:
    """A few questions the member's next round could ask, so they see the profile working."""
    return choose_many(questions, needs, PREVIEW_PICKS, rng=random.Random(seed))
