"""Peer groups with real voices through the real model.

Two real, different speakers: tests/assets/audio/stereo_diarization.wav split by channel, each
channel resampled to Discord's 48 kHz stereo PCM and fed as one member's own stream, both at the
same time (as voice-recv delivers per-user decoded audio). Each member answers in turn while the
other keeps talking: every answer must be transcribed correctly from its own stream only, and the
other voice must count as talking over. Longer turns use espeak-ng voices (en-gb, en-us).
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from bot.practice.group import (
    AnswerAnalyzed,
    AnswerEnded,
    GroupConfig,
    GroupSession,
    ManualClock,
    Phase,
    voiced_frames,
)
from bot.ratings import Rating
from bot.speech.audio import to_pcm48_stereo
from bot.storage.attempts import list_attempts
from bot.storage.group import GroupStore
from tests.conftest import AUDIO, espeak
from tests.integration.group_audio_helpers import FRAME, feed_together, pcm_of
from tests.wer import wer

pytestmark = pytest.mark.slow

LEFT_REF = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT_REF = "The horizon seems extremely distant."
LEFT, RIGHT = 501, 502


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def stereo_channels(path: Path) -> tuple[bytes, bytes, int]:
    """Each channel of a stereo WAV as its own Discord PCM stream (48 kHz stereo s16le)."""
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getsampwidth() == 2
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    left, right = x[:, 0].astype(np.float32) / 32768.0, x[:, 1].astype(np.float32) / 32768.0
    return to_pcm48_stereo(left, rate), to_pcm48_stereo(right, rate), rate


def voiced_seconds(pcm: bytes) -> float:
    return float(voiced_frames(pcm, 0.01).sum()) * 0.02


class Ends:
    """Collects AnswerEnded / AnswerAnalyzed events; `wait(kind, n)` returns once n of them came."""

    def __init__(self) -> None:
        self.items: list[AnswerEnded] = []
        self.analyzed: list[AnswerAnalyzed] = []
        self._cond = asyncio.Condition()

    async def __call__(self, event: object) -> None:
        if isinstance(event, (AnswerEnded, AnswerAnalyzed)):
            async with self._cond:
                (self.items if isinstance(event, AnswerEnded) else self.analyzed).append(event)
                self._cond.notify_all()

    async def wait(self, n: int, *, analyzed: bool = False) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: len(self.analyzed if analyzed else self.items) >= n)


async def test_two_real_speakers_each_transcribed_from_their_own_stream(group_engine, db) -> None:
    left_pcm, right_pcm, _ = stereo_channels(AUDIO / "stereo_diarization.wav")
    clock = ManualClock(100.0)
    ends = Ends()
    g = GroupSession(group_engine, guild_id=1, channel_id=2, owner_id=LEFT, store=GroupStore(db), clock=clock,
                     listener=ends, rng=random.Random(3),
                     config=GroupConfig(turn_seconds=60.0, warning_seconds=10.0, rating_seconds=20.0))
    await g.open()
    await g.join(LEFT, "left")
    await g.join(RIGHT, "right")
    await g.start()

    # turn 1: LEFT answers while RIGHT talks at the same time
    assert g.current.answerer_id == LEFT
    feed_together(g, clock, {LEFT: left_pcm, RIGHT: right_pcm})
    await g.answer_done(LEFT)
    first = g.turns[0]
    assert first.analysis is not None, first.error
    assert wer(LEFT_REF, first.analysis.transcript) <= 0.15, first.analysis.transcript
    assert not {"horizon", "distant", "extremely"} & set(words(first.analysis.transcript))
    assert first.crosstalk_s[RIGHT] == pytest.approx(voiced_seconds(right_pcm), abs=0.05)
    assert first.crosstalk_s[RIGHT] > 1.0

    clock.advance(20.0)
    await g.poll()  # nobody rated: the window closes on time

    # turn 2: RIGHT answers while LEFT talks over them
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == RIGHT
    feed_together(g, clock, {LEFT: left_pcm, RIGHT: right_pcm})
    await g.answer_done(RIGHT)
    second = g.turns[1]
    assert second.analysis is not None, second.error
    assert wer(RIGHT_REF, second.analysis.transcript) <= 0.15, second.analysis.transcript
    assert not {"wizard", "curtain", "complaint", "vanished"} & set(words(second.analysis.transcript))
    assert second.crosstalk_s[LEFT] == pytest.approx(voiced_seconds(left_pcm), abs=0.05)

    summary = await g.end()
    by = {m["user_id"]: m for m in summary["members"]}
    assert by[RIGHT]["crosstalk_count"] >= 1 and by[LEFT]["crosstalk_count"] >= 1
    talk_l, talk_r = voiced_seconds(left_pcm) * 2, voiced_seconds(right_pcm) * 2
    assert by[LEFT]["talk_share"] == pytest.approx(talk_l / (talk_l + talk_r), abs=0.01)
    for uid, ref in ((LEFT, LEFT_REF), (RIGHT, RIGHT_REF)):
        hist = await list_attempts(db, uid)
        assert len(hist) == 1 and hist[0].mode == "group" and hist[0].session_id == g.session_id
        assert wer(ref, hist[0].transcript) <= 0.15


async def test_longer_turns_disconnect_mid_answer_and_spoken_end(group_engine, db, tmp_path) -> None:
    """en-gb answers at length, en-us interrupts; the answerer drops out half way (what was said is
    kept and stored); the next member ends their answer by saying "that's my answer"."""
    gb1 = pcm_of(espeak(
        "First, my assumptions. We have about one million users, and the traffic is mostly reads. "
        "The simple baseline is a single database with a cache in front of it.",
        tmp_path / "gb1.wav", voice="en-gb"))
    gb2 = pcm_of(espeak(
        "Then, to scale writes, I would shard the tables by customer identifier, and replicate each shard.",
        tmp_path / "gb2.wav", voice="en-gb"))
    us_over = pcm_of(espeak("Sorry, quick question about the budget?", tmp_path / "over.wav", voice="en-us"))
    us_answer = pcm_of(espeak(
        "I assume the service handles payments. I would add retries with idempotency keys, "
        "and alert on the error rate. That's my answer.", tmp_path / "us.wav", voice="en-us"))
    GB, US = 601, 602

    clock = ManualClock(100.0)
    ends = Ends()
    g = GroupSession(group_engine, guild_id=1, channel_id=2, owner_id=GB, store=GroupStore(db), clock=clock,
                     listener=ends, rng=random.Random(5),
                     config=GroupConfig(turn_seconds=120.0, warning_seconds=10.0, rating_seconds=20.0))
    await g.open()
    await g.join(GB, "gb")
    await g.join(US, "us")
    await g.start()
    assert g.current.answerer_id == GB
    g.question_delivered(clock.now())
    clock.advance(1.0)
    # the first part, with the other member talking over it from 2 s in
    over = bytes(FRAME * 100) + us_over
    feed_together(g, clock, {GB: gb1, US: over})
    # GB disconnects before the second part: what was said is kept, analysed and stored
    await g.leave(GB)
    first = g.turns[0]
    assert first.end_reason == "left"
    assert first.analysis is not None, first.error
    text = set(words(first.analysis.transcript))
    assert {"assumptions", "million", "database"} <= text, first.analysis.transcript
    assert not {"shard", "replicate"} & text  # never spoken before the disconnect
    assert not {"sorry", "budget"} & text  # the other voice stays out
    assert first.crosstalk_s[US] == pytest.approx(voiced_seconds(us_over), abs=0.05)
    assert first.analysis.metrics.get("time_to_first_word_s") == pytest.approx(1.0, abs=0.6)
    stored = await list_attempts(db, GB)
    assert len(stored) == 1 and stored[0].transcript == first.analysis.transcript

    # US still rates GB's (partial) answer; that completes the window and US is up next
    assert g.phase is Phase.RATING
    await g.rate(US, 1, Rating(4, 3, 2))
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == US
    feed_together(g, clock, {US: us_answer, GB: gb2})  # GB's stream is no longer taken
    for _ in range(100):  # 2 s of silence after the last word: the listener probes for the end phrase
        clock.advance(0.02)
        await g.poll()
        if len(ends.items) >= 2:
            break
    await asyncio.wait_for(ends.wait(2), 120)  # the worker thread hears "that's my answer"
    assert ends.items[1].reason == "phrase"
    await asyncio.wait_for(ends.wait(2, analyzed=True), 120)
    second = g.turns[1]
    assert second.analysis is not None, second.error
    assert {"payments", "alert", "error"} <= set(words(second.analysis.transcript))
    assert not {"shard", "replicate"} & set(words(second.analysis.transcript))
    summary = g.summary()
    assert summary["answers"] == 2
    by = {m["user_id"]: m for m in summary["members"]}
    assert by[GB]["left"] is True and by[GB]["score"] == first.analysis.score
    assert by[GB]["peer_ratings"]["count"] == 1 and by[GB]["peer_ratings"]["depth"] == 2.0


async def test_real_rtp_from_two_members_is_routed_to_each_members_own_stream(group_engine, db) -> None:
    """The Discord side: both channels encoded with real opus into real, transport-encrypted RTP
    from two SSRCs (plus a non-member's), read by a real VoiceRecvClient from a loopback socket
    and split by our GroupSink; each member's decoded stream then answers in the group."""
    from bot.discord_io.group_io import GroupSink
    from tests.discord.helpers import MockMember
    from tests.discord.rtp_helpers import UserClient, VoiceLink, pcm_frames

    left_pcm, right_pcm, _ = stereo_channels(AUDIO / "stereo_diarization.wav")
    outsider_id = 503
    link = VoiceLink([MockMember(id=LEFT, name="left"), MockMember(id=RIGHT, name="right"),
                      MockMember(id=outsider_id, name="outsider")])
    try:
        got: dict[int, list[bytes]] = {LEFT: [], RIGHT: [], outsider_id: []}
        cond = threading.Condition()

        def on_pcm(uid: int, pcm: bytes, at: float) -> None:  # voice-recv's router thread
            with cond:
                got[uid].append(pcm)
                cond.notify_all()

        sink = GroupSink(on_pcm)
        sink.add(LEFT)
        sink.add(RIGHT)
        link.vc.listen(sink)
        users = {LEFT: UserClient(link.secret_key, 1111), RIGHT: UserClient(link.secret_key, 2222),
                 outsider_id: UserClient(link.secret_key, 3333)}
        for uid, u in users.items():
            await link.speaking(uid, u.ssrc)
        frames = {LEFT: pcm_frames(left_pcm), RIGHT: pcm_frames(right_pcm), outsider_id: pcm_frames(left_pcm)}
        n = len(frames[LEFT])
        for k in range(n):
            for uid, u in users.items():
                link.send(u.rtp(u.opus(frames[uid][k])))
            if k:  # the jitter buffer passes packet k-1 on once packet k arrives: wait for it
                with cond:
                    ok = cond.wait_for(lambda: len(got[LEFT]) >= k and len(got[RIGHT]) >= k, 10)
                assert ok, f"receive stalled at frame {k}: {len(got[LEFT])}, {len(got[RIGHT])}"
        assert got[outsider_id] == []  # a non-member's voice is never decoded
        assert sink.voice_client is link.vc
    finally:
        link.close()

    # each member's decoded stream follows their own channel's loudness, not the other's
    def envelope(pcm: bytes) -> np.ndarray:
        return voiced_frames(pcm, 0.01).astype(float)

    dec_l, dec_r = b"".join(got[LEFT]), b"".join(got[RIGHT])
    m = min(len(dec_l), len(dec_r)) // FRAME
    src_l, src_r = envelope(left_pcm)[:m], envelope(right_pcm)[:m]
    env_l, env_r = envelope(dec_l)[:m], envelope(dec_r)[:m]
    assert (env_l == src_l).mean() > 0.9 and (env_r == src_r).mean() > 0.9
    assert (env_r == src_l).mean() < 0.75  # the two voices really differ

    clock = ManualClock(100.0)
    g = GroupSession(group_engine, guild_id=1, channel_id=2, owner_id=LEFT, store=GroupStore(db), clock=clock,
                     rng=random.Random(9), config=GroupConfig(turn_seconds=60.0, warning_seconds=10.0))
    await g.open()
    await g.join(LEFT, "left")
    await g.join(RIGHT, "right")
    await g.start()
    feed_together(g, clock, {LEFT: dec_l, RIGHT: dec_r})
    await g.answer_done(LEFT)
    text = g.turns[0].analysis.transcript
    assert wer(LEFT_REF, text) <= 0.15, text
    assert not {"horizon", "distant"} & set(words(text))
    assert g.turns[0].crosstalk_s[RIGHT] > 1.0
    await g.end()
