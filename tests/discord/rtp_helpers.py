"""Shared RTP test helpers: what a speaking member's Discord client puts on the wire (`UserClient`:
real opus, transport encryption, optional DAVE), a real VoiceRecvClient on a loopback UDP socket
whose other end the test plays as Discord's voice server (`VoiceLink`), and the MLS external-sender
role of the voice gateway (`VoiceGatewayMLS`, `dave_pair`).

Used by tests/discord/test_voice_receive.py and tests/integration/test_group_audio.py.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import davey
import discord
import nacl.secret
import nacl.utils
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from discord.ext import voice_recv
from discord.ext.voice_recv.gateway import hook as voice_recv_hook
from discord.opus import Encoder as OpusEncoder
from discord.voice_state import ConnectionFlowState

from tests.discord.helpers import MockGuild, MockVoiceChannel

FRAME = OpusEncoder.FRAME_SIZE          # 3840 bytes = 20 ms of 48 kHz stereo s16le
SAMPLES = OpusEncoder.SAMPLES_PER_FRAME  # 960
CHANNEL_ID = 1_180_000_000_000_000_001
USER_ID = 1_180_000_000_000_000_042
BOT_ID = 1_180_000_000_000_000_007


def pcm_frames(pcm: bytes) -> list[bytes]:
    pcm += bytes((-len(pcm)) % FRAME)
    return [pcm[i:i + FRAME] for i in range(0, len(pcm), FRAME)]


def _varint(n: int) -> bytes:  # RFC 9420 §2.1.2 variable-size length
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack(">H", n | 0x4000)
    return struct.pack(">I", n | 0x8000_0000)


def _vl(b: bytes) -> bytes:
    return _varint(len(b)) + b


class VoiceGatewayMLS:
    """Plays the MLS *external sender* role that Discord's voice gateway has in DAVE.

    It owns a P-256 signing key, publishes the ExternalSender package (DAVE opcode 25) and signs
    Add proposals (opcode 27) as RFC 9420 PublicMessages from sender type `external`, exactly what
    davey (openmls) verifies against the group's external_senders extension. Everything else is
    davey's own MLS: the committer's commit/welcome, the joiner's welcome processing, key ratchets.
    """

    def __init__(self, channel_id: int) -> None:
        self.channel_id = channel_id
        self._key = ec.generate_private_key(ec.SECP256R1())
        pub = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        # ExternalSender { SignaturePublicKey signature_key; Credential credential (basic) }
        self.external_sender_package = _vl(pub) + struct.pack(">H", 1) + _vl(b"voice-gateway")

    def add_proposals(self, key_packages: list[bytes], epoch: int = 0) -> bytes:
        """The opcode-27 `append` payload: a vector of signed Add proposals."""
        messages = b""
        for kp in key_packages:
            content = (_vl(self.channel_id.to_bytes(8, "big")) + struct.pack(">Q", epoch)
                       + bytes([2]) + struct.pack(">I", 0)     # sender: external, index 0
                       + _vl(b"") + bytes([2])                  # no AAD; content type: proposal
                       + struct.pack(">H", 1) + kp)             # Proposal: add(KeyPackage)
            version_wire = struct.pack(">HH", 1, 1)            # mls10, public_message
            tbs = version_wire + content                       # FramedContentTBS (no context)
            signature = self._key.sign(_vl(b"MLS 1.0 FramedContentTBS") + _vl(tbs),
                                       ec.ECDSA(hashes.SHA256()))
            messages += version_wire + content + _vl(signature)
        return _vl(messages)


def dave_pair(speaker_id: int = USER_ID, listener_id: int = BOT_ID,
              channel_id: int = CHANNEL_ID) -> tuple[davey.DaveSession, davey.DaveSession]:
    """Two real DAVE sessions in one MLS group: the speaker created it, the listener was welcomed."""
    gateway = VoiceGatewayMLS(channel_id)
    speaker = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, speaker_id, channel_id)
    listener = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, listener_id, channel_id)
    for s in (speaker, listener):
        s.set_external_sender(gateway.external_sender_package)
    key_package = listener.get_serialized_key_package()
    cw = speaker.process_proposals(davey.ProposalsOperationType.append,
                                   gateway.add_proposals([key_package]))
    assert cw is not None and cw.welcome
    speaker.process_commit(cw.commit)    # the gateway echoes the commit back to its author
    listener.process_welcome(cw.welcome)
    assert speaker.ready and listener.ready
    return speaker, listener


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
