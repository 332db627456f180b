"""Setting a member's target role: read the pasted text, then store it (only with consent)."""

from __future__ import annotations

import random

from bot.models import Question
from bot.practice.tailoring import Pick, RoleNeeds, choose_many, clean_markup, read_description
from bot.storage.db import Database
from bot.storage.profiles import Profile, get_profile, save_profile

PREVIEW_PICKS = 3


async def set_profile(db: Database, user_id: int, *, role: str, text: str, consented: bool,
                      user_name: str = "") -> RoleNeeds:
    """Read `text` (raises `DescriptionError` with the reason when unusable: nothing is stored then)
    and store the role, the cleaned text and the matched skills, strongest first."""
    needs = read_description(text, role)
    await save_profile(db, user_id, role=needs.role, description=clean_markup(text),
                       skills=needs.top(len(needs.weights)), consented=consented, user_name=user_name)
    return needs


def profile_needs(profile: Profile) -> RoleNeeds:
    """What a stored profile asks for, rebuilt from its matched skills (strongest first)."""
    return RoleNeeds.from_tags(profile.skills, role=profile.role, text=profile.description)


async def role_needs(db: Database | None, user_id: int) -> RoleNeeds | None:
    """The member's needs for picking, or None without a profile (the policy then picks at random)."""
    if db is None:
        return None
    profile = await get_profile(db, user_id)
    return profile_needs(profile) if profile and profile.skills else None


def preview(questions: list[Question], needs: RoleNeeds, seed: int) -> list[Pick]:
    """A few questions the member's next round could ask, so they see the profile working."""
    return choose_many(questions, needs, PREVIEW_PICKS, rng=random.Random(seed))
