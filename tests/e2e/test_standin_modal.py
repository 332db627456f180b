"""The stand-in shows and submits modals as Discord does (no bot process: a few seconds).

The interaction callback takes a modal (response type 9) only when Discord would (title ≤ 45
characters, 1–5 top-level components, custom_ids ≤ 100, a label's text ≤ 45; never as the answer to
a modal submit) and answers 400 otherwise; every modal Parley shows passes. `submit_modal`
answers a select inside a label the way Discord's gateway sends it, and refuses what a person
could not submit.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord_io.group_views import AnswerModal, RatingModal
from bot.discord_io.profile_views import ProfileModal
from bot.discord_io.views import TextAnswerModal
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.rest import modal_problem

pytestmark = pytest.mark.e2e

T = 10.0


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("alice", in_voice=True)
    return w


async def _noop(*_: Any) -> None:
    return None


async def parley_modals() -> list[discord.ui.Modal]:
    """Every modal the bot shows, as it builds them (the rating modal with the longest name)."""
    return [RatingModal(None, 1, "x" * 32, 30.0), AnswerModal(None), TextAnswerModal(_noop),  # type: ignore[arg-type]
            ProfileModal(_noop)]


async def test_every_parley_modal_is_one_discord_accepts() -> None:
    for modal in await parley_modals():
        data = json.loads(json.dumps(modal.to_dict()))
        assert modal_problem(data) is None, (type(modal).__name__, data)


async def test_modal_limits_as_discord_checks_them() -> None:
    rating = json.loads(json.dumps((await parley_modals())[0].to_dict()))
    label = rating["components"][0]

    def changed(**patch: Any) -> dict[str, Any]:
        return {**rating, **patch}

    assert modal_problem(changed(title="t" * 45)) is None
    assert modal_problem(changed(title="t" * 46)) == "title"
    assert modal_problem(changed(custom_id="c" * 101)) == "custom_id"
    assert modal_problem(changed(components=[])) == "components"
    assert modal_problem(changed(components=[label] * 6)) == "components"
    assert modal_problem(changed(components=[{**label, "label": "L" * 46}])) == "components.0.label"
    long_id = {**label, "component": {**label["component"], "custom_id": "s" * 101}}
    assert modal_problem(changed(components=[long_id])) == "components.0.component.custom_id"
    # a select straight in an action row is not allowed in a modal: it goes in a label
    assert modal_problem(changed(components=[{"type": 1, "components": [label["component"]]}])) \
        == "components.0.components"


async def _callback(s: DiscordStandIn, record: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    url = f"{s.api_base}/interactions/{record['id']}/{record['token']}/callback"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def test_the_callback_shows_a_valid_modal_and_refuses_a_bad_one(standin: DiscordStandIn) -> None:
    alice = standin.world.members[0]
    modal = json.loads(json.dumps((await parley_modals())[0].to_dict()))

    _, bad = standin.gateway._interaction_base(alice, 3)
    status, body = await _callback(standin, bad, {"type": 9, "data": {**modal, "title": "t" * 46}})
    assert status == 400 and body["code"] == 50035 and "title" in body["message"]
    assert standin.events.find("modal_refused") and modal["custom_id"] not in standin.rest.modals

    _, good = standin.gateway._interaction_base(alice, 3)
    status, _ = await _callback(standin, good, {"type": 9, "data": modal})
    assert status == 200
    shown = await standin.events.wait_for("interaction_response", lambda d: d["interaction"]["id"] == good["id"],
                                          timeout=T, what="the modal shown")
    assert shown.data["type"] == 9 and shown.data["data"]["title"] == modal["title"]
    assert standin.rest.modals[modal["custom_id"]]["user_id"] == alice.id

    _, submitted = standin.gateway._interaction_base(alice, 5)  # a modal can't answer a modal submit
    status, body = await _callback(standin, submitted, {"type": 9, "data": modal})
    assert status == 400 and body["code"] == 50035


async def test_submit_modal_answers_selects_inside_labels_as_discord_sends_them(standin: DiscordStandIn) -> None:
    alice = standin.world.members[0]
    modal = json.loads(json.dumps((await parley_modals())[0].to_dict()))
    ids = [c["component"]["custom_id"] for c in modal["components"]]
    _, opened = standin.gateway._interaction_base(alice, 3)
    assert (await _callback(standin, opened, {"type": 9, "data": modal}))[0] == 200

    sent: list[tuple[str, dict[str, Any]]] = []

    async def capture(event: str, data: dict[str, Any]) -> None:
        sent.append((event, data))

    standin.gateway.dispatch = capture  # type: ignore[method-assign]  # no bot connected: keep the payload
    # what a person cannot submit is refused before anything is sent
    with pytest.raises(AssertionError, match="required"):
        await standin.gateway.submit_modal(alice, modal, {ids[0]: "4", ids[1]: "3"})
    with pytest.raises(AssertionError, match="not allowed"):
        await standin.gateway.submit_modal(alice, modal, {ids[0]: "4", ids[1]: "3", ids[2]: "6"})
    with pytest.raises(AssertionError, match="no component"):
        await standin.gateway.submit_modal(alice, modal, {ids[0]: "4", ids[1]: "3", ids[2]: "5", "other": "1"})
    bob = standin.world.add_member("bob", in_voice=True)
    with pytest.raises(AssertionError, match="not shown"):
        await standin.gateway.submit_modal(bob, modal, {ids[0]: "4", ids[1]: "3", ids[2]: "5"})
    assert sent == []

    record = await standin.gateway.submit_modal(alice, modal, {ids[0]: "4", ids[1]: ["3"], ids[2]: "5"})
    [(event, payload)] = sent
    assert event == "INTERACTION_CREATE" and payload["type"] == 5 and payload["id"] == str(record["id"])
    assert payload["data"] == {"custom_id": modal["custom_id"], "components": [
        {"type": 18, "component": {"type": 3, "custom_id": cid, "values": [v]}}
        for cid, v in zip(ids, ("4", "3", "5"), strict=True)]}
