"""Spoken mock round benchmark: feedback latency, event-loop lag, concurrent rounds, memory.

    .venv/bin/python bench/bench_round.py            # full run (about 6-8 minutes on 2 cores)
    .venv/bin/python bench/bench_round.py --quick    # 30 s and 2 min answers, fewer parallel runs
    options: --speed X (feeding speed of the latency runs, default 4), --parallel 1,2,4

What it measures (real whisper model, real sqlite, espeak-ng answers; only the front end is a
recorder):

1. Feedback latency: a MockRound is fed an answer of 30 s, 2 min and 5 min as 20 ms Discord
   frames (48 kHz stereo) on the round's clock, `--speed` times faster than real time but with
   the same chunking. Latency = end of the answer → the follow-up question is handed to the
   front end (the tail transcribed, the answer analysed and stored). Two endings: the Done
   button right after the last word, and 15 s of end silence.
2. Event-loop lag while the 5-minute answer is processed: a 10 ms ticker on the loop.
3. Concurrent rounds: (a) capacity: N listeners given 60 s answers at once, RTF = wall time /
   total audio, so about 1/RTF streams can be transcribed in real time; (b) a check at real-time
   pace with that many rounds (staggered starts): a round keeps up when its transcript is
   complete within 2 s of the end of its answer.
4. Memory per round: the audio buffer and Python allocations of a listener holding 5 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bank import load_bank  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.practice.engine import PracticeEngine  # noqa: E402
from bot.practice.listening import IncrementalListener, ListenerConfig  # noqa: E402
from bot.practice.round import MockRound, RoundState  # noqa: E402
from bot.speech.audio import decode_file, to_pcm48_stereo  # noqa: E402
from bot.speech.stt import Transcriber  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.loop_lag import LoopTicker  # noqa: E402

RATE = 16000
FRAME_BYTES = 3840
QID = "design-telemetry-ingestion"

SENTENCES = [
    "Let me start with the assumptions: about one hundred thousand vehicles, each reporting every five seconds.",
    "That is roughly twenty thousand writes per second at peak, and a few kilobytes per reading.",
    "Vehicles send readings to a stateless ingestion service behind a load balancer.",
    "The ingestion service validates the payload and writes it into a partitioned Kafka topic.",
    "Stream consumers update a time series database that powers the live dashboards.",
    "A batch job compacts older data into parquet files on object storage for analysis.",
    "Each reading carries an event id, so consumers can deduplicate retries and stay idempotent.",
    "We version the schema with a registry, so old and new firmware can coexist.",
    "For observability we track ingest rate, consumer lag, failed writes and malformed payloads.",
    "If consumers fall behind, the log keeps the data and we scale the consumer group out.",
    "The tradeoff is cost: hot storage is fast but expensive, cold storage is cheap but slow.",
    "Devices authenticate with certificates, and every write is tied to a device identity.",
    "So the outcome is a pipeline that absorbs bursts, keeps history and alerts on lag.",
]


class BenchIO:
    """The front end, reduced to timestamps of what the round hands it."""

    def __init__(self) -> None:
        self.follow_up_at: float | None = None
        self.follow_up = asyncio.Event()
        self.said: list[str] = []

    async def post_consent(self, text: str) -> bool:
        return True

    async def say(self, text: str, *, kind: str) -> None:
        self.said.append(kind)
        if kind == "follow_up" and self.follow_up_at is None:
            self.follow_up_at = time.perf_counter()
            self.follow_up.set()

    async def post_question_card(self, *a: Any) -> None: ...
    async def post_status(self, text: str) -> None: ...
    async def post_feedback(self, summary: Any) -> None: ...
    async def round_closed(self, summary: Any) -> None: ...


class Clock:
    def __init__(self) -> None:
        self.t = 10_000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.t


def build_answer(say, seconds: float, seed: int = 1) -> np.ndarray:
    """Sentences with natural pauses (0.4-1.8 s), a 6 s thinking pause every ~70 s."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = [np.zeros(int(0.8 * RATE), np.float32)]
    total, since_long, i = 0.8, 0.0, 0
    while total < seconds:
        s = say(SENTENCES[i % len(SENTENCES)])
        i += 1
        pause = 6.0 if since_long > 70 else float(rng.uniform(0.4, 1.8))
        since_long = 0.0 if pause >= 6.0 else since_long + len(s) / RATE + pause
        parts += [s, np.zeros(int(pause * RATE), np.float32)]
        total += len(s) / RATE + pause
    x = np.concatenate(parts)
    # end right after the last voiced sample (the ending is measured separately)
    voiced = np.nonzero(np.abs(x) > 0.01)[0]
    return x[: voiced[-1] + int(0.05 * RATE)]


def feed_paced(feed, pcm: bytes, speed: float, clock: Clock | None) -> None:
    """Feed 20 ms frames at `speed`× real time; the round's clock advances 20 ms per frame."""
    start = time.perf_counter()
    for k, i in enumerate(range(0, len(pcm), FRAME_BYTES)):
        frame = pcm[i : i + FRAME_BYTES]
        if clock is not None:
            clock.t += len(frame) / 4 / 48000
            feed(frame, at=clock.t)
        else:
            feed(frame)
        ahead = (k + 1) * 0.02 / speed - (time.perf_counter() - start)
        if ahead > 0:
            time.sleep(ahead)


async def latency_run(engine: PracticeEngine, answer: np.ndarray, *, speed: float, ending: str,
                      measure_lag: bool = False) -> dict[str, float]:
    io, clock = BenchIO(), Clock()
    settings = engine.settings.with_(questions_per_round=1)
    r = MockRound(engine, io, user_id=1, user_name="bench", guild_id=1, channel_id=1,
                  questions=[engine.bank.get(QID)], settings=settings, clock=clock)
    task = asyncio.create_task(r.run())
    await r.wait_state(RoundState.LISTENING, 1)
    listener = r.listener
    assert listener is not None

    ticker = LoopTicker(0.01)
    if measure_lag:
        ticker.start()
    pcm = to_pcm48_stereo(answer)
    t_feed = time.perf_counter()
    await asyncio.to_thread(feed_paced, r.feed_audio, pcm, speed, clock)
    feed_wall = time.perf_counter() - t_feed
    committed = listener.committed
    backlog = len(answer) / RATE - (committed[-1].end_s if committed else 0.0)  # not yet committed

    if ending == "done":
        t_end = time.perf_counter()
        r.done()
    else:
        # silence arrives as a gap: the clock jumps, then the next tick fills it
        def silence_until_end() -> float:
            frame = b"\0" * FRAME_BYTES
            while not listener.ended:
                clock.t += 0.02
                r.feed_audio(frame, at=clock.t)
            return time.perf_counter()

        t_end = await asyncio.to_thread(silence_until_end)
    await asyncio.wait_for(io.follow_up.wait(), 120)
    latency = (io.follow_up_at or 0) - t_end
    await r.wait_state(RoundState.LISTENING, 2)
    r.done()
    summary = await task
    if measure_lag:
        await ticker.stop()
    lags = ticker.lags
    a = summary.answers[0]
    out = {
        "audio_s": len(answer) / RATE,
        "latency_s": latency,
        "backlog_s": max(0.0, backlog),
        "feed_wall_s": feed_wall,
        "cpu_per_audio_s": listener.transcribe_seconds / (len(answer) / RATE),
        "words": len(a.transcript.words) if a.transcript else 0,
        "end_reason": a.end_reason,
    }
    if lags:
        out["lag_max_ms"] = max(lags) * 1000
        out["lag_p99_ms"] = float(np.percentile(lags, 99)) * 1000
        out["lag_median_ms"] = statistics.median(lags) * 1000
    return out


def throughput_run(transcriber: Transcriber, answer: np.ndarray, n: int) -> dict[str, float]:
    """N listeners given their whole answer at once (20 ms frames, as fast as the feeding threads
    go): the wall time to transcribe everything measures the machine's transcription capacity."""
    cfg = ListenerConfig()
    pcm = to_pcm48_stereo(answer)
    listeners = [IncrementalListener(transcriber.transcribe_sync, cfg, name=f"tp{i}") for i in range(n)]

    def one(i: int) -> None:
        lst = listeners[i]
        lst.start(1000.0)
        t = 1000.0
        for k in range(0, len(pcm), FRAME_BYTES):
            t += 0.02
            lst.feed_pcm48(pcm[k : k + FRAME_BYTES], at=t)
        lst.finish().result(900)
        lst.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    audio = n * len(answer) / RATE
    return {"n": n, "audio_s": audio, "wall_s": wall, "rtf": wall / audio}


def paced_run(transcriber: Transcriber, answer: np.ndarray, n: int) -> dict[str, float]:
    """N rounds at real-time pace, starting a few seconds apart (their answers end at different
    moments, as in real servers): end of each answer → its full transcript."""
    cfg = ListenerConfig()
    pcm = to_pcm48_stereo(answer)
    latencies = [0.0] * n
    stagger = min(5.0, 20.0 / max(1, n))

    def one(i: int) -> None:
        time.sleep(i * stagger)  # staggered starts (pacing the simulated users)
        lst = IncrementalListener(transcriber.transcribe_sync, cfg, name=f"rt{i}")
        lst.start()
        feed_paced(lst.feed_pcm48, pcm, 1.0, None)
        t_end = time.perf_counter()
        lst.finish().result(900)
        latencies[i] = time.perf_counter() - t_end
        lst.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"n": n, "latency_max_s": max(latencies), "latency_mean_s": statistics.mean(latencies)}


async def idle_lag(seconds: float = 5.0) -> tuple[float, float]:
    """The loop's lag with nothing else running in this process (the machine's own noise)."""
    async with LoopTicker(0.01) as ticker:
        await asyncio.sleep(seconds)
    lags = ticker.lags
    return max(lags) * 1000, float(np.percentile(lags, 99)) * 1000


def memory_run(answer: np.ndarray) -> dict[str, float]:
    """Python-side memory of one listener holding the whole answer (transcription stubbed out:
    the model is shared by all rounds and loaded once)."""
    from bot.models import Transcript

    def none(samples: np.ndarray, *, offset_s: float = 0.0) -> Transcript:
        return Transcript(words=[], duration_s=len(samples) / RATE)

    pcm = to_pcm48_stereo(answer)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    lst = IncrementalListener(none, ListenerConfig(max_answer_s=3600), name="mem")
    lst.start()
    t = 0.0
    for i in range(0, len(pcm), FRAME_BYTES):
        t += 0.02
        lst.feed_pcm48(pcm[i : i + FRAME_BYTES], at=1000 + t)
    held = tracemalloc.get_traced_memory()[0] - base
    peak = tracemalloc.get_traced_memory()[1] - base
    buf = lst._buf.nbytes
    lst.close()
    tracemalloc.stop()
    return {"audio_s": len(answer) / RATE, "held_mb": held / 1e6, "peak_mb": peak / 1e6, "buffer_mb": buf / 1e6}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="30 s and 2 min answers; 1, 2 and 4 parallel")
    ap.add_argument("--speed", type=float, default=4.0, help="feeding speed vs real time for latency runs")
    ap.add_argument("--parallel", default="", help="comma separated N for the capacity runs (default 1,2,4)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    lengths = [30.0, 120.0] if args.quick else [30.0, 120.0, 300.0]
    ns = [int(x) for x in args.parallel.split(",") if x] or ([1, 2] if args.quick else [1, 2, 4])

    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    settings = Settings.from_env({}, data_dir=tmp)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start "
          f"(shared: figures vary with other work)")
    base_max, base_p99 = await idle_lag()
    print(f"event-loop lag with nothing running in this process: max {base_max:.1f} ms, p99 {base_p99:.1f} ms")
    rss0 = rss_mb()
    transcriber = Transcriber(settings)
    transcriber.load()
    print(f"model loaded in {transcriber.load_seconds:.2f} s; process RSS {rss_mb():.0f} MB "
          f"(model +{rss_mb() - rss0:.0f} MB, shared by all rounds)")

    from tests.conftest import espeak  # the same synthesizer the tests use

    cache: dict[str, np.ndarray] = {}

    def say(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = decode_file(espeak(text, tmp / f"s{len(cache)}.wav"))
        return cache[text]

    async with Database(settings.database) as db:
        engine = PracticeEngine(settings=settings, bank=load_bank(settings.bank_dir),
                                transcriber=transcriber, db=db)
        # warm-up (first model call allocates)
        transcriber.transcribe_sync(say(SENTENCES[0]))

        print("\n1. feedback latency (end of answer → follow-up handed to the front end), "
              f"fed at {args.speed:g}x real time in 20 ms frames")
        print("   (backlog = audio not yet committed when the answer ended; cpu/audio = transcription "
              "seconds per audio second, utterance checks included)")
        print(f"   {'answer':>7} {'ending':>12} {'latency':>9} {'backlog':>8} {'cpu/audio':>9} {'words':>6}")
        lag_row: dict[str, float] | None = None
        for L in lengths:
            answer = build_answer(say, L)
            for ending in ("done", "end-silence"):
                measure = ending == "done" and L == max(lengths)
                row = await latency_run(engine, answer, speed=args.speed, ending=ending, measure_lag=measure)
                if measure:
                    lag_row = row
                print(f"   {row['audio_s']:6.0f}s {ending:>12} {row['latency_s'] * 1000:6.0f} ms {row['backlog_s']:7.1f}s "
                      f"{row['cpu_per_audio_s']:9.3f} {row['words']:6d}")

        if lag_row:
            print(f"\n2. event-loop lag while a {lag_row['audio_s']:.0f} s answer is received and transcribed "
                  f"(10 ms ticker): max {lag_row['lag_max_ms']:.1f} ms, p99 {lag_row['lag_p99_ms']:.1f} ms, "
                  f"median {lag_row['lag_median_ms']:.2f} ms")

    print("\n3. concurrent rounds")
    answer = build_answer(say, 60.0, seed=3)
    print("   a) capacity: N listeners each given a 60 s answer at once; RTF = wall / total audio")
    rtfs: dict[int, float] = {}
    for n in ns:
        row = throughput_run(transcriber, answer, n)
        rtfs[n] = row["rtf"]
        print(f"      N={n}: {row['audio_s']:.0f} s of audio in {row['wall_s']:.1f} s → RTF {row['rtf']:.3f} "
              f"(≈ {1 / row['rtf']:.1f} real-time streams)")
    best = min(rtfs.values())
    estimate = max(1, int(0.7 / best))  # keep 30 % headroom for TTS, decoding and bursts
    print(f"   → estimate: {estimate} concurrent round(s) keep up with 30 % headroom (RTF {best:.3f})")
    check = sorted({max(1, estimate), min(estimate + 2, 8)}) if not args.quick else [max(1, estimate)]
    print("   b) check at real-time pace (45 s answers, staggered starts): end of answer → transcript")
    sustained = 0
    for n in check:
        row = paced_run(transcriber, build_answer(say, 45.0, seed=4), n)
        ok = row["latency_max_s"] < 2.0
        sustained = n if ok and n > sustained else sustained
        print(f"      N={n}: max {row['latency_max_s']:.2f} s, mean {row['latency_mean_s']:.2f} s "
              f"→ {'keeps up' if ok else 'falls behind (over 2 s)'}")
    print(f"   → {sustained} concurrent round(s) verified within 2 s on this machine now "
          f"(load average {os.getloadavg()[0]:.2f})")

    print("\n4. memory per round (Python allocations of a listener holding the answer)")
    for L in (120.0, 300.0):
        m = memory_run(build_answer(say, L, seed=5))
        print(f"   {m['audio_s']:5.0f}s answer: held {m['held_mb']:.1f} MB (audio buffer {m['buffer_mb']:.1f} MB), "
              f"peak {m['peak_mb']:.1f} MB")
    print(f"   process RSS now {rss_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
