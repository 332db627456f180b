"""The voice receive adapter with real data: real speech, real opus, real RTP, real transport
encryption, real DAVE (MLS) sessions, and discord-ext-voice-recv's own reader/router/jitter buffer
reading from a real UDP socket on loopback. Only Discord's voice server (the network peer) is
played by the test: it sends the packets a speaking user's client would have sent through it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import davey
import nacl.utils
import numpy as np
import pytest
from discord.ext import voice_recv
from discord.opus import Encoder as OpusEncoder

from bot.discord_io.voice_receive import (
    DAVE_MAGIC,
    HOLD_S,
    OPUS_SILENCE,
    AnswerSink,
    DaveFrameDecryptor,
    ReceiveStats,
    is_dave_frame,
    strip_rtp_padding,
)
from bot.speech.audio import decode_file, pcm48_stereo_to_16k_mono, to_pcm48_stereo
from tests.discord.helpers import MockMember
from tests.discord.rtp_helpers import (
    BOT_ID,
    CHANNEL_ID,
    FRAME,
    SAMPLES,
    USER_ID,
    DaveWire,
    UserClient,
    VoiceLink,
    dave_pair,
    pcm_frames,
)

JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")


# --------------------------------------------------------------------------- helpers


def wer(reference: str, hypothesis: str) -> float:
    norm = lambda s: re.sub(r"[^a-z' ]", " ", s.lower()).split()  # noqa: E731
    r, h = norm(reference), norm(hypothesis)
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))


class CountingSink(AnswerSink):
    """The real sink, plus a condition the test can wait on instead of sleeping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cond = threading.Condition()

    def write(self, user: Any, data: voice_recv.VoiceData) -> None:
        super().write(user, data)
        with self.cond:
            self.cond.notify_all()

    def wait_packets(self, n: int, timeout: float = 10.0) -> None:
        with self.cond:
            ok = self.cond.wait_for(lambda: self.stats.packets >= n, timeout)
        assert ok, f"receive path stalled: {self.stats.packets} of {n} packets reached the sink"


@pytest.fixture
async def link():
    user = MockMember(id=USER_ID, name="speaker")
    other = MockMember(name="bystander")
    lk = VoiceLink([user, other])
    lk.user, lk.other = user, other
    yield lk
    lk.close()


@pytest.fixture(scope="module")
def jfk_pcm48(jfk_path) -> bytes:
    return to_pcm48_stereo(decode_file(jfk_path), 16_000)


def stream(link: VoiceLink, sink: CountingSink, packets: list[bytes], *, already: int = 0) -> None:
    """Send packets one by one, letting the jitter buffer pass each on before the next.

    voice-recv's jitter buffer holds 10 packets and keeps one back until the next arrives, so
    after packet k of a stream has been sent, k packets (k >= 1) reach the sink.
    """
    for k, pkt in enumerate(packets):
        link.send(pkt)
        if k:
            sink.wait_packets(already + k)


# --------------------------------------------------------------------------- small pieces


def test_rtp_padding_is_stripped_only_when_flagged() -> None:
    payload = b"opus-bytes" + bytes([0, 0, 3])
    assert strip_rtp_padding(payload, True) == b"opus-bytes"
    assert strip_rtp_padding(payload, False) == payload
    assert strip_rtp_padding(b"\x00\x09", True) == b"\x00\x09"  # count past the start: untouched


def test_dave_marker_detection_needs_marker_and_sane_trailer() -> None:
    speaker, _ = dave_pair()
    sealed = speaker.encrypt_opus(b"\x78" + bytes(40))
    assert sealed.endswith(DAVE_MAGIC) and is_dave_frame(sealed)
    assert not is_dave_frame(b"\x78" + bytes(40))
    assert not is_dave_frame(b"\x01\x02\xfa\xfa")            # too short for a trailer
    assert not is_dave_frame(bytes(30) + b"\xff\xfa\xfa")    # trailer size past the frame


# --------------------------------------------------------------------------- DAVE


def test_dave_frame_from_one_member_is_decrypted_via_the_other() -> None:
    """Two real davey sessions joined into one MLS group (see VoiceGatewayMLS): a frame the user's
    session encrypts is decrypted by our adapter through the bot's session."""
    speaker, listener = dave_pair()
    stats = ReceiveStats()
    dec = DaveFrameDecryptor(lambda: listener, stats)
    enc = OpusEncoder()
    frames = [enc.encode(bytes(FRAME), SAMPLES) for _ in range(3)]
    frames[1] = enc.encode(np.full(FRAME // 2, 1200, "<i2").tobytes(), SAMPLES)
    for f in frames:
        sealed = speaker.encrypt_opus(f)
        assert sealed != f and sealed.endswith(DAVE_MAGIC)
        assert dec.process(USER_ID, sealed) == f
    # opus silence is never encrypted and always passes
    assert dec.process(USER_ID, OPUS_SILENCE) == OPUS_SILENCE
    # an unencrypted frame outside a transition window is refused (davey), not decoded as speech
    assert dec.process(USER_ID, frames[1]) is None
    assert (stats.dave_decrypted, stats.dave_passthrough, stats.dave_failed, stats.dave_silence) == (3, 0, 1, 1)
    # inside the window discord.py opens for a transition (set_passthrough_mode) it passes untouched
    listener.set_passthrough_mode(True, 10)
    assert dec.process(USER_ID, frames[0]) == frames[0]
    assert dec.process(USER_ID, speaker.encrypt_opus(frames[2])) == frames[2]
    assert (stats.dave_decrypted, stats.dave_passthrough, stats.dave_failed) == (4, 1, 1)
    assert speaker.voice_privacy_code == listener.voice_privacy_code


def test_repeated_dave_failures_fire_the_fallback_once() -> None:
    speaker, _ = dave_pair()
    _, stranger_listener = dave_pair(listener_id=BOT_ID + 1)  # another group, other keys
    fired: list[str] = []
    stats = ReceiveStats()
    dec = DaveFrameDecryptor(lambda: stranger_listener, stats, fail_threshold=5,
                             on_undecryptable=fired.append)
    frame = OpusEncoder().encode(bytes(FRAME), SAMPLES)
    for _ in range(4):
        assert dec.process(USER_ID, speaker.encrypt_opus(frame)) is None
    assert not fired and not dec.gave_up
    for _ in range(10):
        assert dec.process(USER_ID, speaker.encrypt_opus(frame)) is None
    assert len(fired) == 1 and dec.gave_up and "could not be decrypted" in fired[0]
    assert stats.dave_failed == 14


def test_a_failure_run_reinitialises_then_recovery_withdraws_and_a_new_run_fires_again() -> None:
    """Not one-shot: a re-handshake while someone speaks gives up on them only until their audio
    decrypts again. A run on a ready session also asks for one re-initialisation."""
    speaker, listener = dave_pair()
    stranger, _ = dave_pair(speaker_id=USER_ID, listener_id=BOT_ID + 1)  # same user, other group
    events: list[str] = []
    stats = ReceiveStats()
    dec = DaveFrameDecryptor(lambda: listener, stats, fail_threshold=6, reinit_threshold=3,
                             on_undecryptable=lambda r: events.append("gave_up"),
                             on_recovered=lambda: events.append("recovered"),
                             on_reinit=lambda: events.append("reinit"))
    frame = OpusEncoder().encode(bytes(FRAME), SAMPLES)
    for _ in range(8):
        assert dec.process(USER_ID, stranger.encrypt_opus(frame)) is None
    assert events == ["reinit", "gave_up"] and dec.gave_up
    assert dec.process(USER_ID, speaker.encrypt_opus(frame)) == frame
    assert events[-1] == "recovered" and not dec.gave_up and stats.dave_recovered == 1
    for _ in range(6):
        dec.process(USER_ID, stranger.encrypt_opus(frame))
    assert events == ["reinit", "gave_up", "recovered", "reinit", "gave_up"]
    assert stats.dave_reinit == 2


def test_encrypted_frames_are_dropped_while_the_handshake_runs() -> None:
    """A session that exists but is not ready (DAVE negotiated, MLS group not joined yet): frames
    with the marker are dropped, not fed to opus as noise; plain frames still pass."""
    speaker, _ = dave_pair()
    joining = davey.DaveSession(davey.DAVE_PROTOCOL_VERSION, BOT_ID, CHANNEL_ID)
    assert not joining.ready
    fired: list[str] = []
    stats = ReceiveStats()
    dec = DaveFrameDecryptor(lambda: joining, stats, fail_threshold=3, on_undecryptable=fired.append)
    plain = OpusEncoder().encode(bytes(FRAME), SAMPLES)
    assert dec.process(USER_ID, speaker.encrypt_opus(plain)) is None
    assert dec.process(USER_ID, plain) == plain
    assert (stats.dave_pending, stats.dave_failed, stats.dave_passthrough) == (1, 0, 1)
    for _ in range(2):
        dec.process(USER_ID, speaker.encrypt_opus(plain))
    assert len(fired) == 1 and "not ready" in fired[0]  # a handshake that never completes


def test_without_an_active_session_everything_passes_through() -> None:
    speaker, _ = dave_pair()
    stats = ReceiveStats()
    dec = DaveFrameDecryptor(lambda: None, stats)
    sealed = speaker.encrypt_opus(b"\x78" + bytes(20))
    assert dec.process(USER_ID, sealed) == sealed
    assert stats.dave_failed == 0


async def test_the_session_is_read_from_discord_py_connection_state(link) -> None:
    """discord.py's own voice-gateway handlers build the DAVE session (op 4, then 25-30 and the
    transition 23/22 against the stand-in's voice-server role), downgrade it (21-23) and start a
    fresh group (24); `dave_session_of` follows what they leave behind, and a member's frames
    decrypt through it after each step (the bot's own frames through the member's session)."""
    from bot.discord_io.voice_receive import dave_session_of

    wire = DaveWire(link, [USER_ID])
    conn = link.vc._connection
    enc = OpusEncoder()
    opus = enc.encode(bytes(FRAME), SAMPLES)
    stats = ReceiveStats()
    dave = DaveFrameDecryptor(lambda: dave_session_of(link.vc), stats)
    try:
        assert dave_session_of(link.vc) is None                  # nothing negotiated yet
        await wire.connect()
        await wire.wait("dave_execute", lambda d: BOT_ID in d["members"])
        session = conn.dave_session
        assert session is not None and session.ready and conn.can_encrypt
        assert dave_session_of(link.vc) is session
        # one member and no group yet: the bot was asked to commit (op 27) and its commit came back
        assert wire.events.find("dave_proposals", lambda d: d["to"] == BOT_ID and d["adds"] == [USER_ID])
        assert wire.call.counts["rejected_commits"] == 0
        member = wire.call.locals[USER_ID]
        assert member.ready and wire.call.encrypts(USER_ID)
        assert dave.process(USER_ID, wire.call.encrypt_from(USER_ID, opus)) == opus
        assert wire.call.decrypt_from(BOT_ID, session.encrypt_opus(opus)) == (opus, "decrypted")

        t = wire.events.events[-1].at
        await wire.call.downgrade()                               # op 21 → 23 → 22 (to protocol 0)
        await wire.wait("dave_execute", lambda d: d["protocol_version"] == 0, after=t)
        assert conn.dave_protocol_version == 0 and conn.dave_downgraded
        assert dave_session_of(link.vc) is None and not conn.can_encrypt
        assert wire.call.encrypt_from(USER_ID, opus) == opus     # members send plain opus again
        assert dave.process(USER_ID, opus) == opus

        t = wire.events.events[-1].at
        await wire.call.upgrade()                                 # op 24: a fresh group
        await wire.wait("dave_execute", lambda d: d["protocol_version"] == 1 and BOT_ID in d["members"],
                        after=t)
        assert conn.dave_protocol_version == 1 and conn.dave_session.ready
        assert dave_session_of(link.vc) is conn.dave_session
        renewed = wire.call.locals[USER_ID]                       # the member's client re-initialised too
        assert renewed is not member and renewed.ready and renewed.epoch == 1
        assert dave.process(USER_ID, wire.call.encrypt_from(USER_ID, opus)) == opus
        assert stats.dave_decrypted == 2 and stats.dave_failed == 0
    finally:
        await wire.close()


# --------------------------------------------------------------------------- the whole path


async def _receive(link: VoiceLink, jfk_pcm48: bytes, *, dave: bool) -> tuple[CountingSink, bytes]:
    received: list[bytes] = []
    user_client = UserClient(link.secret_key, ssrc=4242)
    if dave:
        speaker, listener = dave_pair()
        user_client.dave = speaker
        link.use_dave(listener)
    sink = CountingSink(USER_ID, lambda pcm, at: received.append(pcm))
    link.vc.listen(sink)
    await link.speaking(USER_ID, 4242)
    packets = [user_client.rtp(user_client.opus(f), pad=(4 if i % 7 == 3 else 0))
               for i, f in enumerate(pcm_frames(jfk_pcm48))]
    stream(link, sink, packets)
    return sink, b"".join(received)


@pytest.mark.slow
@pytest.mark.parametrize("dave", [False, True], ids=["transport-only", "dave"])
async def test_real_speech_over_rtp_is_received_and_transcribed(link, jfk_pcm48, transcriber,
                                                                dave) -> None:
    sink, pcm = await _receive(link, jfk_pcm48, dave=dave)
    n = len(pcm_frames(jfk_pcm48))
    # Every frame but the one the jitter buffer still holds arrived and decoded.
    assert sink.stats.frames_decoded == n - 1, sink.stats
    assert sink.stats.corrupt_opus == 0 and sink.stats.dave_failed == 0
    assert sink.stats.dave_decrypted == (n - 1 if dave else 0)
    assert len(pcm) == (n - 1) * FRAME
    transcript = transcriber.transcribe_sync(pcm48_stereo_to_16k_mono(pcm))
    assert wer(JFK_TEXT, transcript.text) <= 0.15, transcript.text


async def test_hostile_packets_are_counted_and_receive_survives(link) -> None:
    received: list[bytes] = []
    now = [100.0]
    sink = CountingSink(USER_ID, lambda pcm, at: received.append(pcm), clock=lambda: now[0])
    link.vc.listen(sink)
    user = UserClient(link.secret_key, ssrc=4242)
    other = UserClient(link.secret_key, ssrc=5151)
    stranger = UserClient(link.secret_key, ssrc=6161)        # never announced: unknown SSRC
    video = UserClient(link.secret_key, ssrc=4243)           # the user's camera stream
    await link.speaking(USER_ID, 4242)
    await link.speaking(link.other.id, 5151)
    tone = np.tile(np.array([3000, 3000, -3000, -3000], "<i2"), FRAME // 8).tobytes()

    # Each stream keeps its last packet in its own jitter buffer, so each sends one extra.
    stream(link, sink, [stranger.rtp(stranger.opus(tone)) for _ in range(4)])        # 3 reach
    assert sink.stats.held == 3 and sink.stats.unknown_ssrc == 0    # held: SPEAKING may trail
    now[0] += HOLD_S + 0.1                                           # ... but nobody claims it
    stream(link, sink, [video.rtp(nacl.utils.random(900), payload_type=103)
                        for _ in range(4)], already=3)                                # 3 reach
    stream(link, sink, [other.rtp(other.opus(tone)) for _ in range(4)], already=6)    # 3 reach
    # A packet sealed with the wrong key fails transport decryption inside voice-recv (same
    # sequence number as the next real one, so the jitter buffer sees no gap).
    impostor = UserClient(link.secret_key, ssrc=4242, seq=user.seq, ts=user.ts)
    wrong_key = impostor.rtp(impostor.opus(tone), key=nacl.utils.random(32))
    link.send(wrong_key)
    garbage = [user.rtp(b"\xff\xff\xff\xff" + nacl.utils.random(60)) for _ in range(3)]
    good = [user.rtp(user.opus(tone)) for _ in range(5)]
    stream(link, sink, garbage + good, already=9)                                    # 7 reach

    s = sink.stats
    assert s.unknown_ssrc == 3 and s.held_delivered == 0, s       # dropped once the hold ran out
    assert s.non_audio == 3 and s.other_user == 3, s
    assert s.corrupt_opus == 3, s
    assert s.frames_decoded == 4 and len(received) == 4, s   # the user's good frames still decode
    assert s.internal_errors == 0 and s.callback_errors == 0
    assert link.vc.is_listening()
    reader = link.vc._reader
    assert reader.packet_router.is_alive() and reader.error is None


async def test_frames_before_the_speaking_op_are_held_and_delivered_in_order(link) -> None:
    """Discord's SPEAKING op (SSRC → user) travels over the websocket and can trail the first
    RTP packets of a new speaker: those are held, then decoded once the SSRC is claimed."""
    received: list[bytes] = []
    sink = CountingSink(USER_ID, lambda pcm, at: received.append(pcm))
    link.vc.listen(sink)
    user = UserClient(link.secret_key, ssrc=4242)
    levels = [1000 * (k + 1) for k in range(7)]
    frames = [np.full(FRAME // 2, lv, "<i2").tobytes() for lv in levels]
    stream(link, sink, [user.rtp(user.opus(f)) for f in frames[:4]])                  # 3 reach, held
    assert sink.stats.held == 3 and not received
    await link.speaking(USER_ID, 4242)
    stream(link, sink, [user.rtp(user.opus(f)) for f in frames[4:]], already=3)       # 2 more reach
    with sink.cond:  # the router thread may still be decoding the last one
        assert sink.cond.wait_for(lambda: sink.stats.frames_decoded >= 5, 5.0), sink.stats
    assert sink.stats.held_delivered == 3 and sink.stats.corrupt_opus == 0, sink.stats
    assert sink.stats.unknown_ssrc == 0
    peaks = [int(np.abs(np.frombuffer(p, "<i2")).max()) for p in received]
    assert peaks == sorted(peaks), "held frames come first, in their order"


async def test_a_failing_callback_does_not_stop_receiving(link) -> None:
    calls: list[int] = []

    def flaky(pcm: bytes, at: float) -> None:
        calls.append(len(pcm))
        if len(calls) == 1:
            raise RuntimeError("the round fell over")

    sink = CountingSink(USER_ID, flaky)
    link.vc.listen(sink)
    user = UserClient(link.secret_key, ssrc=4242)
    await link.speaking(USER_ID, 4242)
    stream(link, sink, [user.rtp(user.opus(bytes(FRAME))) for _ in range(4)])
    assert calls == [FRAME] * 3
    assert sink.stats.callback_errors == 1 and link.vc._reader.packet_router.is_alive()


# --------------------------------------------------------------------------- playback


def test_playback_source_gives_20ms_frames_and_pads_the_last(jfk_pcm48) -> None:
    from bot.discord_io.audio_source import PCMBufferSource

    clip = jfk_pcm48[: 10 * FRAME + 1000]
    src = PCMBufferSource(clip)
    frames = []
    while chunk := src.read():
        frames.append(chunk)
    assert [len(f) for f in frames] == [FRAME] * 11
    assert b"".join(frames)[: len(clip)] == clip and frames[-1][1000:] == bytes(FRAME - 1000)
    assert not src.is_opus() and src.read() == b""


async def test_play_pcm_waits_for_the_player_thread_and_reports_errors() -> None:
    from bot.discord_io.audio_source import PlaybackError, play_pcm
    from tests.discord.helpers import MockVoiceClient

    vc = MockVoiceClient()

    def threaded_play(source, *, after=None, **_):  # discord.py plays on its own thread
        def run():
            n = 0
            while source.read():
                n += 1
            vc.fake.played_frames += n
            after(None if n else RuntimeError("nothing to play"))
        threading.Thread(target=run).start()

    vc.play.side_effect = threaded_play
    await play_pcm(vc, bytes(FRAME * 3))
    assert vc.fake.played_frames == 3

    vc.play.side_effect = lambda source, *, after=None, **_: threading.Thread(
        target=after, args=(OSError("socket closed"),)).start()
    with pytest.raises(PlaybackError, match="socket closed"):
        await play_pcm(vc, bytes(FRAME))
    vc.fake.connected = False
    with pytest.raises(PlaybackError, match="not connected"):
        await play_pcm(vc, bytes(FRAME))


def test_rtp_sequence_gaps_and_unusable_frames_are_reported_as_trouble() -> None:
    """Every answer carries its audio statistics: packets expected from the RTP sequence numbers
    versus received; each gap (and each frame that could not be used) is reported as trouble so the
    round does not take it for the user's silence."""
    trouble: list[int] = []
    got: list[bytes] = []
    sink = AnswerSink(USER_ID, lambda pcm, at: got.append(pcm), on_trouble=trouble.append, session_source=lambda: None)
    user = MockMember(id=USER_ID, name="speaker")
    client = UserClient(nacl.utils.random(32), ssrc=4242)
    tone = np.tile(np.array([3000, 3000, -3000, -3000], "<i2"), FRAME // 8).tobytes()

    def send(n: int, payload: bytes | None = None) -> None:
        for _ in range(n):
            data = payload if payload is not None else client.opus(tone)
            packet = voice_recv.rtp.decode_rtp(client.rtp(data))
            packet.decrypted_data = data
            sink.write(user, voice_recv.VoiceData(packet, user))

    send(5)
    client.seq += 7                                   # seven packets lost on the way
    send(3)
    send(1, b"\xff\xff\xff\xff" + bytes(30))          # one that opus cannot decode
    assert (sink.stats.rtp_expected, sink.stats.rtp_received) == (16, 9)
    assert trouble == [7, 1] and len(got) == 8
    assert sink.counters_since_last()["rtp_expected"] == 16
    assert sink.counters_since_last() == {}           # per answer: nothing new since


def test_frames_that_arrive_late_together_keep_the_spacing_their_rtp_timestamps_give() -> None:
    """A receive thread that stalls (or a network that bunches packets) delivers frames late and
    together; placing them by arrival would put silence inside the speech. Each frame's time comes
    from its RTP timestamp: a burst keeps 20 ms spacing, a silence the sender skipped (the
    timestamp jumps) keeps its length, and a frame sooner than the anchor ties the clock to it."""
    now = [500.0]
    ats: list[float] = []
    sink = AnswerSink(USER_ID, lambda pcm, at: ats.append(at), session_source=lambda: None, clock=lambda: now[0])
    user = MockMember(id=USER_ID, name="speaker")
    client = UserClient(nacl.utils.random(32), ssrc=4242)
    tone = np.tile(np.array([3000, 3000, -3000, -3000], "<i2"), FRAME // 8).tobytes()

    def arrive(n: int, *, every: float) -> None:
        for _ in range(n):
            now[0] += every
            data = client.opus(tone)
            packet = voice_recv.rtp.decode_rtp(client.rtp(data))
            packet.decrypted_data = data
            sink.write(user, voice_recv.VoiceData(packet, user))

    arrive(5, every=0.02)                       # on time: each frame ends as it arrives
    assert ats == pytest.approx([500.02 + 0.02 * i for i in range(5)])
    now[0] += 0.3                               # the receive thread stalls for 300 ms ...
    arrive(15, every=0.0)                       # ... then 15 frames arrive at once
    assert np.diff(ats[4:]) == pytest.approx([0.02] * 15)   # no gap put inside the speech
    assert ats[-1] == pytest.approx(now[0])     # and the last one is on time again
    client.ts = (client.ts + int(1.5 * 48000)) & 0xFFFF_FFFF  # 1.5 s the sender did not send
    now[0] += 1.5
    arrive(1, every=0.02)
    assert ats[-1] - ats[-2] == pytest.approx(1.52)
    # a frame that arrives sooner than the anchor frame did (it had been delayed): tied to it
    sooner = [500.0 + 10.0]
    now[0] = sooner[0]
    client.ts = (client.ts + int((sooner[0] - ats[-1] + 0.3) * 48000)) & 0xFFFF_FFFF
    arrive(1, every=0.0)
    assert ats[-1] == pytest.approx(now[0])
    arrive(1, every=0.02)
    assert ats[-1] == pytest.approx(now[0])
