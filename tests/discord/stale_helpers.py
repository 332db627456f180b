"""Real interaction dispatch without Discord: a fake network peer for interaction callbacks, and
INTERACTION_CREATE payloads parsed by a real bot's ConnectionState (tests/discord/test_stale_components.py,
test_stale_group.py; the bot is the `dispatch_bot` fixture of tests/discord/conftest.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from discord.webhook.async_ import AsyncWebhookAdapter

from bot.discord_io.client import ParleyBot
from tests.discord.helpers import next_id

EPHEMERAL = 64  # the message flag Discord uses for "only you can see this"


class FakeDiscord(AsyncWebhookAdapter):
    """The network peer: records interaction callbacks instead of POSTing them to Discord."""

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: list[dict[str, Any]] = []

    async def request(self, route: Any, session: Any = None, **kwargs: Any) -> Any:
        assert route.path == "/interactions/{webhook_id}/{webhook_token}/callback", route.path
        self.callbacks.append(kwargs.get("payload") or {})
        # A real HTTP round trip suspends the caller before Discord's answer arrives; yield once
        # to the loop as it would (this models the network; it synchronises nothing in the test).
        await asyncio.sleep(0)
        return {"interaction": {"id": str(route.webhook_id), "type": 3}}


USER_ID = 4242


def component_payload(custom_id: str, message_id: int, *, user_id: int = USER_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE for a button press in a DM, as Discord's gateway sends it."""
    channel_id = next_id()
    user = {"id": str(user_id), "username": "ada", "discriminator": "0", "global_name": "Ada", "avatar": None}
    return {
        "id": str(next_id()), "application_id": str(next_id()), "type": 3, "token": "interaction-token",
        "version": 1, "channel_id": str(channel_id), "channel": {"id": str(channel_id), "type": 1},
        "user": user, "locale": "en-US", "app_permissions": "0", "entitlements": [],
        "authorizing_integration_owners": {"1": str(user_id)}, "context": 1,
        "attachment_size_limit": 10 * 1024 * 1024,
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": {
            "id": str(message_id), "channel_id": str(channel_id), "type": 0, "content": "",
            "author": {"id": str(next_id()), "username": "Parley", "discriminator": "0", "avatar": None,
                       "bot": True},
            "timestamp": "2026-11-25T08:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "flags": 0, "components": [],
        },
    }


async def deliver(bot: ParleyBot, payload: dict[str, Any]) -> None:
    """The gateway event, parsed by the real ConnectionState; then every task it started
    (view callbacks, listeners) run to completion."""
    before = asyncio.all_tasks()
    bot._connection.parse_interaction_create(payload)
    started = asyncio.all_tasks() - before
    await asyncio.gather(*started)
