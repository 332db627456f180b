"""Discord's voice server: the voice gateway v8 (wss) and the UDP media plane.

Websocket: HELLO, IDENTIFY → READY (ssrc, ip, port, modes), SELECT_PROTOCOL →
SESSION_DESCRIPTION (secret key, mode, ``dave_protocol_version`` 1 by default), SPEAKING,
heartbeats (op 3 → op 6), CLIENTS_CONNECT (op 11) / CLIENT_DISCONNECT (op 13) for members,
and server messages numbered with ``seq`` as v8 does (binary ones too: u16 seq, u8 op).
DAVE is required as on Discord since March 2026: a client whose IDENTIFY offers no
``max_dave_protocol_version`` is closed with 4017. The MLS side (ops 21-31) is dave.py's
`DaveCall`; each simulated member is a real davey session in the call's group.

UDP: IP discovery (type 0x1 request → 0x2 response with the address seen), RTP with
``aead_xchacha20_poly1305_rtpsize`` transport encryption both ways:

- from the bot: the RTP header (12 bytes + CSRCs + the extension preamble when present)
  is the AEAD additional data; the last 4 bytes are the nonce counter. A DAVE frame is
  decrypted through a simulated member's session (as that member's client would), then the
  opus is decoded with libopus to 48 kHz stereo PCM and kept per SSRC with arrival times.
- to the bot: each member's speech is opus-encoded (20 ms frames), DAVE-encrypted by the
  member's own session once the group is live, and sent like Discord's SFU sends it (version 2 with a one-byte-header extension, payload type 0x78, the
  member's SSRC, a 4-byte incrementing nonce), and announced by SPEAKING (op 5) with
  the member's ``user_id`` and ``ssrc`` so the receiver can map SSRC to user.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import nacl.exceptions
import nacl.secret
import numpy as np
from aiohttp import WSMsgType, web
from discord import opus  # libopus through ctypes; only the codec, nothing of the client

from .dave import DaveCall
from .world import User

if TYPE_CHECKING:
    from . import DiscordStandIn

log = logging.getLogger("standin.voice")

MODES = ["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]
SUPPORTED_MODE = "aead_xchacha20_poly1305_rtpsize"
VOICE_HEARTBEAT_MS = 13750
FRAME_SAMPLES = 960  # 20 ms at 48 kHz
FRAME_BYTES = FRAME_SAMPLES * 2 * 2  # stereo s16le
OPUS_SILENCE = b"\xf8\xff\xfe"
PAYLOAD_TYPE = 0x78


def _ensure_opus() -> None:
    if not opus.is_loaded():
        opus._load_default()
    if not opus.is_loaded():
        raise RuntimeError("libopus is not installed (apt: libopus0)")


@dataclass
class Received:
    """One RTP packet from the bot, decoded."""
    at: float
    sequence: int
    timestamp: int
    pcm: bytes  # 20 ms of 48 kHz stereo s16le


@dataclass
class VoiceSession:
    ws: web.WebSocketResponse
    user_id: int = 0
    session_id: str = ""
    ssrc: int = 0
    mode: str | None = None
    secret_key: bytes | None = None
    client_addr: tuple[str, int] | None = None
    seq: int = 0
    seq_ack: int = -1
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # SESSION_DESCRIPTION sent
    announced: set[int] = field(default_factory=set)  # member ssrcs already announced
    resumable: bool = False  # closed by the server with 4015: the client may RESUME (op 7)
    # the latest numbered messages, replayed after a RESUME when the client missed them
    # (Discord's "buffered resume": those with seq above the client's seq_ack)
    sent: deque[tuple[int, str | bytes]] = field(default_factory=lambda: deque(maxlen=256))

    async def send(self, op: int, d: Any) -> None:
        self.seq += 1
        raw = json.dumps({"op": op, "d": d, "seq": self.seq})
        self.sent.append((self.seq, raw))
        if not self.ws.closed:
            await self.ws.send_str(raw)

    async def send_binary(self, op: int, payload: bytes) -> None:
        self.seq = (self.seq + 1) & 0xFFFF
        raw = struct.pack(">HB", self.seq, op) + payload
        self.sent.append((self.seq, raw))
        if not self.ws.closed:
            await self.ws.send_bytes(raw)


@dataclass
class MemberStream:
    """A member's outgoing RTP state (one SSRC per member, as Discord assigns)."""
    user: User
    ssrc: int
    sequence: int = field(default_factory=lambda: secrets.randbelow(1 << 16))
    timestamp: int = field(default_factory=lambda: secrets.randbelow(1 << 32))
    nonce: int = 0
    encoder: Any = None


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: VoiceServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.server.on_datagram(data, addr)
        except Exception:  # never let one bad packet stop the media plane
            log.exception("stand-in: bad UDP packet from %s", addr)
            self.server.s.events.add("udp_error", {"len": len(data)})


class VoiceServer:
    def __init__(self, standin: DiscordStandIn) -> None:
        self.s = standin
        self.host = "127.0.0.1"
        self.ws_port = 0
        self.udp_port = 0
        self._udp: _Udp | None = None
        self._expected: dict[int, tuple[str, str]] = {}  # user id -> (session id, token)
        self.sessions: dict[int, VoiceSession] = {}  # user id -> live session
        self.received: dict[int, list[Received]] = {}  # ssrc -> packets
        self._decoders: dict[int, Any] = {}
        self.members: dict[int, MemberStream] = {}  # user id -> stream state
        self.udp_counts = {"discovery": 0, "rtp": 0, "keepalive": 0, "other": 0, "decrypt_failed": 0}
        # what happened to the bot's frames on the DAVE layer (see DaveCall.decrypt_from)
        self.dave_counts = {"decrypted": 0, "silence": 0, "plain": 0, "plain_while_dave": 0,
                            "failed": 0, "no_listener": 0}
        self._ssrcs: set[int] = set()
        self.dave = DaveCall(standin.world.voice_channel_id, local_ids=self._local_ids,
                             send_json=self._send_json_to, send_binary=self._send_binary_to,
                             events=standin.events)
        _ensure_opus()

    @property
    def dave_protocol_version(self) -> int:
        """What SESSION_DESCRIPTION announces (1: DAVE, as Discord requires; 0 for comparisons)."""
        return self.dave.protocol_version

    @dave_protocol_version.setter
    def dave_protocol_version(self, v: int) -> None:
        self.dave.protocol_version = v

    def _local_ids(self) -> list[int]:
        return [uid for uid in self.s.world.in_voice if uid != self.s.world.bot.id]

    async def _send_json_to(self, user_id: int, op: int, d: Any) -> None:
        sess = self.sessions.get(user_id)
        if sess is not None:
            await sess.send(op, d)

    async def _send_binary_to(self, user_id: int, op: int, payload: bytes) -> None:
        sess = self.sessions.get(user_id)
        if sess is not None:
            await sess.send_binary(op, payload)

    def _new_ssrc(self, low: int, high: int) -> int:
        """A fresh SSRC, unique in this call (Discord never gives two streams one SSRC)."""
        while True:
            ssrc = low + secrets.randbelow(high - low)
            if ssrc not in self._ssrcs:
                self._ssrcs.add(ssrc)
                return ssrc

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.ws_port}"

    # --- lifecycle --------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.handle)

    async def start_udp(self) -> None:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(lambda: _Udp(self), local_addr=(self.host, 0))
        self._udp = proto
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def close(self) -> None:
        for sess in list(self.sessions.values()):
            await sess.ws.close(code=1001)
        if self._udp and self._udp.transport:
            self._udp.transport.close()

    def expect(self, user_id: int, session_id: str, token: str) -> None:
        self._expected[user_id] = (session_id, token)

    def forget(self, user_id: int) -> None:
        self._expected.pop(user_id, None)

    def member_ssrc(self, user: User) -> int:
        stream = self.members.get(user.id)
        if stream is None:
            stream = self.members[user.id] = MemberStream(user, self._new_ssrc(1000, 1 << 31))
        return stream.ssrc

    # --- websocket --------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        sess = VoiceSession(ws)
        self.s.events.add("voice_connect", dict(request.query))
        if request.query.get("v") != "8":
            await ws.close(code=4006, message=b"Session no longer valid")  # we only speak v8
            return ws
        await sess.send(8, {"heartbeat_interval": VOICE_HEARTBEAT_MS})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if data.get("op") == 7 and not sess.user_id:  # RESUME on a fresh websocket
                        sess = await self._resume(sess, data.get("d") or {})
                        continue
                    await self._receive(sess, data)
                elif msg.type is WSMsgType.BINARY:
                    self.s.events.add("voice_binary", {"op": msg.data[0] if msg.data else None,
                                                       "user_id": sess.user_id})
                    if sess.user_id:
                        await self.dave.on_binary(sess.user_id, bytes(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            if self.sessions.get(sess.user_id) is sess and not (sess.resumable and sess.ws is ws):
                del self.sessions[sess.user_id]
                await self.dave.remote_left(sess.user_id)
            self.s.events.add("voice_disconnect", {"user_id": sess.user_id, "code": ws.close_code})
        return ws

    async def crash(self, user_id: int, code: int = 4015, *, keep: bool = True) -> None:
        """The voice server "crashes" under `user_id`'s connection: its websocket is closed with
        4015 and the session is kept (media keeps flowing on UDP, the MLS group keeps the member)
        for the client to RESUME (op 7) on a new websocket, as Discord asks. With ``keep=False``
        the session is lost with the crash and a RESUME is refused (4006)."""
        sess = self.sessions.get(user_id)
        if sess is None:
            raise RuntimeError(f"user {user_id} has no voice connection")
        sess.resumable = keep
        self.s.events.add("voice_crash", {"user_id": user_id, "code": code, "seq": sess.seq})
        await sess.ws.close(code=code, message=b"Voice server crashed")

    async def _resume(self, fresh: VoiceSession, d: dict[str, Any]) -> VoiceSession:
        """Op 7 RESUME {server_id, session_id, token, seq_ack}: back on the kept session, answered
        with op 9 RESUMED and the numbered messages after seq_ack; a session that cannot be
        resumed is closed with 4006, and the client must then connect from scratch."""
        old = next((s for s in self.sessions.values() if s.session_id == d.get("session_id")), None)
        expected = self._expected.get(old.user_id) if old is not None else None
        if (old is None or not old.resumable or expected is None or d.get("token") != expected[1]
                or str(d.get("server_id")) != str(self.s.world.guild_id)):
            self.s.events.add("voice_resume_refused", d)
            await fresh.ws.close(code=4006, message=b"Session no longer valid")
            return fresh
        seq_ack = int(d.get("seq_ack", -1))
        old.ws, old.resumable = fresh.ws, False
        missed = [raw for seq, raw in old.sent if seq > seq_ack]
        self.s.events.add("voice_resume", {"user_id": old.user_id, "seq_ack": seq_ack, "replayed": len(missed)})
        await old.ws.send_str(json.dumps({"op": 9, "d": None}))  # RESUMED (no seq: it is not buffered)
        for raw in missed:
            if isinstance(raw, bytes):
                await old.ws.send_bytes(raw)
            else:
                await old.ws.send_str(raw)
        return old

    async def _receive(self, sess: VoiceSession, msg: dict[str, Any]) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 3:  # HEARTBEAT {t, seq_ack}
            if isinstance(d, dict):
                sess.seq_ack = d.get("seq_ack", sess.seq_ack)
                await sess.ws.send_str(json.dumps({"op": 6, "d": {"t": d.get("t")}}))
            else:
                await sess.ws.send_str(json.dumps({"op": 6, "d": d}))
            self.s.events.add("voice_heartbeat", d)
        elif op == 0:
            await self._identify(sess, d)
        elif op == 1:
            await self._select_protocol(sess, d)
        elif op == 5:  # SPEAKING from the bot
            self.s.events.add("bot_speaking", {"speaking": int(d.get("speaking", 0)), "ssrc": d.get("ssrc"),
                                               "user_id": sess.user_id})
        elif op == 7:  # RESUME on a websocket that is already identified
            await sess.ws.close(code=4006, message=b"Session no longer valid")
        elif op == 12:  # CLIENT_CONNECT (the client's own audio ssrc)
            self.s.events.add("voice_op", msg)
        elif op == 23:  # DAVE ready for transition
            self.s.events.add("voice_op", msg)
            await self.dave.ready_for_transition(sess.user_id, int(d.get("transition_id", 0)))
        elif op == 31:  # DAVE invalid commit/welcome: the client re-initialises
            self.s.events.add("voice_op", msg)
            await self.dave.invalid_commit_welcome(sess.user_id, int(d.get("transition_id", 0)))
        else:
            self.s.events.add("voice_unknown_op", msg)
            await sess.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, sess: VoiceSession, d: dict[str, Any]) -> None:
        uid = int(d.get("user_id", 0))
        expected = self._expected.get(uid)
        if str(d.get("server_id")) != str(self.s.world.guild_id) or expected is None:
            await sess.ws.close(code=4004, message=b"Authentication failed")
            return
        if (d.get("session_id"), d.get("token")) != expected:
            await sess.ws.close(code=4004, message=b"Authentication failed")
            return
        if self.dave_protocol_version > 0 and not int(d.get("max_dave_protocol_version") or 0):
            # Discord refuses non-stage calls without E2EE since 1 March 2026
            self.s.events.add("voice_refused", {"user_id": uid, "code": 4017})
            await sess.ws.close(code=4017, message=b"E2EE/DAVE protocol required")
            return
        sess.user_id, sess.session_id = uid, expected[0]
        sess.ssrc = self._new_ssrc(100, 1000)
        old = self.sessions.get(uid)
        self.sessions[uid] = sess
        if old is not None and not old.ws.closed:
            await old.ws.close(code=4006)
        self.s.events.add("voice_identify", d)
        await sess.send(2, {"ssrc": sess.ssrc, "ip": self.host, "port": self.udp_port, "modes": MODES,
                            "experiments": []})

    async def _select_protocol(self, sess: VoiceSession, d: dict[str, Any]) -> None:
        data = d.get("data") or {}
        mode = data.get("mode")
        if d.get("protocol") != "udp" or mode not in MODES:
            await sess.ws.close(code=4016, message=b"Unknown encryption mode")
            return
        if mode != SUPPORTED_MODE:  # offered for realism; this stand-in only implements XChaCha20
            await sess.ws.close(code=4016, message=b"Unknown encryption mode")
            return
        sess.mode = mode
        sess.client_addr = (data["address"], int(data["port"]))
        sess.secret_key = secrets.token_bytes(32)
        self.s.events.add("select_protocol", d)
        await sess.send(4, {"audio_codec": "opus", "video_codec": "H264", "media_session_id": secrets.token_hex(16),
                            "mode": mode, "secret_key": list(sess.secret_key),
                            "dave_protocol_version": self.dave_protocol_version})
        others = [str(uid) for uid in self.s.world.in_voice if uid != sess.user_id]
        if others:
            await sess.send(11, {"user_ids": others})
        if self.dave_protocol_version > 0:
            await self.dave.client_ready(sess.user_id)
        sess.ready.set()
        self.s.events.add("voice_ready", {"user_id": sess.user_id})

    async def member_moved(self, user: User, joined: bool) -> None:
        """Tell a connected bot that a member joined (op 11) or left (op 13) the call."""
        for sess in self.sessions.values():
            if not sess.ready.is_set():
                continue
            if joined:
                await sess.send(11, {"user_ids": [str(user.id)]})
            else:
                await sess.send(13, {"user_id": str(user.id)})
                sess.announced.discard(self.members[user.id].ssrc if user.id in self.members else -1)
        if joined:
            await self.dave.local_joined(user.id)
        else:
            await self.dave.local_left(user.id)

    # --- UDP --------------------------------------------------------------------------
    def on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) == 74 and data[:4] == struct.pack(">HH", 1, 70):
            self.udp_counts["discovery"] += 1
            ssrc = struct.unpack_from(">I", data, 4)[0]
            reply = bytearray(74)
            struct.pack_into(">HHI", reply, 0, 2, 70, ssrc)
            ip = addr[0].encode()
            reply[8:8 + len(ip)] = ip
            struct.pack_into(">H", reply, 72, addr[1])
            assert self._udp and self._udp.transport
            self._udp.transport.sendto(bytes(reply), addr)
            self.s.events.add("ip_discovery", {"ssrc": ssrc, "addr": addr})
            return
        if len(data) >= 12 and data[0] >> 6 == 2 and not 200 <= data[1] <= 204:
            self._on_rtp(data)
            return
        if len(data) == 8:
            self.udp_counts["keepalive"] += 1
            return
        self.udp_counts["other"] += 1

    def _on_rtp(self, data: bytes) -> None:
        self.udp_counts["rtp"] += 1
        ssrc = struct.unpack_from(">I", data, 8)[0]
        sess = next((s for s in self.sessions.values() if s.ssrc == ssrc), None)
        if sess is None or sess.secret_key is None:
            self.udp_counts["other"] += 1
            return
        cc = data[0] & 0x0F
        header_len = 12 + 4 * cc
        extended = bool(data[0] & 0x10)
        if extended:
            header_len += 4  # rtpsize: the extension preamble is part of the clear header
        header, body, nonce = data[:header_len], data[header_len:-4], data[-4:]
        try:
            plain = nacl.secret.Aead(sess.secret_key).decrypt(body, header, nonce + bytes(20))
        except nacl.exceptions.CryptoError:
            self.udp_counts["decrypt_failed"] += 1
            return
        if extended:
            ext_words = struct.unpack_from(">H", data, header_len - 2)[0]
            plain = plain[4 * ext_words:]
        seq, ts = struct.unpack_from(">HI", data, 2)
        opus_frame, what = self.dave.decrypt_from(sess.user_id, plain)
        self.dave_counts[what] += 1
        if opus_frame is None:
            return
        plain = opus_frame
        if plain == OPUS_SILENCE:
            pcm = bytes(FRAME_BYTES)
        else:
            dec = self._decoders.get(ssrc)
            if dec is None:
                dec = self._decoders[ssrc] = opus.Decoder()
            pcm = dec.decode(plain, fec=False)
        packets = self.received.setdefault(ssrc, [])
        now = time.monotonic()
        if not packets or now - packets[-1].at > 0.3:
            self.s.events.add("bot_audio_burst", {"ssrc": ssrc, "first": not packets})
        packets.append(Received(now, seq, ts, pcm))

    # --- what the bot said --------------------------------------------------------------
    def bot_ssrc(self) -> int | None:
        sess = self.sessions.get(self.s.world.bot.id)
        return sess.ssrc if sess else None

    def bot_packets(self, after: float = 0.0) -> list[Received]:
        out: list[Received] = []
        for packets in self.received.values():
            out += [p for p in packets if p.at >= after]
        return sorted(out, key=lambda p: p.at)

    def bot_utterances(self, after: float = 0.0, gap_s: float = 0.3) -> list[tuple[float, float, np.ndarray]]:
        """Stretches of non-silent audio from the bot: (start, end, float32 48 kHz mono)."""
        out: list[tuple[float, float, list[np.ndarray]]] = []
        for p in self.bot_packets(after):
            frame = np.frombuffer(p.pcm, dtype="<i2").astype(np.float32).reshape(-1, 2).mean(axis=1) / 32768.0
            if float(np.abs(frame).max(initial=0.0)) < 1e-3:
                continue
            if out and p.at - out[-1][1] <= gap_s:
                out[-1] = (out[-1][0], p.at, out[-1][2] + [frame])
            else:
                out.append((p.at, p.at, [frame]))
        return [(a, b, np.concatenate(frames)) for a, b, frames in out]

    # --- member speech to the bot -------------------------------------------------------
    async def play(self, user: User, pcm48_stereo: bytes, *, to_user: int | None = None,
                   voice_activity: bool = True, progress_every: int = 0,
                   lose: tuple[int, int, int] | None = None) -> dict[str, int]:
        """Send `user`'s speech to the bot as a live RTP stream, paced at 20 ms per frame.

        With `voice_activity` (how Discord clients behave), silent stretches are not sent:
        five frames of opus silence end each burst and the RTP timestamp jumps over the gap.
        Returns counts of frames sent and skipped. With `progress_every`, a `member_progress`
        event marks every that many frames (20 ms each). `lose=(first, last, keep_every)`: between
        those frame indexes the network loses every packet but one in `keep_every` (the sender
        numbered them: the receiver sees RTP sequence gaps).
        """
        target = to_user if to_user is not None else self.s.world.bot.id
        sess = self.sessions.get(target)
        if sess is None or not sess.ready.is_set() or sess.client_addr is None or sess.secret_key is None:
            raise RuntimeError("the bot has no ready voice connection to send to")
        stream = self.members.get(user.id)
        if stream is None:
            self.member_ssrc(user)
            stream = self.members[user.id]
        if stream.encoder is None:
            stream.encoder = opus.Encoder()
        if stream.ssrc not in sess.announced:
            await sess.send(5, {"user_id": str(user.id), "ssrc": stream.ssrc, "speaking": 1})
            sess.announced.add(stream.ssrc)
        pcm = pcm48_stereo + bytes(-len(pcm48_stereo) % FRAME_BYTES)
        frames = [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
        counts = {"sent": 0, "skipped": 0}
        quiet = 0
        burst_start = True
        start = time.monotonic()
        for i, frame in enumerate(frames):
            delay = start + i * 0.02 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # real-time pacing of a live stream
            level = np.abs(np.frombuffer(frame, dtype="<i2")).max(initial=0)
            silent = level < 300
            quiet = quiet + 1 if silent else 0
            # quiet frames 1-5: still audio; 6-10: the five opus-silence frames Discord asks for
            # before a pause; after that nothing is sent until speech resumes.
            current = self.sessions.get(target)
            if current is not sess:
                # the bot reconnected (a voice server move, a resume): send where it is now
                if current is None or not current.ready.is_set() or current.client_addr is None:
                    counts["no_route"] = counts.get("no_route", 0) + 1
                    stream.timestamp = (stream.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
                    continue
                sess = current
                if stream.ssrc not in sess.announced:
                    await sess.send(5, {"user_id": str(user.id), "ssrc": stream.ssrc, "speaking": 1})
                    sess.announced.add(stream.ssrc)
            if voice_activity and quiet > 10:
                counts["skipped"] += 1
                burst_start = True
            else:
                payload = OPUS_SILENCE if (voice_activity and quiet > 5) else stream.encoder.encode(frame, FRAME_SAMPLES)
                payload = self.dave.encrypt_from(user.id, payload)
                lost = lose is not None and lose[0] <= i <= lose[1] and i % lose[2] != 0
                self._send_rtp(sess, stream, payload, marker=burst_start, drop=lost)
                burst_start = False
                counts["sent"] += 1
                counts["lost"] = counts.get("lost", 0) + int(lost)
            if progress_every and (i + 1) % progress_every == 0:
                # how far the member has got, for tests that act in the middle of an answer
                self.s.events.add("member_progress", {"user_id": user.id, "frames": i + 1})
            stream.timestamp = (stream.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        self.s.events.add("member_played", {"user_id": user.id, **counts})
        return counts

    def _send_rtp(self, sess: VoiceSession, stream: MemberStream, opus_frame: bytes, *, marker: bool,
                  drop: bool = False) -> None:
        header = bytearray(12)
        header[0] = 0x90  # version 2, extension present
        header[1] = PAYLOAD_TYPE | (0x80 if marker else 0)
        struct.pack_into(">HII", header, 2, stream.sequence, stream.timestamp, stream.ssrc)
        preamble = b"\xbe\xde" + struct.pack(">H", 1)  # one-byte-header extension, one 32-bit word
        ext_values = bytes([0x10, 0x7F, 0x00, 0x00])  # element id 1 (audio level), 1 byte, padding
        aad = bytes(header) + preamble
        nonce = struct.pack(">I", stream.nonce)
        stream.nonce = (stream.nonce + 1) & 0xFFFFFFFF
        stream.sequence = (stream.sequence + 1) & 0xFFFF
        assert sess.secret_key is not None
        cipher = nacl.secret.Aead(sess.secret_key).encrypt(ext_values + opus_frame, aad, nonce + bytes(20)).ciphertext
        assert self._udp and self._udp.transport and sess.client_addr
        if drop:  # lost in the network: numbered and encrypted, never delivered
            return
        self._udp.transport.sendto(aad + cipher + nonce, sess.client_addr)

    async def stop_speaking(self, user: User, to_user: int | None = None) -> None:
        sess = self.sessions.get(to_user if to_user is not None else self.s.world.bot.id)
        stream = self.members.get(user.id)
        if sess and stream:
            await sess.send(5, {"user_id": str(user.id), "ssrc": stream.ssrc, "speaking": 0})
