"""The voice-slot registry names what holds a server's slot: a mock round or a peer group."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.practice.rounds_registry import KIND_GROUP, KIND_MOCK, RoundAlreadyRunning, RoundsRegistry, TooBusy


def registry(per_guild: int = 1, total: int = 2) -> RoundsRegistry:
    return RoundsRegistry(Settings.from_env({}, max_rounds_per_guild=per_guild, max_rounds_total=total))


def test_a_peer_group_holding_the_slot_is_named_as_such():
    reg = registry()
    held = reg.claim(1, 100, channel_id=555, kind=KIND_GROUP)
    assert held.kind == KIND_GROUP
    with pytest.raises(RoundAlreadyRunning) as other:
        reg.claim(1, 101, kind=KIND_MOCK)
    text = str(other.value)
    assert "peer group is already running" in text and "<#555>" in text and "mock round" not in text
    assert other.value.kind == KIND_GROUP and other.value.channel_id == 555
    with pytest.raises(RoundAlreadyRunning) as own:  # the group's owner tries a mock round
        reg.claim(1, 100, kind=KIND_MOCK)
    assert "you already have a peer group" in str(own.value).lower() and "/group end" in str(own.value)
    reg.release(held)
    assert reg.claim(1, 101, kind=KIND_MOCK).kind == KIND_MOCK


def test_a_mock_round_holding_the_slot_keeps_its_wording_and_is_the_default():
    reg = registry()
    held = reg.claim(1, 100)
    assert held.kind == KIND_MOCK
    with pytest.raises(RoundAlreadyRunning, match="A mock round is already running in this server") as e:
        reg.claim(1, 101, kind=KIND_GROUP)
    assert "peer group" not in str(e.value)
    with pytest.raises(RoundAlreadyRunning, match="already have a mock round"):
        reg.claim(1, 100, kind=KIND_GROUP)


def test_the_global_cap_counts_both_kinds():
    reg = registry(total=2)
    reg.claim(1, 100, kind=KIND_MOCK)
    reg.claim(2, 200, kind=KIND_GROUP)
    with pytest.raises(TooBusy, match="maximum of 2 mock rounds and peer groups"):
        reg.claim(3, 300, kind=KIND_GROUP)
    one = registry(total=1)
    one.claim(1, 100, kind=KIND_GROUP)
    with pytest.raises(TooBusy, match="maximum of 1 mock round or peer group"):
        one.claim(2, 200)
