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
3. `DaveFrameDecryptor`, as the public receivers do it (discord.js `DAVESession.decrypt`,
   py-cord's DAVE receive): with DAVE off every frame passes; opus silence (F8 FF FE) always
   passes; while the MLS handshake runs, unencrypted frames pass and encrypted ones are dropped;
   once the session is ready every frame goes through `davey.DaveSession.decrypt`, which lets an
   unencrypted frame through only inside the transition window it was given
   (`set_passthrough_mode`), so a stray plain frame is not decoded as speech outside it;
4. decode with our own `discord.opus.Decoder` (one per SSRC), catching corrupt frames;
5. hand 20 ms of 48 kHz stereo s16le to the callback (the round's `feed_audio`).

Nothing here raises into voice-recv's router thread: an exception there would stop receiving for
the whole connection. Every drop is counted in `ReceiveStats` and logged (rate-limited).
A frame from an SSRC no user has claimed yet (its SPEAKING op may trail the first packets) is held
for up to `HOLD_S` and delivered once the SSRC is mapped. After `reinit_threshold` failed frames in
a row on a ready session, the connection's DAVE session is re-initialised (op 31 and a fresh key
package, what discord.py does for a commit it cannot process; at most once per `REINIT_MIN_S`).
When frames keep failing, `on_undecryptable` fires so the front end can offer typed answers;
when audio decrypts again `on_recovered` fires, and a later failure run can fire again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import discord
from discord.ext import voice_recv
from discord.opus import Decoder as OpusDecoder
from discord.opus import OpusError

from bot.clock import Now
from bot.speech.audio_format import DISCORD_RATE, FRAME_BYTES, FRAME_S

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
PCM_FRAME_BYTES = FRAME_BYTES  # 3840: 20 ms, 48 kHz, stereo, s16le (OpusDecoder.FRAME_SIZE)
OPUS_SILENCE = b"\xf8\xff\xfe"   # what clients send before going quiet; never encrypted
HOLD_S = 1.0                     # how long a frame from an unmapped SSRC waits for its user
HOLD_MAX_FRAMES = 50             # and how many per SSRC (1 s of 20 ms frames)
# A frame is placed on the answer's timeline by its RTP timestamp (media time), not by when it
# arrived: a receive thread that stalls, or a network that bunches packets, delivers frames late
# and together, and placing them by arrival would put silence inside the speech. The media clock
# is tied to ours at the earliest arrival seen; a jump past MEDIA_GAP_MAX_S (a new stream) or a
# frame more than MEDIA_LATE_MAX_S behind its media time (sender and receiver drifted) ties it again.
MEDIA_GAP_MAX_S = 600.0
MEDIA_LATE_MAX_S = 1.0
REINIT_MIN_S = 15.0              # at most one DAVE re-initialisation per connection this often


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
    dave_passthrough: int = 0    # unencrypted while DAVE was active (handshake, transition window)
    dave_silence: int = 0        # opus silence frames (never encrypted)
    dave_failed: int = 0         # could not be decrypted (or unencrypted outside the window)
    dave_pending: int = 0        # marker present while the DAVE handshake was still running
    dave_reinit: int = 0         # re-initialisations asked for after a run of failures
    dave_recovered: int = 0      # times audio decrypted again after the user was given up on
    rtp_expected: int = 0        # the user's packets the RTP sequence numbers say were sent
    rtp_received: int = 0        # of those, received (loss = expected - received)
    held: int = 0                # frames from an unmapped SSRC kept for a moment
    held_delivered: int = 0      # of those, delivered once the SSRC was mapped to our user
    corrupt_opus: int = 0
    callback_errors: int = 0
    internal_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """What changed since the snapshot `before` (an earlier `as_dict()`), non-zero only."""
        now = self.as_dict()
        return {k: v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}


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

    `process(user_id, frame)` returns the opus frame to decode, or None to drop it (see the module
    docstring for which frames pass). A failure or a not-ready drop extends the failure streak; a
    decrypted frame ends it. At `reinit_threshold` failures in a row on a ready session
    `on_reinit()` is called (once per streak); at `fail_threshold` `on_undecryptable(reason)` is
    called; the first frame that decrypts after that calls `on_recovered()`, and a later streak
    can fire `on_undecryptable` again.
    """

    def __init__(
        self,
        session_source: Callable[[], Any],
        stats: ReceiveStats,
        *,
        fail_threshold: int = 100,  # 2 s of 20 ms frames in a row
        reinit_threshold: int = 50,
        on_undecryptable: Callable[[str], None] | None = None,
        on_recovered: Callable[[], None] | None = None,
        on_reinit: Callable[[], object] | None = None,  # its result (whether a re-init was asked) is not used
        log_every_s: float = 10.0,
        clock: Now = time.monotonic,
    ) -> None:
        self._session_source = session_source
        self.stats = stats
        self.fail_threshold = fail_threshold
        self.reinit_threshold = reinit_threshold
        self.on_undecryptable = on_undecryptable
        self.on_recovered = on_recovered
        self.on_reinit = on_reinit
        self._streak = 0
        self._fired = False
        self._reinit_asked = False
        self._last_log = float("-inf")
        self._log_every_s = log_every_s
        self._clock = clock
        self.last_error = ""

    @property
    def gave_up(self) -> bool:
        """True while the user is given up on (between `on_undecryptable` and `on_recovered`)."""
        return self._fired

    def process(self, user_id: int, frame: bytes) -> bytes | None:
        session = self._session_source()
        if session is None:          # DAVE off (or downgraded): transport encryption only
            self._ok()
            return frame
        if frame == OPUS_SILENCE:
            self.stats.dave_silence += 1
            return frame
        if not getattr(session, "ready", False):
            if is_dave_frame(frame):
                self.stats.dave_pending += 1
                self._failed(user_id, "the DAVE session is not ready yet (handshake in progress)",
                             pending=True)
                return None
            self.stats.dave_passthrough += 1  # no group yet: nobody can be encrypting
            return frame
        try:
            out = session.decrypt(user_id, davey.MediaType.audio, bytes(frame))
        except Exception as e:  # davey raises ValueError (wrong key, bad trailer, plain outside the window)
            self._failed(user_id, f"{type(e).__name__}: {e}", ready=True)
            return None
        if is_dave_frame(frame):
            self.stats.dave_decrypted += 1
        else:
            self.stats.dave_passthrough += 1
        self._ok()
        return bytes(out)

    def _ok(self) -> None:
        self._streak = 0
        self._reinit_asked = False
        if self._fired:
            self._fired = False
            self.stats.dave_recovered += 1
            log.info("DAVE: voice decrypts again after %s", self.last_error or "a failure run")
            self._call(self.on_recovered)

    def _failed(self, user_id: int, error: str, *, pending: bool = False, ready: bool = False) -> None:
        if not pending:
            self.stats.dave_failed += 1
        self._streak += 1
        self.last_error = error
        now = self._clock()
        if now - self._last_log >= self._log_every_s:
            self._last_log = now
            log.warning("DAVE: could not decrypt a voice frame from user %s (%s); %d failed so far",
                        user_id, self.last_error, self.stats.dave_failed)
        if ready and self._streak >= self.reinit_threshold and not self._reinit_asked:
            self._reinit_asked = True
            self.stats.dave_reinit += 1
            log.warning("DAVE: %d frames in a row from user %s failed; re-initialising the session",
                        self._streak, user_id)
            self._call(self.on_reinit)
        if self._streak >= self.fail_threshold and not self._fired:
            self._fired = True
            reason = (f"{self._streak} encrypted voice frames in a row could not be decrypted "
                      f"({self.last_error})")
            log.error("DAVE: giving up on voice for user %s: %s", user_id, reason)
            if self.on_undecryptable is not None:
                self._call(lambda: self.on_undecryptable(reason))  # type: ignore[misc]

    @staticmethod
    def _call(fn: Callable[[], object] | None) -> None:
        if fn is None:
            return
        try:
            fn()
        except Exception:
            log.exception("DAVE receive callback failed")


_reinit_lock = threading.Lock()
_last_reinit: dict[int, float] = {}  # id(connection state) -> monotonic time of the last re-init


def request_dave_reinit(voice_client: Any, *, clock: Now = time.monotonic) -> bool:
    """Ask discord.py to re-initialise the connection's DAVE session (op 31, new key package) from
    any thread; coalesced per connection to one per `REINIT_MIN_S`. Returns whether it was asked."""
    conn = getattr(voice_client, "_connection", None)
    loop = getattr(voice_client, "loop", None)
    recover = getattr(conn, "_recover_from_invalid_commit", None)
    if conn is None or loop is None or recover is None or loop.is_closed():
        return False
    now = clock()
    with _reinit_lock:
        if now - _last_reinit.get(id(conn), float("-inf")) < REINIT_MIN_S:
            return False
        _last_reinit[id(conn)] = now
    pending = getattr(conn, "dave_pending_transitions", None) or {}
    transition_id = max(pending, default=0)

    async def run() -> None:
        try:
            await recover(transition_id)
        except Exception:
            log.warning("DAVE re-initialisation failed", exc_info=True)

    asyncio.run_coroutine_threadsafe(run(), loop)
    return True


class AnswerSink(voice_recv.AudioSink):
    """Receives the audio of exactly one user and delivers it as Discord PCM to `on_pcm`.

    `on_pcm(pcm48_stereo: bytes, at: float)` runs on voice-recv's router thread: keep it quick
    and thread-safe (`MockRound.feed_audio` is). `at` is when the frame ended on `clock`, from its
    RTP timestamp (see MEDIA_GAP_MAX_S), so frames that arrive late together keep their spacing.
    """

    def __init__(
        self,
        user_id: int,
        on_pcm: Callable[[bytes, float], None],
        *,
        session_source: Callable[[], Any] | None = None,
        on_undecryptable: Callable[[str], None] | None = None,
        on_recovered: Callable[[], None] | None = None,
        on_trouble: Callable[[int], None] | None = None,
        fail_threshold: int = 100,
        reinit_threshold: int = 50,
        clock: Now = time.monotonic,
    ) -> None:
        """`on_trouble(frames)`: that many 20 ms frames of the user's audio, ending now, were lost
        (RTP sequence gap) or unusable (DAVE, opus); called on the router thread."""
        super().__init__()
        self._voice_client = None  # set by voice-recv's AudioReader when listening starts
        self.user_id = user_id
        self.on_pcm = on_pcm
        self.stats = ReceiveStats()
        self._clock = clock
        self.dave = DaveFrameDecryptor(
            session_source or (lambda: dave_session_of(self.voice_client)),
            self.stats, fail_threshold=fail_threshold, reinit_threshold=reinit_threshold,
            on_undecryptable=on_undecryptable, on_recovered=on_recovered,
            on_reinit=lambda: request_dave_reinit(self.voice_client), clock=clock,
        )
        self._decoders: dict[int, OpusDecoder] = {}
        self._held: dict[int, deque[tuple[float, Any]]] = {}  # ssrc -> (arrival, packet) not yet mapped
        self._lock = threading.Lock()
        self._last_log: dict[str, float] = {}
        self._snapshot = self.stats.as_dict()
        self.on_trouble = on_trouble
        self._last_seq: dict[int, int] = {}
        self._media_anchor: dict[int, tuple[int, float]] = {}  # ssrc -> (RTP timestamp, clock time it began)

    def counters_since_last(self) -> dict[str, int]:
        """The receive counters that changed since the last call (one answer's worth)."""
        with self._lock:
            changed = self.stats.since(self._snapshot)
            self._snapshot = self.stats.as_dict()
        return changed

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
            now = self._clock()
            self._expire_held(now)
            if uid is None:
                self._hold(packet, now)
                return
            held = self._held.pop(packet.ssrc, None)
            if uid != self.user_id:
                self.stats.other_user += 1 + (len(held) if held else 0)
                return
            pcms: list[tuple[bytes, float]] = []
            trouble = 0
            for _, early in held or ():
                trouble += self._sequence(early)
                pcm = self._frame_to_pcm(uid, early)
                if pcm is not None:
                    self.stats.held_delivered += 1
                    pcms.append((pcm, self._media_at(early, now)))
                elif early.decrypted_data:
                    trouble += 1
            trouble += self._sequence(packet)
            pcm = self._frame_to_pcm(uid, packet)
            if pcm is not None:
                pcms.append((pcm, self._media_at(packet, now)))
            elif packet.decrypted_data:
                trouble += 1
        if trouble and self.on_trouble is not None:
            try:
                self.on_trouble(trouble)
            except Exception:
                self.stats.callback_errors += 1
                self._log_limited("trouble", logging.ERROR, "voice receive: trouble callback failed", exc=True)
        for pcm, at in pcms:
            try:
                self.on_pcm(pcm, at)
            except Exception:
                self.stats.callback_errors += 1
                self._log_limited("callback", logging.ERROR, "voice receive: audio callback failed", exc=True)

    def _media_at(self, packet: Any, now: float) -> float:
        """When this frame ended on our clock, by its RTP timestamp (MEDIA_GAP_MAX_S). Holds the lock."""
        ts = getattr(packet, "timestamp", None)
        if not isinstance(ts, int):
            return now
        anchor = self._media_anchor.get(packet.ssrc)
        if anchor is not None:
            ts0, t0 = anchor
            elapsed = ((ts - ts0) & 0xFFFFFFFF) / DISCORD_RATE
            at = t0 + elapsed + FRAME_S
            if elapsed <= MEDIA_GAP_MAX_S and now - MEDIA_LATE_MAX_S <= at <= now:
                return at
            if elapsed <= MEDIA_GAP_MAX_S and at > now:
                # arrived sooner than the anchor frame did: the anchor was late; tie to this one
                self._media_anchor[packet.ssrc] = (ts0, now - FRAME_S - elapsed)
                return now
        self._media_anchor[packet.ssrc] = (ts, now - FRAME_S)
        return now

    def _sequence(self, packet: Any) -> int:
        """Count the packet against the RTP sequence numbers; returns how many were skipped
        (lost on the way) since the previous one of its SSRC. Holds the lock."""
        seq = getattr(packet, "sequence", None)
        if not isinstance(seq, int):
            return 0
        last = self._last_seq.get(packet.ssrc)
        self.stats.rtp_received += 1
        if last is None:
            self._last_seq[packet.ssrc] = seq
            self.stats.rtp_expected += 1
            return 0
        step = (seq - last) & 0xFFFF
        if step == 0:                      # a duplicate
            self.stats.rtp_received -= 1
            return 0
        if step > 0x8000:                  # a late one: its slot was already expected
            return 0
        self._last_seq[packet.ssrc] = seq
        if step > 3000:                    # a new stream on the same SSRC (60 s of packets)
            self.stats.rtp_expected += 1
            return 0
        self.stats.rtp_expected += step
        return step - 1

    def _frame_to_pcm(self, uid: int, packet: Any) -> bytes | None:
        """Padding off, DAVE, opus: 20 ms of PCM, or None (counted). Holds the lock."""
        opus = packet.decrypted_data
        if not opus:
            self.stats.lost += 1
            return None
        opus = strip_rtp_padding(bytes(opus), bool(getattr(packet, "padding", False)))
        frame = self.dave.process(uid, opus)
        if frame is None:
            return None
        pcm = self._decode(packet.ssrc, frame)
        if pcm is None:
            return None
        self.stats.frames_decoded += 1
        return pcm

    def _hold(self, packet: Any, now: float) -> None:
        """An SSRC nobody claimed yet: its SPEAKING op may trail the first packets. Keep a little."""
        q = self._held.setdefault(packet.ssrc, deque())
        if len(q) >= HOLD_MAX_FRAMES:
            q.popleft()
            self.stats.unknown_ssrc += 1
        q.append((now, packet))
        self.stats.held += 1
        self._log_limited("unknown_ssrc", logging.INFO,
                          "voice receive: audio from unmapped ssrc %s held for up to %.1f s",
                          packet.ssrc, HOLD_S)

    def _expire_held(self, now: float) -> None:
        for ssrc in list(self._held):
            q = self._held[ssrc]
            while q and now - q[0][0] > HOLD_S:
                q.popleft()
                self.stats.unknown_ssrc += 1  # never claimed: dropped
            if not q:
                del self._held[ssrc]

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
                self._held.pop(ssrc, None)

    def cleanup(self) -> None:
        with self._lock:
            self._decoders.clear()
            self._held.clear()
