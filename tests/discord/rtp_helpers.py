"""Shared RTP test helpers: what a speaking member's Discord client puts on the wire (`UserClient`:
real opus, transport encryption, optional DAVE), a real VoiceRecvClient on a loopback UDP socket
whose other end the test plays as Discord's voice server (`VoiceLink`), and the MLS external-sender
role of the voice gateway (`VoiceGatewayMLS`, `dave_pair`: the e2e stand-in's own `ExternalSender`).

Used by tests/discord/test_voice_receive.py and tests/integration/test_group_audio.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import davey
import discord
import nacl.secret
import nacl.utils
from discord.ext import voice_recv
from discord.ext.voice_recv.gateway import hook as voice_recv_hook
from discord.opus import Encoder as OpusEncoder
from discord.voice_state import ConnectionFlowState

from tests.discord.helpers import MockGuild, MockVoiceChannel
from tests.e2e.standin.dave import ExternalSender as VoiceGatewayMLS
from tests.e2e.standin.dave import local_pair

__all__ = ["DaveWire", "VoiceGatewayMLS", "dave_pair", "UserClient", "VoiceLink", "pcm_frames"]

FRAME = OpusEncoder.FRAME_SIZE          # 3840 bytes = 20 ms of 48 kHz stereo s16le
SAMPLES = OpusEncoder.SAMPLES_PER_FRAME  # 960
CHANNEL_ID = 1_180_000_000_000_000_001
USER_ID = 1_180_000_000_000_000_042
BOT_ID = 1_180_000_000_000_000_007


def pcm_frames(pcm: bytes) -> list[bytes]:
    pcm += bytes((-len(pcm)) % FRAME)
    return [pcm[i:i + FRAME] for i in range(0, len(pcm), FRAME)]


def dave_pair(speaker_id: int = USER_ID, listener_id: int = BOT_ID,
              channel_id: int = CHANNEL_ID) -> tuple[davey.DaveSession, davey.DaveSession]:
    """Two real DAVE sessions in one MLS group: the speaker created it, the listener was welcomed
    (through the stand-in's external sender, the one implementation of the voice gateway's role)."""
    return local_pair(speaker_id, listener_id, channel_id)


@dataclass
class UserClient:
    """What a speaking user's Discord client puts on the wire, as relayed by the voice server."""

    secret_key: bytes
    ssrc: int
    dave: davey.DaveSession | None = None
    seq: int = 1000
    ts: int = 48_000
    nonce: int = 0
    encoder: OpusEncoder = field(default_factory=OpusEncoder)

    def opus(self, pcm_frame: bytes) -> bytes:
        frame = self.encoder.encode(pcm_frame, SAMPLES)
        return self.dave.encrypt_opus(frame) if self.dave is not None else frame

    def rtp(self, payload: bytes, *, payload_type: int = 120, ssrc: int | None = None,
            pad: int = 0, key: bytes | None = None) -> bytes:
        """RTP (RFC 3550) with Discord's one-byte header extension (RFC 8285), encrypted as
        aead_xchacha20_poly1305_rtpsize: header + extension header are the AAD, the extension
        body + payload (+ padding) the ciphertext, and a 4-byte incrementing nonce is appended."""
        first = 0x80 | 0x10 | (0x20 if pad else 0)          # V=2, X=1, P as asked
        header = struct.pack(">BBHII", first, payload_type & 0x7F, self.seq, self.ts,
                             self.ssrc if ssrc is None else ssrc)
        ext_header = b"\xbe\xde" + struct.pack(">H", 1)      # one 32-bit word of elements
        ext_body = bytes([0x10, 0x7F, 0x00, 0x00])           # id 1 (audio level), len 1, padding
        plain = ext_body + payload + (bytes(pad - 1) + bytes([pad]) if pad else b"")
        nonce = struct.pack(">I", self.nonce) + bytes(20)
        box = nacl.secret.Aead(key or self.secret_key)
        sealed = box.encrypt(plain, header + ext_header, nonce).ciphertext
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + SAMPLES) & 0xFFFF_FFFF
        self.nonce += 1
        return header + ext_header + sealed + nonce[:4]


class VoiceLink:
    """A real VoiceRecvClient whose UDP socket is a real loopback socket; the test is the server."""

    def __init__(self, members: list[Any]) -> None:
        self.client = discord.Client(intents=discord.Intents.none())
        self.guild = MockGuild(members=members)
        self.channel = MockVoiceChannel(guild=self.guild, id=CHANNEL_ID, members=members)
        self.vc = voice_recv.VoiceRecvClient(self.client, self.channel)
        self.secret_key = nacl.utils.random(32)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.server.bind(("127.0.0.1", 0))
        bot_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        bot_sock.bind(("127.0.0.1", 0))
        bot_sock.setblocking(False)
        bot_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        conn = self.vc._connection
        conn.socket = bot_sock
        conn.endpoint_ip, conn.voice_port = self.server.getsockname()
        conn.mode = "aead_xchacha20_poly1305_rtpsize"
        conn.secret_key = list(self.secret_key)
        conn.state = ConnectionFlowState.connected
        conn._socket_reader.resume()  # what discord.py does once the voice socket is up
        self.bot_addr = bot_sock.getsockname()
        self._ws = SimpleNamespace(_connection=conn, READY=2, SESSION_DESCRIPTION=4, SPEAKING=5)

    async def speaking(self, user_id: int, ssrc: int) -> None:
        """The voice gateway's SPEAKING op, run through voice-recv's own hook (SSRC → user)."""
        await voice_recv_hook(self._ws, {"op": 5, "d": {"user_id": str(user_id), "ssrc": ssrc,
                                                        "speaking": 1}})

    def use_dave(self, session: davey.DaveSession) -> None:
        """What discord.py's gateway leaves behind after a DAVE handshake."""
        self.vc._connection.dave_session = session
        self.vc._connection.dave_protocol_version = davey.DAVE_PROTOCOL_VERSION

    def send(self, packet: bytes) -> None:
        self.server.sendto(packet, self.bot_addr)

    def close(self) -> None:
        if self.vc.is_listening():
            self.vc.stop_listening()
        self.vc._connection._socket_reader.stop()
        self.vc._connection.socket.close()
        self.server.close()


class _ClientSocket:
    """The aiohttp websocket discord.py writes to: hands each frame to the stand-in's DAVE role."""

    def __init__(self, wire: DaveWire) -> None:
        self.wire = wire

    async def send_str(self, data: str) -> None:
        self.wire.to_server.put_nowait(("json", json.loads(data)))

    async def send_bytes(self, data: bytes) -> None:
        self.wire.to_server.put_nowait(("binary", bytes(data)))


class DaveWire:
    """discord.py's real voice-websocket handlers (`DiscordVoiceWebSocket.received_message` and
    `received_binary_message`) on a VoiceLink's connection, wired to the stand-in's `DaveCall`
    (the voice server's DAVE role) through two queues, the way a websocket decouples them.

    `local_ids` are the simulated members in the call; each gets a real davey session there.
    """

    def __init__(self, link: VoiceLink, local_ids: list[int]) -> None:
        from discord.gateway import DiscordVoiceWebSocket

        from tests.e2e.standin.dave import DaveCall
        from tests.e2e.standin.events import EventLog

        self.link = link
        self.events = EventLog()
        self.local_ids = list(local_ids)
        self.call = DaveCall(CHANNEL_ID, local_ids=lambda: self.local_ids, send_json=self._json_to_client,
                             send_binary=self._binary_to_client, events=self.events)
        conn = link.vc._connection
        client_state = link.client._connection
        client_state.user = discord.ClientUser(state=client_state, data={
            "id": str(BOT_ID), "username": "parley", "discriminator": "0", "avatar": None, "bot": True})
        loop = asyncio.get_running_loop()
        self.ws = DiscordVoiceWebSocket(_ClientSocket(self), loop, hook=voice_recv_hook)
        self.ws._connection = conn
        conn.ws = self.ws
        conn.ssrc = 4100  # what READY (op 2) would have assigned
        self.to_client: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.to_server: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._seq = 0
        self._pumps = [loop.create_task(self._pump_client()), loop.create_task(self._pump_server())]
        self.errors: list[BaseException] = []
        self.tamper: Any = None  # (kind, message) -> message: damage what the client receives

    async def _json_to_client(self, user_id: int, op: int, d: Any) -> None:
        self._seq += 1
        self.to_client.put_nowait(("json", {"op": op, "d": d, "seq": self._seq}))

    async def _binary_to_client(self, user_id: int, op: int, payload: bytes) -> None:
        self._seq += 1
        self.to_client.put_nowait(("binary", struct.pack(">HB", self._seq, op) + payload))

    async def _pump_client(self) -> None:
        while True:
            kind, msg = await self.to_client.get()
            if self.tamper is not None:
                msg = self.tamper(kind, msg)
            try:
                if kind == "json":
                    await self.ws.received_message(msg)
                else:
                    await self.ws.received_binary_message(msg)
            except Exception as e:  # surfaced by the test through `errors`
                self.errors.append(e)

    async def _pump_server(self) -> None:
        while True:
            kind, msg = await self.to_server.get()
            try:
                if kind == "binary":
                    await self.call.on_binary(BOT_ID, msg)
                elif msg["op"] == 23:
                    await self.call.ready_for_transition(BOT_ID, int(msg["d"]["transition_id"]))
                elif msg["op"] == 31:
                    await self.call.invalid_commit_welcome(BOT_ID, int(msg["d"]["transition_id"]))
            except Exception as e:
                self.errors.append(e)

    async def connect(self, protocol_version: int = davey.DAVE_PROTOCOL_VERSION) -> None:
        """SESSION_DESCRIPTION as the voice server sends it, then (DAVE) the external sender."""
        self.call.protocol_version = protocol_version
        await self._json_to_client(BOT_ID, 4, {
            "mode": "aead_xchacha20_poly1305_rtpsize", "secret_key": list(self.link.secret_key),
            "dave_protocol_version": protocol_version, "audio_codec": "opus", "media_session_id": "x"})
        if protocol_version:
            await self.call.client_ready(BOT_ID)

    async def wait(self, kind: str, pred: Any = None, *, after: float = 0.0, timeout: float = 10.0) -> Any:
        ev = await self.events.wait_for(kind, pred, timeout=timeout, after=after, what=kind)
        assert not self.errors, self.errors
        return ev

    async def close(self) -> None:
        for t in self._pumps:
            t.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
