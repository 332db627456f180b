"""Transcription on real Celery workers over a real Redis: order, faults, bounds (issue 16 item 2)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("celery", reason="Celery is not installed: pip install -e '.[scale]' (make test-scale does)")

from bot.config import Settings
from bot.speech.audio import decode_file
from bot.speech.remote import WIRE_VERSION, ChunkRefused, RemoteTranscriber, TranscriptionUnavailable, encode_chunk
from tests.conftest import AUDIO
from tests.scale.cluster import RedisServer, Worker, wait_for
from tests.wer import wer

pytestmark = [pytest.mark.scale, pytest.mark.slow]

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def jfk() -> np.ndarray:
    return decode_file(AUDIO / "jfk.flac")


def spaced(jfk: np.ndarray, n: int) -> np.ndarray:
    """jfk `n` times with 2.5 s of silence between: a long chunk whose sentences whisper decodes
    one by one (the same sentence back to back would look like a decoding loop and be decoded
    again with beam search, several times slower)."""
    gap = np.zeros(int(2.5 * 16000), np.float32)
    return np.concatenate([part for _ in range(n) for part in (jfk, gap)][:-1])


def remote(url: str, timeout_s: float = 30.0) -> RemoteTranscriber:
    return RemoteTranscriber(Settings.from_env({}, transcribe_url=url, transcribe_timeout_s=timeout_s))


def test_words_come_back_in_order_with_timestamps(workers: list[Worker], redis_server: RedisServer, jfk: np.ndarray) -> None:
    rt = remote(redis_server.url(0))
    assert rt.check() is True
    # two chunks of one answer, the second with its offset: word times stay absolute and ordered
    first = rt.transcribe_sync(jfk, offset_s=0.0)
    second = rt.transcribe_sync(jfk, offset_s=20.0)
    assert wer(JFK, first.text) <= 0.10, first.text
    assert first.text == second.text
    starts = [w.start for w in first.words + second.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= 11.05 for w in first.words)
    assert all(20.0 <= w.start <= w.end <= 31.05 for w in second.words)
    assert [round(w.start - 20.0, 3) for w in second.words] == [round(w.start, 3) for w in first.words]
    assert first.duration_s == pytest.approx(11.0, abs=0.01)
    assert isinstance(first.hesitations, list)
    assert rt.last_worker and ":" in rt.last_worker


async def test_async_interface_matches_the_local_transcriber(workers: list[Worker], redis_server: RedisServer,
                                                             transcriber, jfk: np.ndarray) -> None:
    """Same model, same options: the words and hesitations are those of the in-process transcriber."""
    rt = remote(redis_server.url(0))
    got = await rt.transcribe(jfk, offset_s=3.0)
    want = transcriber.transcribe_sync(np.round(jfk * 32767) / 32768, offset_s=3.0)
    # greedy decoding varies a little in case and punctuation between runs, so by error rate
    assert wer(want.text, got.text) <= 0.10, (want.text, got.text)
    assert got.words[0].start == pytest.approx(want.words[0].start, abs=0.1)
    assert got.words[-1].end == pytest.approx(want.words[-1].end, abs=0.1)
    assert got.duration_s == want.duration_s
    assert len(got.hesitations) == len(want.hesitations)


def test_poison_chunk_is_refused_once_and_the_worker_carries_on(workers: list[Worker], redis_server: RedisServer,
                                                                jfk: np.ndarray) -> None:
    rt = remote(redis_server.url(0))
    bad = [{"v": WIRE_VERSION, "rate": 16000, "format": "s16le", "offset_s": 0.0, "pcm": "%%% not base64 %%%"},
           {**encode_chunk(jfk[:1001], 0.0), "pcm": encode_chunk(jfk[:1001], 0.0)["pcm"][:-4] + "AAA="},  # odd byte count
           {"v": WIRE_VERSION, "rate": 16000, "format": "f32le", "offset_s": 0.0,
            "pcm": __import__("base64").b64encode(np.array([np.nan] * 4000, "<f4").tobytes()).decode()},
           "garbage"]
    for msg in bad:
        t0 = time.monotonic()
        res = rt.app.send_task("parley.transcribe", args=(msg,))
        with pytest.raises(ChunkRefused):
            res.get(timeout=20)
        assert time.monotonic() - t0 < 10  # refused at once, not retried until a bound
        assert res.state == "FAILURE"
    # refused, acknowledged, not redelivered: the queue is empty and both workers still answer
    import redis

    assert redis.Redis(port=redis_server.port).llen("parley.transcribe") == 0
    assert all(w.proc.poll() is None for w in workers)
    assert wer(JFK, rt.transcribe_sync(jfk).text) <= 0.10
    assert sum(w.log().count("refused a chunk") for w in workers) == len(bad)


def test_a_worker_of_another_version_refuses_with_a_clear_log_line(workers: list[Worker], redis_server: RedisServer,
                                                                    jfk: np.ndarray) -> None:
    rt = remote(redis_server.url(0))
    res = rt.app.send_task("parley.transcribe", args=({**encode_chunk(jfk, 0.0), "v": WIRE_VERSION + 1},))
    with pytest.raises(ChunkRefused, match="same Parley release"):
        res.get(timeout=20)
    logs = "".join(w.log() for w in workers)
    assert f"chunk of wire version {WIRE_VERSION + 1} but this worker speaks version {WIRE_VERSION}" in logs


def test_no_worker_means_a_bounded_wait_then_the_specific_error(redis_server: RedisServer, jfk: np.ndarray) -> None:
    rt = remote(redis_server.url(7), timeout_s=2.0)  # db 7: no worker listens there
    assert rt.check(timeout_s=0.5) is False
    t0 = time.monotonic()
    with pytest.raises(TranscriptionUnavailable, match="within 2 s"):
        rt.transcribe_sync(jfk)
    assert 2.0 <= time.monotonic() - t0 < 5.0
    assert rt.available is False
    # the answer's next chunks do not each wait the full bound for a fleet that is down
    rt.timeout_s = 30.0
    t0 = time.monotonic()
    with pytest.raises(TranscriptionUnavailable, match="took the chunk within 3 s"):
        rt.transcribe_sync(jfk)
    assert time.monotonic() - t0 < 6.0


def test_worker_killed_mid_chunk_gets_its_chunk_redelivered(workers: list[Worker], redis_server: RedisServer,
                                                            jfk: np.ndarray) -> None:
    """SIGKILL the pool process while it transcribes: the chunk goes back on the queue (late ack)
    and the transcript that comes back is whole."""
    rt = remote(redis_server.url(0))
    long_chunk = spaced(jfk, 3)  # 38 s: a few seconds of work, time to kill it mid-way
    res = rt.app.send_task("parley.transcribe", args=(encode_chunk(long_chunk, 0.0),))
    started = wait_for(lambda: res.state == "STARTED" and res.info, 30, "the chunk to start on a worker", step=0.01)
    killed = int(started["pid"])
    os.kill(killed, signal.SIGKILL)
    out = res.get(timeout=60)
    assert int(out["worker"].rsplit(":", 1)[1]) != killed
    # every repetition is there (greedy decoding of a repeated sentence varies a little in
    # punctuation and case from run to run, so compare by word error rate, not word for word)
    text = " ".join(w[0] for w in out["words"])
    assert wer(" ".join([JFK] * 3), text) <= 0.10, text
    assert out["words"][-1][2] > 30.0  # the last words are from the last repetition
    logs = "".join(w.log() for w in workers)
    assert "WorkerLostError" in logs or "exited prematurely" in logs or "signal 9" in logs


def test_a_whole_worker_killed_mid_chunk_has_its_chunk_put_back(workers: list[Worker], redis_server: RedisServer,
                                                                 jfk: np.ndarray, tmp_path: Path) -> None:
    """The worker's main process and its pool child both SIGKILLed (a machine or container gone):
    nobody rejects the chunk, so it comes back after the visibility timeout and a surviving worker
    transcribes it, within the bot's default 30 s bound."""
    from bot.speech.remote import VISIBILITY_TIMEOUT_S

    rt = remote(redis_server.url(0))
    long_chunk = spaced(jfk, 3)
    t0 = time.monotonic()
    res = rt.app.send_task("parley.transcribe", args=(encode_chunk(long_chunk, 0.0),))
    started = wait_for(lambda: res.state == "STARTED" and res.info, 30, "the chunk to start on a worker", step=0.01)
    victim = next(w for w in workers if w.name == started["hostname"])
    os.kill(victim.proc.pid, signal.SIGKILL)  # the main process first, so nobody can reject the chunk …
    os.kill(int(started["pid"]), signal.SIGKILL)  # … then the pool child in the middle of it
    victim.proc.wait(10)
    killed_at = time.monotonic()
    wait_for(lambda: res.state == "STARTED" and res.info and res.info["pid"] != started["pid"], 40,
             "the chunk to start again on a surviving worker", step=0.05)
    back_after = time.monotonic() - t0
    # it came back from the unacked set (nobody rejected it), soon enough to fit the bot's 30 s bound
    assert VISIBILITY_TIMEOUT_S - 1 <= back_after <= VISIBILITY_TIMEOUT_S + 6, back_after
    out = res.get(timeout=60)
    assert killed_at - t0 < VISIBILITY_TIMEOUT_S
    assert int(out["worker"].rsplit(":", 1)[1]) != int(started["pid"])
    assert wer(" ".join([JFK] * 3), " ".join(w[0] for w in out["words"])) <= 0.10
    # the module's other tests get their two workers back
    workers[workers.index(victim)] = replacement = Worker(redis_server.url(0), "w-replacement", tmp_path / "w.log")
    replacement.wait_ready()


def test_broker_down_at_start_then_back(tmp_path: Path, jfk: np.ndarray) -> None:
    """The bot starts with the broker down (check says unavailable, nothing raises) and recovers
    when it comes back, without a restart of the bot."""
    server = RedisServer(tmp_path / "redis")
    rt = remote(server.url(0), timeout_s=3.0)
    assert rt.check(timeout_s=0.5) is False and rt.available is False
    with pytest.raises(TranscriptionUnavailable, match="broker is unreachable"):
        rt.transcribe_sync(jfk[:16000])
    server.start()
    worker = Worker(server.url(0), "late", tmp_path / "late.log")
    try:
        worker.wait_ready()
        rt.timeout_s = 30.0
        assert wer(JFK, rt.transcribe_sync(jfk).text) <= 0.10
        assert rt.available is True
        assert rt.check() is True
    finally:
        worker.stop()
        server.stop()


def test_broker_restart_mid_stream_loses_no_chunk(workers: list[Worker], redis_server: RedisServer, jfk: np.ndarray) -> None:
    rt = remote(redis_server.url(0))
    before = rt.transcribe_sync(jfk, offset_s=0.0)
    redis_server.stop()
    rt.timeout_s = 1.5  # while it is down a chunk fails within the bound …
    with pytest.raises(TranscriptionUnavailable):
        rt.transcribe_sync(jfk, offset_s=11.0)
    redis_server.start()
    rt.timeout_s = 30.0  # … and once it is back, the same thread's next chunks go through
    after = [rt.transcribe_sync(jfk, offset_s=11.0 * i) for i in (1, 2)]
    assert [w.text for w in after[0].words] == [w.text for w in before.words] == [w.text for w in after[1].words]
    starts = [w.start for t in (before, *after) for w in t.words]
    assert starts == sorted(starts)


def _two_sentence_answer(jfk: np.ndarray) -> np.ndarray:
    """jfk, a 2 s pause (the listener commits the first chunk there), jfk again."""
    return np.concatenate([jfk, np.zeros(2 * 16000, np.float32), jfk]).astype(np.float32)


def test_a_listener_hears_a_whole_answer_through_workers(workers: list[Worker], redis_server: RedisServer,
                                                         jfk: np.ndarray) -> None:
    """The round's own listener, unchanged, with the remote transcriber: chunks in order, nothing lost."""
    from bot.practice.listening import IncrementalListener

    rt = remote(redis_server.url(0))
    listener = IncrementalListener(rt.transcribe_sync, name="remote")
    try:
        listener.feed(_two_sentence_answer(jfk))
        transcript = listener.finish().result(timeout=120)
    finally:
        listener.close()
    assert wer(f"{JFK} {JFK}", transcript.text) <= 0.10, transcript.text
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts) and starts[-1] > 13.0  # the second sentence, on the answer's clock
    assert len(listener.committed) >= 1 and rt.sent >= 2


def test_a_listener_without_workers_ends_the_answer_within_the_bound(redis_server: RedisServer, jfk: np.ndarray) -> None:
    """No worker: the answer's first chunk fails after the bound, the answer ends there
    ("transcription_unavailable") and the final transcript comes back at once with what was heard
    (nothing here), without sending the rest to workers known to be gone."""
    import threading

    from bot.practice.listening import IncrementalListener

    rt = remote(redis_server.url(6), timeout_s=4.0)  # db 6: no worker listens there
    ends: list[str] = []
    ended = threading.Event()
    listener = IncrementalListener(rt.transcribe_sync, name="remote-down",
                                   on_end=lambda r: (ends.append(r), ended.set()))
    t0 = time.monotonic()
    try:
        listener.feed(_two_sentence_answer(jfk))
        assert ended.wait(30)
        transcript = listener.finish().result(timeout=30)
    finally:
        listener.close()
    assert ends == ["transcription_unavailable"] and listener.unavailable and "worker" in listener.unavailable
    assert transcript.words == []
    assert time.monotonic() - t0 < 4.0 + 3.0 + 3.0  # one bound, not one per chunk
    assert rt.available is False


async def test_a_mock_round_without_workers_tells_the_member_and_goes_on(redis_server: RedisServer, jfk: np.ndarray,
                                                                         tmp_path: Path) -> None:
    """A real MockRound whose transcriber is the remote one, against a real broker with no worker:
    the answer ends within the bound, the member is told in the channel, no follow-up is asked that
    could not be heard either, and the round ends cleanly."""
    import asyncio

    from bot.bank import load_bank
    from bot.practice.engine import PracticeEngine
    from bot.practice.round import MockRound, RoundState
    from bot.storage import Database
    from tests.fakes import RecordingRoundIO, StepClock
    from tests.unit.practice.listening_helpers import feed_round

    settings = Settings.from_env({}, data_dir=tmp_path / "data", transcribe_url=redis_server.url(5),
                                 transcribe_timeout_s=3.0)  # db 5: no worker listens there
    bank = load_bank(settings.bank_dir)
    async with Database(settings.database) as db:
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=RemoteTranscriber(settings), db=db)
        io, clock = RecordingRoundIO(), StepClock()
        r = MockRound(engine, io, user_id=42, user_name="ana", guild_id=7, channel_id=8, questions=[bank.questions[0]],
                      settings=settings.with_(questions_per_round=1), clock=clock)
        task = asyncio.create_task(r.run())
        await asyncio.wait_for(r.wait_state(RoundState.LISTENING, 1), 10)
        await asyncio.to_thread(feed_round, r, clock, _two_sentence_answer(jfk))
        summary = await asyncio.wait_for(task, 30)
    (a,) = summary.answers
    assert a.end_reason == "transcription_unavailable" and a.analysis is None
    assert any(s.startswith("Transcription is unavailable right now") for s in io.statuses), io.statuses
    assert [k for k, _ in io.said] == ["question"] and summary.status == "done" and io.closed == [summary]


async def test_the_bot_starts_with_the_broker_down(tmp_path: Path) -> None:
    """Services (what `python -m bot run` builds) with PARLEY_TRANSCRIBE_URL at a port nobody
    listens on: start-up completes and loading the transcriber reports unavailable, raising nothing."""
    from bot.services import Services
    from tests.scale.cluster import free_port

    settings = Settings.from_env({}, data_dir=tmp_path / "data", transcribe_url=f"redis://127.0.0.1:{free_port()}/0")
    t0 = time.monotonic()
    services = await Services.create(settings, load_model=True)
    try:
        assert isinstance(services.transcriber, RemoteTranscriber)
        assert services.engine.transcriber is services.transcriber
        assert services.transcriber.available is False
        assert time.monotonic() - t0 < 15
    finally:
        await services.close()
