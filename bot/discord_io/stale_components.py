"""Parley's component ids, and a private answer to presses that no live view handles any more.

Discord keeps showing a message's buttons after the bot restarts, and after a view was stopped
(a round ended). A press on one reaches no view, and Discord shows the user "This interaction
failed". Every Parley component has a custom_id `parley:<area>:<name>` (`parley_id`), so the
client recognises such presses and answers them with a short ephemeral note instead
(`answer_stale_component`, called from `ParleyBot.on_interaction`).

Whether discord.py routed the interaction to a live view must be decided when it is dispatched
(`note_routing`, called from `ParleyBot.dispatch` right after discord.py's ViewStore had it):
a view's callback may stop its own view before its first await (the privacy prompts do), so a
lookup made later, in the listener, would wrongly see their presses as unhandled and answer
twice. discord.py offers no public query for "would a view handle this"; `routed_to_view`
mirrors `ViewStore.dispatch_view` / `dispatch_modal` and is tested against the real ViewStore
with real INTERACTION_CREATE payloads (tests/discord/test_stale_components.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import discord

from bot.text_safety import safe_excerpt

log = logging.getLogger(__name__)

PREFIX = "parley:"
ROUTED_KEY = "parley_routed_to_view"  # in `Interaction.extras`: set by `note_routing`

STALE_ROUND_TEXT = "This round has ended — start a new one with /mock start."
STALE_GROUP_TEXT = "This group has ended — start a new one with /group start."
STALE_RATING_TEXT = "Rating for this answer has closed."
STALE_GENERIC_TEXT = ("These buttons have expired (their message is finished, or I restarted). "
                      "Run the command again to get fresh ones.")
# What a stale press in each area is told (the area is the second part of the custom_id).
STALE_TEXTS: dict[str, str] = {
    "mock": STALE_ROUND_TEXT,
    "group": STALE_GROUP_TEXT,    # /group lobby and turn buttons, typed group answers
    "rating": STALE_RATING_TEXT,  # a group answer's rating button and form
    "privacy": "This confirmation has expired, so nothing was deleted. Run `/privacy delete` again if you want to.",
    "answer": ("These feedback buttons have expired (I restarted or hours have passed). Answer the question "
               "again in its thread, or see your answers with /history."),
}


def parley_id(area: str, name: str) -> str:
    """`parley:<area>:<name>`, the custom_id of a Parley component (Discord allows 100 chars)."""
    cid = f"{PREFIX}{area}:{name}"
    if len(cid) > 100:
        raise ValueError(f"custom_id too long for Discord: {cid!r}")
    return cid


def is_parley_id(custom_id: Any) -> bool:
    return isinstance(custom_id, str) and custom_id.startswith(PREFIX)


def area_of(custom_id: str) -> str:
    """'mock' for 'parley:mock:skip' ('' when there is no area)."""
    rest = custom_id[len(PREFIX):] if is_parley_id(custom_id) else ""
    return rest.split(":", 1)[0] if ":" in rest else ""


def stale_text(custom_id: str) -> str:
    return STALE_TEXTS.get(area_of(custom_id), STALE_GENERIC_TEXT)


def _custom_id(interaction: discord.Interaction) -> str | None:
    if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
        return None
    data: Any = interaction.data or {}
    cid = data.get("custom_id")
    return cid if isinstance(cid, str) else None


def routed_to_view(view_store: Any, interaction: discord.Interaction) -> bool:
    """Whether discord.py's ViewStore dispatches this component press / modal submit to a live
    view, modal or dynamic item (the same lookups as `ViewStore.dispatch_view`/`dispatch_modal`).

    When the store's layout is not what this expects (another discord.py version), it answers
    True: better no fallback than a second answer to a press a view handled.
    """
    cid = _custom_id(interaction)
    if cid is None:
        return True
    try:
        if interaction.type is discord.InteractionType.modal_submit:
            return cid in view_store._modals
        data: Any = interaction.data or {}
        key = (data.get("component_type"), cid)
        views = view_store._views
        message = interaction.message
        item = views.get(message.id, {}).get(key) if message is not None else None
        if item is None:
            item = views.get(None, {}).get(key)
        if item is not None and item.view is not None and not item.view.is_finished():
            return True
        return any(pattern.fullmatch(cid) for pattern in view_store._dynamic_items)
    except (AttributeError, TypeError):
        log.warning("discord.py's ViewStore changed shape; stale Parley buttons get no answer", exc_info=True)
        return True


def note_routing(view_store: Any, interaction: discord.Interaction) -> None:
    """Record on a Parley component interaction whether a live view handles it. Call it when the
    interaction is dispatched, before any view callback ran."""
    if is_parley_id(_custom_id(interaction)):
        interaction.extras[ROUTED_KEY] = routed_to_view(view_store, interaction)


def _typed_values(components: Any) -> Iterator[str]:
    """Text typed into a modal's inputs (found at any depth of the submitted components)."""
    if isinstance(components, dict):
        value = components.get("value")
        if isinstance(value, str) and value.strip():
            yield value
        for key in ("components", "component"):
            if key in components:
                yield from _typed_values(components[key])
    elif isinstance(components, list):
        for c in components:
            yield from _typed_values(c)


def is_stale(interaction: discord.Interaction) -> bool:
    """A Parley component press / modal submit that no live view takes (as noted at dispatch)."""
    return is_parley_id(_custom_id(interaction)) and interaction.extras.get(ROUTED_KEY, True) is False


def typed_text_embed(interaction: discord.Interaction) -> discord.Embed | None:
    """For a modal submit that is not taken (a stale box, one over the rate limit): what the
    member typed, handed back so it isn't lost; None for anything else or an empty box."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: dict[str, Any] = dict(interaction.data or {})
    typed = "\n\n".join(_typed_values(data.get("components")))
    if not typed:
        return None
    return discord.Embed(title="What you typed (so it isn't lost)", description=safe_excerpt(typed, 4000))


async def answer_stale_component(interaction: discord.Interaction) -> bool:
    """Answer a Parley component press / modal submit that no view handled, privately.

    Returns True when it answered. Interactions that are not Parley's, that a view handled, or
    that were not noted at dispatch (`note_routing`) are left alone.
    """
    cid = _custom_id(interaction)
    if not is_stale(interaction) or interaction.response.is_done():
        return False
    assert cid is not None
    text = stale_text(cid)
    embed = typed_text_embed(interaction)
    log.info("stale Parley component %s pressed by user %s", cid, getattr(interaction.user, "id", "?"))
    try:
        if embed is not None:
            await interaction.response.send_message(text, embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except (discord.InteractionResponded, discord.HTTPException):
        log.debug("could not answer a stale component press", exc_info=True)
        return False
    return True
