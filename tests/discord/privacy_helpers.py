"""`/privacy delete` driven through spec_set Discord mocks (tests/discord/test_erasure_cog.py,
test_erasure_mock.py)."""

from __future__ import annotations

from typing import Any

from cogs.privacy import DeleteConfirmView, PrivacyCog
from tests.discord.helpers import MockInteraction


async def erase(privacy_cog: PrivacyCog, member: Any, guild: Any) -> str:
    """`/privacy delete` and the Erase press, as the member; returns the final reply's text."""
    ask = MockInteraction(user=member, guild=guild)
    await privacy_cog.delete.callback(privacy_cog, ask)
    view = ask.response.send_message.call_args.kwargs["view"]
    assert isinstance(view, DeleteConfirmView)
    confirm = MockInteraction(user=member, guild=guild)
    await view.confirm.callback(confirm)
    return confirm.edit_original_response.call_args.kwargs["content"]
