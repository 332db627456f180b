"""Voice receive for one answering user: RTP payload → (DAVE decrypt) → opus decode → PCM callback.

discord-ext-voice-recv 0.5.x handles the socket, the transport decryption
(aead_xchacha20_poly1305_rtpsize), the SSRC → user map and a jitter buffer, then hands each
packet to an `AudioSink`. What it does not do is the second, end-to-end layer Discord enforces
on voice (DAVE): after transport decryption an audio payload is still an encrypted frame, and
voice-recv's own opus decoder reports "corrupted stream" (its issues #53/#64). We never edit
site-packages; instead `AnswerSink` asks voice-recv for raw opus (`wants_opus() -> True`) and
does the rest itself:

1. drop what is not the answering user's audio: video and other payload types, SSRCs nobody
   has claimed yet, other speakers;
2. strip RTP padding (voice-recv leaves it on the payload);
3. `DaveFrameDecryptor`: frames that end with the DAVE magic marker 0xFAFA are decrypted with the
   connection's `davey.DaveSession` for the sender's user id; frames without it (DAVE off, a
   protocol transition, silence) pass through unchanged;
4. decode with our own `discord.opus.Decoder` (one per SSRC), catching corrupt frames;
5. hand 20 ms of 48 kHz stereo s16le to the callback (the round's `feed_audio`).

Nothing here raises into voice-recv's router thread: an exception there would stop receiving for
the whole connection. Every drop is counted in `ReceiveStats` and logged (rate-limited).
When encrypted frames keep failing to decrypt, `on_undecryptable` fires once so the front end can
switch the user to typed answers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import discord
from discord.ext import voice_recv
from discord.opus import Decoder as OpusDecoder, OpusError

try:  # discord.py[voice] pulls davey in; keep the adapter importable without it
    import davey
except ImportError:  # pragma: no cover - exercised only on installs without davey
    davey = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

OPUS_PAYLOAD_TYPE = 120          # what Discord clients send audio as (RFC 7587 dynamic type)
DAVE_MAGIC = b"\xfa\xfa"         # last two bytes of every DAVE-encrypted frame
# A DAVE trailer is: 8-byte truncated tag, ULEB128 nonce (>= 1 byte), ULEB128 ranges, then one byte
# with the trailer's size (counting itself and the marker) and the 2-byte marker.
_DAVE_MIN_TRAILER = 8 + 1 + 1 + 2
PCM_FRAME_BYTES = OpusDecoder.FRAME_SIZE  # 3840: 20 ms, 48 kHz, stereo, s16le


@dataclass
class ReceiveStats:
    """Counters for one receive sink; read them from any thread (plain ints)."""

    packets: int = 0             # everything voice-recv handed us
    frames_decoded: int = 0      # PCM frames delivered to the callback
    lost: int = 0                # gaps the jitter buffer reported (no data to decode)
    non_audio: int = 0           # video / other payload types
    unknown_ssrc: int = 0        # no user claimed this SSRC yet
    other_user: int = 0          # someone else speaking in the channel
    dave_decrypted: int = 0
    dave_passthrough: int = 0    # no marker while DAVE was active (transitions, silence)
    dave_failed: int = 0         # marker present but the frame could not be decrypted
    dave_pending: int = 0        # marker present while the DAVE handshake was still running
    corrupt_opus: int = 0
    callback_errors: int = 0
    internal_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def strip_rtp_padding(payload: bytes, padded: bool) -> bytes:
    """RFC 3550 §5.1: with the P bit set, the last byte counts the padding bytes to remove."""
    if not padded or not payload:
        return payload
    n = payload[-1]
    if n == 0 or n > len(payload):
        return payload  # malformed padding: leave it, the decoder will judge
    return payload[:-n]


def is_dave_frame(frame: bytes) -> bool:
    """True when `frame` ends with a plausible DAVE trailer (magic marker + sane size byte)."""
    if len(frame) < _DAVE_MIN_TRAILER or frame[-2:] != DAVE_MAGIC:
        return False
    trailer = frame[-3]
    return _DAVE_MIN_TRAILER <= trailer <= len(frame)


def dave_session_of(voice_client: Any) -> Any:
    """The voice connection's `davey.DaveSession` while DAVE is in force, else None.

    discord.py keeps it on the connection state; a protocol version of 0 means DAVE is off (or
    was downgraded), whatever session object is still around. The session may not be `ready`
    yet (MLS handshake in progress): `DaveFrameDecryptor` handles that case.
    """
    conn = getattr(voice_client, "_connection", None)
    if conn is None:
        return None
    session = getattr(conn, "dave_session", None)
    if session is None or not getattr(conn, "dave_protocol_version", 0):
        return None
    return session


class DaveFrameDecryptor:
    """The DAVE step of the receive path, separate from voice-recv so it can be tested alone.

    `process(user_id, frame)` returns the opus frame to decode, or None to drop it.
    Passthrough (returned unchanged): frames without the DAVE marker (transitions, silence), and
    every frame while DAVE is off. Frames with the marker are decrypted for `user_id` with the
    session; while the session is not ready yet (handshake in progress) they are dropped, never
    handed to the opus decoder as noise. A failure or a not-ready drop is counted; after
    `fail_threshold` of them in a row `on_undecryptable(reason)` is called once (the round can
    then fall back to typed answers); a decrypted frame resets the streak.
    """

    def __init__(
        self,
        session_source: Callable[[], Any],
        stats: ReceiveStats,
        *,
        fail_threshold: int = 100,  # 2 s of 20 ms frames in a row
        on_undecryptable: Callable[[str], None] | None = None,
        log_every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_source = session_source
        self.stats = stats
        self.fail_threshold = fail_threshold
        self.on_undecryptable = on_undecryptable
        self._streak = 0
        self._fired = False
        self._last_log = float("-inf")
        self._log_every_s = log_every_s
        self._clock = clock
        self.last_error = ""

    @property
    def gave_up(self) -> bool:
        return self._fired

    def process(self, user_id: int, frame: bytes) -> bytes | None:
        if not is_dave_frame(frame):
            session = self._session_source()
            if session is not None:
                self.stats.dave_passthrough += 1
            return frame
        session = self._session_source()
        if session is None:
            # DAVE is off: a plain opus frame that happens to end in 0xFAFA. The decoder judges.
            self.stats.dave_passthrough += 1
            return frame
        if not getattr(session, "ready", False):
            self.stats.dave_pending += 1
            self._failed(user_id, "the DAVE session is not ready yet (handshake in progress)",
                         pending=True)
            return None
        try:
            out = session.decrypt(user_id, davey.MediaType.audio, bytes(frame))
        except Exception as e:  # davey raises ValueError/RuntimeError subclasses
            self._failed(user_id, f"{type(e).__name__}: {e}")
            return None
        self.stats.dave_decrypted += 1
        self._streak = 0
        return bytes(out)

    def _failed(self, user_id: int, error: str, *, pending: bool = False) -> None:
        if not pending:
            self.stats.dave_failed += 1
        self._streak += 1
        self.last_error = error
        now = self._clock()
        if now - self._last_log >= self._log_every_s:
            self._last_log = now
            log.warning("DAVE: could not decrypt a voice frame from user %s (%s); %d failed so far",
                        user_id, self.last_error, self.stats.dave_failed)
        if self._streak >= self.fail_threshold and not self._fired:
            self._fired = True
            reason = (f"{self._streak} encrypted voice frames in a row could not be decrypted "
                      f"({self.last_error})")
            log.error("DAVE: giving up on voice for user %s: %s", user_id, reason)
            if self.on_undecryptable is not None:
                try:
                    self.on_undecryptable(reason)
                except Exception:
                    log.exception("on_undecryptable callback failed")


class AnswerSink(voice_recv.AudioSink):
    """Receives the audio of exactly one user and delivers it as Discord PCM to `on_pcm`.

    `on_pcm(pcm48_stereo: bytes)` runs on voice-recv's router thread: keep it quick and
    thread-safe (`MockRound.feed_audio` is).
    """

    def __init__(
        self,
        user_id: int,
        on_pcm: Callable[[bytes], None],
        *,
        session_source: Callable[[], Any] | None = None,
        on_undecryptable: Callable[[str], None] | None = None,
        fail_threshold: int = 100,
    ) -> None:
        super().__init__()
        self._voice_client = None  # set by voice-recv's AudioReader when listening starts
        self.user_id = user_id
        self.on_pcm = on_pcm
        self.stats = ReceiveStats()
        self.dave = DaveFrameDecryptor(
            session_source or (lambda: dave_session_of(self.voice_client)),
            self.stats, fail_threshold=fail_threshold, on_undecryptable=on_undecryptable,
        )
        self._decoders: dict[int, OpusDecoder] = {}
        self._lock = threading.Lock()
        self._last_log: dict[str, float] = {}

    def wants_opus(self) -> bool:
        return True  # we decrypt (DAVE) and decode ourselves

    def write(self, user: Any, data: voice_recv.VoiceData) -> None:
        try:
            self._write(user, data)
        except Exception:  # never let an error reach the router thread
            self.stats.internal_errors += 1
            self._log_limited("internal", logging.ERROR, "voice receive: unexpected error", exc=True)

    def _write(self, user: Any, data: voice_recv.VoiceData) -> None:
        packet = data.packet
        with self._lock:
            self.stats.packets += 1
            if not packet:  # FakePacket: the jitter buffer's placeholder for a lost packet
                self.stats.lost += 1
                return
            payload_type = getattr(packet, "payload", OPUS_PAYLOAD_TYPE)
            if payload_type != OPUS_PAYLOAD_TYPE:
                self.stats.non_audio += 1
                self._log_limited("non_audio", logging.DEBUG,
                                  "voice receive: ignoring payload type %s (ssrc %s)",
                                  payload_type, packet.ssrc)
                return
            uid = self._user_id_for(user, packet.ssrc)
            if uid is None:
                self.stats.unknown_ssrc += 1
                self._log_limited("unknown_ssrc", logging.INFO,
                                  "voice receive: audio from unknown ssrc %s dropped", packet.ssrc)
                return
            if uid != self.user_id:
                self.stats.other_user += 1
                return
            opus = packet.decrypted_data
            if not opus:
                self.stats.lost += 1
                return
            opus = strip_rtp_padding(bytes(opus), bool(getattr(packet, "padding", False)))
            frame = self.dave.process(uid, opus)
            if frame is None:
                return
            pcm = self._decode(packet.ssrc, frame)
            if pcm is None:
                return
            self.stats.frames_decoded += 1
        try:
            self.on_pcm(pcm)
        except Exception:
            self.stats.callback_errors += 1
            self._log_limited("callback", logging.ERROR, "voice receive: audio callback failed", exc=True)

    def _user_id_for(self, user: Any, ssrc: int) -> int | None:
        vc = self.voice_client
        uid = None
        if vc is not None:
            uid = vc._get_id_from_ssrc(ssrc)  # kept by voice-recv from SPEAKING / VIDEO ops
        if uid is None and user is not None:
            uid = getattr(user, "id", None)
        return uid

    def _decode(self, ssrc: int, frame: bytes) -> bytes | None:
        decoder = self._decoders.get(ssrc)
        if decoder is None:
            decoder = self._decoders[ssrc] = OpusDecoder()
        try:
            return decoder.decode(frame, fec=False)
        except OpusError as e:
            self.stats.corrupt_opus += 1
            self._log_limited("corrupt", logging.WARNING,
                              "voice receive: undecodable opus frame (%s); %d so far",
                              e, self.stats.corrupt_opus)
            # A fresh decoder: libopus state after a bad frame is not worth trusting.
            self._decoders[ssrc] = OpusDecoder()
            return None

    def _log_limited(self, key: str, level: int, msg: str, *args: Any, exc: bool = False) -> None:
        now = time.monotonic()
        if now - self._last_log.get(key, float("-inf")) < 10.0:
            return
        self._last_log[key] = now
        log.log(level, msg, *args, exc_info=exc)

    @voice_recv.AudioSink.listener()
    def on_voice_member_disconnect(self, member: discord.Member | None, ssrc: int | None) -> None:
        if ssrc is not None:
            with self._lock:
                self._decoders.pop(ssrc, None)

    def cleanup(self) -> None:
        with self._lock:
            self._decoders.clear()
