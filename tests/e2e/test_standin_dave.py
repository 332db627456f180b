"""The stand-in's DAVE role (tests/e2e/standin/dave.py) against discord.py's own voice-gateway
handlers: real davey sessions on both sides, the client side being discord.py's
`DiscordVoiceWebSocket.received_message` / `received_binary_message` on a real connection state.

Fast (no bot process, no sockets but the VoiceLink's loopback UDP), so not marked e2e: these
prove the stand-in before the e2e scenarios lean on it.
"""

from __future__ import annotations

import davey
import pytest
from discord.opus import Encoder as OpusEncoder

from tests.discord.helpers import MockMember
from tests.discord.rtp_helpers import BOT_ID, CHANNEL_ID, FRAME, SAMPLES, DaveWire, VoiceLink
from tests.e2e.standin.dave import (
    ExternalSender,
    MLSFramingError,
    split_commit_welcome,
)

SAM, LEE, KIM = 1_180_000_000_000_000_101, 1_180_000_000_000_000_102, 1_180_000_000_000_000_103


@pytest.fixture
async def link():
    lk = VoiceLink([MockMember(id=uid, name=f"m{uid % 1000}") for uid in (SAM, LEE, KIM)])
    yield lk
    lk.close()


@pytest.fixture
def opus() -> bytes:
    return OpusEncoder().encode(bytes(FRAME), SAMPLES)


def _commit_and_welcome() -> tuple[bytes, bytes]:
    gw = ExternalSender(CHANNEL_ID)
    a, b = (davey.DaveSession(1, uid, CHANNEL_ID) for uid in (SAM, LEE))
    for s in (a, b):
        s.set_external_sender(gw.external_sender_package)
    cw = a.process_proposals(davey.ProposalsOperationType.append, gw.add_proposals([b.get_serialized_key_package()]))
    return cw.commit, cw.welcome


def test_op_28_is_split_by_mls_framing() -> None:
    commit, welcome = _commit_and_welcome()
    info, c, w = split_commit_welcome(commit + welcome)
    assert (c, w) == (commit, welcome) and info.epoch == 0 and info.group_id == CHANNEL_ID.to_bytes(8, "big")
    info, c, w = split_commit_welcome(commit)
    assert c == commit and w is None
    for bad in (commit[:-5], commit + welcome[:-1], commit + welcome + b"\x00", b"\x00\x01\x00\x03" + commit[4:],
                b"", b"\xff" * 40):
        with pytest.raises(MLSFramingError):
            split_commit_welcome(bad)


async def test_bot_is_welcomed_into_an_existing_group_then_commits_joins_and_leaves(link, opus) -> None:
    """Two members talk already (their own group); the bot is added by a member's commit and gets
    op 30. Later changes are the bot's to commit: kim joins (Add), lee leaves (Remove)."""
    wire = DaveWire(link, [SAM, LEE])
    conn = link.vc._connection
    try:
        await wire.connect()
        await wire.wait("dave_execute", lambda d: BOT_ID in d["members"])
        assert conn.dave_session.ready and wire.call.counts["welcomes"] == 1
        assert not wire.events.find("dave_proposals", lambda d: d["to"] == BOT_ID), "a member committed"
        for uid in (SAM, LEE):
            frame = wire.call.encrypt_from(uid, opus)
            assert frame != opus and conn.dave_session.decrypt(uid, davey.MediaType.audio, frame) == opus

        t = wire.events.events[-1].at
        wire.local_ids.append(KIM)
        await wire.call.local_joined(KIM)
        ev = await wire.wait("dave_execute", lambda d: KIM in d["members"], after=t)
        assert wire.events.find("dave_proposals", lambda d: d["to"] == BOT_ID and d["adds"] == [KIM], after=t)
        epoch = ev.data["epoch"]
        assert conn.dave_session.epoch == epoch == wire.call.locals[SAM].epoch == wire.call.locals[KIM].epoch
        assert conn.dave_session.decrypt(KIM, davey.MediaType.audio, wire.call.encrypt_from(KIM, opus)) == opus

        t = wire.events.events[-1].at
        lee_leaf = wire.call.locals[LEE].own_leaf_index
        wire.local_ids.remove(LEE)
        await wire.call.local_left(LEE)
        ev = await wire.wait("dave_execute", lambda d: LEE not in d["members"], after=t)
        assert wire.events.find("dave_proposals", lambda d: d["removes"] == [lee_leaf], after=t)
        assert sorted(conn.dave_session.get_user_ids()) == sorted(str(u) for u in (BOT_ID, SAM, KIM)) or \
            sorted(int(u) for u in conn.dave_session.get_user_ids()) == sorted((BOT_ID, SAM, KIM))
        # the bot's own speech is heard through a member's session at the new epoch
        assert wire.call.decrypt_from(BOT_ID, conn.dave_session.encrypt_opus(opus)) == (opus, "decrypted")
        assert wire.call.counts["rejected_commits"] == 0 and not wire.errors
    finally:
        await wire.close()


async def test_a_stale_commit_is_refused_and_a_bad_welcome_is_recovered_by_op_31(link, opus) -> None:
    wire = DaveWire(link, [SAM, LEE])
    conn = link.vc._connection
    try:
        # the welcome to the bot arrives damaged: discord.py reports op 31 and sends a new key
        # package; the stand-in takes the old leaf out and adds the bot again
        damaged = []

        def damage(kind: str, msg: bytes) -> bytes:
            if kind == "binary" and msg[2] == 30 and not damaged:
                damaged.append(msg)
                return msg[:-20] + bytes(20)
            return msg

        wire.tamper = damage
        await wire.connect()
        await wire.wait("dave_invalid", lambda d: d["user_id"] == BOT_ID)
        await wire.wait("dave_execute", lambda d: BOT_ID in d["members"] and d["epoch"] >= 3)
        assert damaged and conn.dave_session.ready
        assert conn.dave_session.decrypt(SAM, davey.MediaType.audio, wire.call.encrypt_from(SAM, opus)) == opus
        assert wire.call.decrypt_from(BOT_ID, conn.dave_session.encrypt_opus(opus)) == (opus, "decrypted")

        # a commit for an epoch the group is not at: counted and ignored, the group carries on
        commit, welcome = _commit_and_welcome()
        wire.call._commit_from = BOT_ID
        before = wire.call.epoch
        await wire.call.on_binary(BOT_ID, bytes([28]) + commit + welcome)
        assert wire.call.counts["rejected_commits"] == 1 and wire.call.epoch == before
        wire.call._commit_from = None
        await wire.call.on_binary(BOT_ID, bytes([28]) + b"\x00\x01garbage")   # not asked: refused too
        await wire.call.on_binary(BOT_ID, b"")                                   # empty frame: counted
        await wire.call.on_binary(BOT_ID, bytes([99, 1, 2]))                     # unknown op: counted
        assert wire.call.counts["rejected_commits"] == 1 and wire.call.counts["losing_commits"] == 1
        assert wire.call.counts["bad_binary"] == 2
        assert conn.dave_session.decrypt(LEE, davey.MediaType.audio, wire.call.encrypt_from(LEE, opus)) == opus
    finally:
        await wire.close()
