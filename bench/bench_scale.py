"""Scale-out figures (issue 16), printed side by side in one run:

    .venv/bin/python -m bench.bench_scale            # about 8 minutes on 2 cores (section 5 about 4 of them)
    options: --lengths 30,90 (answer lengths in s), --repeat 2, --speed 4, --threads 0, --chunks 20

Needs the `scale` extra (pip install -e '.[scale]') and redis-server (scripts/install-system-deps.sh):
it starts its own redis-server on a free port and a real Celery worker (`python -m bot.speech.worker`).

1. Feedback latency through workers versus in-process on the same answers: a MockRound is fed
   the same espeak answers as bench_round (20 ms frames, `--speed`× real time, the Done button
   right after the last word), once with the in-process Transcriber and once with a
   RemoteTranscriber and one worker process, alternating so machine load hits both alike. Goal:
   ratio ≤ 1.2 and at most 150 ms added.
2. What one chunk costs on the wire: an 11 s chunk (jfk.flac) sent `--chunks` times; round trip
   minus the worker's own transcription time = the broker's share; message and result sizes.
3. What one speaking member costs the bot process without transcription: per 20 ms frame, libopus
   decode (as the voice receive path does) and the listener's resample + VAD (`feed_pcm48`).
   With 2. these are the inputs of the load model in docs/scale.md.

4. Postgres versus sqlite time to save an attempt (p50, p99): bench/bench_storage.py, run here with
   fewer saves when asyncpg and the Postgres binaries are installed.
5. Rounds kept within 2 s of real time with 1 and with 2 worker processes (one whisper thread
   each): (a) capacity: `--capacity-rounds` listeners in this process given a 60 s answer at once,
   their chunks transcribed by the workers; RTF = wall / total audio, so about 1/RTF answers can be
   transcribed in real time; (b) a check at real-time pace (bench_round's `paced_run`: 45 s answers,
   staggered starts) with 70 % of that many rounds: each keeps up when its transcript is complete
   within 2 s of the end of its answer (stepping down until they do). Goal: 2 workers hold at least
   1.8 times the rounds of 1 (within 10 % of linear). On a machine with fewer free cores than
   workers the second worker has no core of its own and the figure says so, not the design.

    --only 5        run section 5 alone (about 4 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_round import build_answer, latency_run, paced_run, throughput_run  # noqa: E402
from bot.bank import load_bank  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.practice.engine import PracticeEngine  # noqa: E402
from bot.speech.audio import decode_file  # noqa: E402
from bot.speech.remote import RemoteTranscriber, encode_chunk  # noqa: E402
from bot.speech.stt import Transcriber  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.conftest import AUDIO, espeak  # noqa: E402
from tests.scale.cluster import RedisServer, Worker  # noqa: E402


def receive_cost(answer: np.ndarray) -> dict[str, float]:
    """Per-frame CPU of the bot's receive path for one member: opus decode, then the listener."""
    from discord.opus import Decoder, Encoder  # libopus, as discord-ext-voice-recv decodes

    from bot.models import Transcript
    from bot.practice.listening import IncrementalListener
    from bot.speech.audio import to_pcm48_stereo

    pcm = to_pcm48_stereo(answer)
    frames = [pcm[i:i + 3840] for i in range(0, len(pcm) - 3839, 3840)]
    encoder, decoder = Encoder(), Decoder()
    packets = [encoder.encode(f, 960) for f in frames]
    t0 = time.perf_counter()
    decoded = [decoder.decode(p) for p in packets]
    decode_s = time.perf_counter() - t0
    listener = IncrementalListener(lambda x, offset_s=0.0: Transcript(words=[], duration_s=len(x) / 16000), name="cost")
    try:
        t0 = time.perf_counter()
        for f in decoded:
            listener.feed_pcm48(f)
        feed_s = time.perf_counter() - t0
    finally:
        listener.close()
    per_frame = (decode_s + feed_s) / len(frames)
    return {"decode_us": decode_s / len(frames) * 1e6, "feed_us": feed_s / len(frames) * 1e6, "core_share": per_frame * 50}


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def rounds_with_workers(redis: RedisServer, tmp: Path, say: Any, capacity_rounds: int,
                        counts: tuple[int, ...] = (1, 2)) -> dict[int, int]:
    """Section 5: for 1, then 2 worker processes on a fresh queue, the capacity (N listeners given a
    60 s answer at once, through the workers) and the rounds verified at real-time pace within 2 s.
    Returns {workers: rounds kept within 2 s}."""
    url = redis.url(1)
    settings = Settings.from_env({}, data_dir=tmp / "data5", transcribe_url=url)
    remote = RemoteTranscriber(settings)
    capacity_answer = build_answer(say, 60.0, seed=3)
    paced_answer = build_answer(say, 45.0, seed=4)
    started: list[Worker] = []
    held: dict[int, int] = {}
    try:
        for k in counts:
            while len(started) < k:
                w = Worker(url, f"cap{len(started)}", tmp / f"cap{len(started)}.log", PARLEY_WHISPER_THREADS="1")
                started.append(w)
                w.wait_ready()
            assert remote.check(), "the workers do not answer"
            cap = throughput_run(remote, capacity_answer, capacity_rounds)
            streams = 1 / cap["rtf"]
            target = max(1, int(0.7 * streams))  # 30 % headroom, as bench_round
            print(f"   {k} worker{'s' if k > 1 else ' '}: a) {capacity_rounds} answers of 60 s at once in "
                  f"{cap['wall_s']:.1f} s → RTF {cap['rtf']:.3f} (≈ {streams:.1f} real-time streams)")
            n, row = target, None
            while n >= 1:
                row = paced_run(remote, paced_answer, n)
                if row["latency_max_s"] < 2.0:
                    break
                print(f"      b) N={n}: max {row['latency_max_s']:.2f} s → falls behind; one fewer")
                n -= 1
            held[k] = max(0, n)
            if row is not None and n >= 1:
                print(f"      b) N={n} rounds at real-time pace: end of answer → transcript max "
                      f"{row['latency_max_s']:.2f} s, mean {row['latency_mean_s']:.2f} s → kept within 2 s")
    finally:
        for w in started:
            w.stop()
    return held


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="30,90", help="answer lengths in seconds, comma separated")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each answer on each side")
    ap.add_argument("--speed", type=float, default=4.0, help="feeding speed vs real time")
    ap.add_argument("--threads", type=int, default=0, help="whisper threads, the same in-process and in the worker")
    ap.add_argument("--chunks", type=int, default=20, help="chunks sent for the per-chunk figures")
    ap.add_argument("--capacity-rounds", type=int, default=6, help="listeners given an answer at once in section 5")
    ap.add_argument("--only", default="", help="comma separated sections to run (default all): 1,2,3,4,5")
    args = ap.parse_args()
    only = {int(x) for x in args.only.split(",") if x.strip()}
    logging.basicConfig(level=logging.WARNING)
    lengths = [float(x) for x in args.lengths.split(",") if x]

    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-scale-"))
    redis = RedisServer(tmp / "redis")
    redis.start()
    worker = Worker(redis.url(0), "bench", tmp / "worker.log", PARLEY_WHISPER_THREADS=str(args.threads))
    try:
        worker.wait_ready()
        local_settings = Settings.from_env({}, data_dir=tmp / "data", whisper_threads=args.threads)
        remote_settings = local_settings.with_(transcribe_url=redis.url(0))
        local = Transcriber(local_settings)
        local.load()
        remote = RemoteTranscriber(remote_settings)
        assert remote.check(), "the worker does not answer"
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start (shared: figures vary "
              f"with other work); whisper threads {args.threads or 'auto'} in-process and in the one worker process")

        cache: dict[str, np.ndarray] = {}

        def say(text: str) -> np.ndarray:
            if text not in cache:
                cache[text] = decode_file(espeak(text, tmp / f"s{len(cache)}.wav"))
            return cache[text]

        jfk = decode_file(AUDIO / "jfk.flac")
        local.transcribe_sync(jfk)  # warm both sides
        remote.transcribe_sync(jfk)
        remote.sent, remote.sent_audio_s = 0, 0.0

        if not only or 1 in only:
            print(f"\n1. feedback latency, workers vs in-process, same answers (Done right after the last word, "
                  f"fed at {args.speed:g}x in 20 ms frames; goal ratio ≤ 1.2 and ≤ 150 ms added)")
            print(f"   {'answer':>7} {'in-process':>11} {'workers':>9} {'ratio':>6} {'added':>8} {'words':>11}")
            rows: list[tuple[float, float, float]] = []
            answered_s = 0.0  # audio fed to the remote side
            async with Database(local_settings.database) as db:
                bank = load_bank(local_settings.bank_dir)
                engines = {"local": PracticeEngine(settings=local_settings, bank=bank, transcriber=local, db=db),
                           "remote": PracticeEngine(settings=remote_settings, bank=bank, transcriber=remote, db=db)}
                for L in lengths:
                    answer = build_answer(say, L)
                    got: dict[str, list[float]] = {"local": [], "remote": []}
                    words: dict[str, int] = {}
                    for _ in range(args.repeat):
                        for side in ("local", "remote"):
                            row = await latency_run(engines[side], answer, speed=args.speed, ending="done")
                            got[side].append(row["latency_s"])
                            answered_s += row["audio_s"] if side == "remote" else 0.0
                            words[side] = int(row["words"])
                    lo, re_ = statistics.median(got["local"]), statistics.median(got["remote"])
                    rows.append((L, lo, re_))
                    print(f"   {len(answer) / 16000:6.0f}s {lo * 1000:8.0f} ms {re_ * 1000:6.0f} ms {re_ / lo:6.2f} "
                          f"{(re_ - lo) * 1000:+6.0f} ms {words['local']:5d}/{words['remote']:<5d}")
            print(f"   chunks sent to workers: {remote.sent} for {answered_s:.0f} s of answers "
                  f"({remote.sent / answered_s * 60:.1f} per answer-minute, {remote.sent_audio_s / answered_s:.2f} s of "
                  f"audio sent per second answered: utterance checks re-send the last few seconds)")
            lo_all = statistics.median([r[1] for r in rows])
            re_all = statistics.median([r[2] for r in rows])
            print(f"   all answers (medians): ratio {re_all / lo_all:.2f}, added {(re_all - lo_all) * 1000:+.0f} ms "
                  f"→ {'meets' if re_all / lo_all <= 1.2 and re_all - lo_all <= 0.15 else 'MISSES'} the goal")

        if not only or 2 in only:
            print(f"\n2. one 11 s chunk (jfk.flac) through the broker, {args.chunks} times")
            trips, work, local_s = [], [], []
            for _ in range(args.chunks):
                t0 = time.perf_counter()
                res = remote.app.send_task("parley.transcribe", args=(encode_chunk(jfk, 0.0),))
                out = res.get(timeout=60)
                trips.append(time.perf_counter() - t0)
                work.append(float(out["seconds"]))
                t0 = time.perf_counter()
                local.transcribe_sync(jfk)
                local_s.append(time.perf_counter() - t0)
            overhead = [(t - w) * 1000 for t, w in zip(trips, work)]
            msg_bytes = len(json.dumps(encode_chunk(jfk, 0.0)))
            result_bytes = len(json.dumps(out))
            print(f"   round trip p50 {pct(trips, 0.5) * 1000:.0f} ms (in-process {pct(local_s, 0.5) * 1000:.0f} ms); "
                  f"broker share p50 {pct(overhead, 0.5):.1f} ms, p95 {pct(overhead, 0.95):.1f} ms")
            print(f"   worker time per audio second {statistics.median(work) / 11.0:.3f} (RTF); message {msg_bytes / 1024:.0f} KiB "
                  f"({msg_bytes / 11.0 / 1024:.1f} KiB per audio second), result {result_bytes / 1024:.1f} KiB")

        if not only or 3 in only:
            print("\n3. the bot's own cost per speaking member (no transcription), 20 s of answer in 20 ms frames")
            cost = receive_cost(build_answer(say, 20.0))
            print(f"   opus decode {cost['decode_us']:.0f} µs + resample and VAD {cost['feed_us']:.0f} µs per frame "
                  f"= {cost['core_share'] * 100:.2f} % of a core per speaking member (50 frames a second); "
                  f"DAVE decrypt adds about 12 µs (bench_dave)")

        if not only or 4 in only:
            print("\n4. Postgres vs sqlite: time to save an attempt (bench_storage, 2 passes x 300 saves)")
            try:
                from bench.bench_storage import measure, report

                report(await measure(saves=300, passes=2, tasks=8), 8)
            except (ImportError, RuntimeError) as e:  # no asyncpg, no Postgres binaries
                print(f"   not measured: {e}")

        if not only or 5 in only:
            worker.stop()  # section 5 starts its own workers, one whisper thread each
            print(f"\n5. rounds within 2 s of real time with 1 and 2 worker processes (one whisper thread each; "
                  f"load average {os.getloadavg()[0]:.2f})")
            held = rounds_with_workers(redis, tmp, say, args.capacity_rounds)
            one, two = held.get(1, 0), held.get(2, 0)
            if one:
                print(f"   → 2 workers hold {two / one:.2f}x the rounds of 1 "
                      f"({'within' if two >= 1.8 * one else 'OUTSIDE'} 10 % of linear; goal ≥ 1.8x)")
    finally:
        worker.stop()
        redis.stop()


if __name__ == "__main__":
    asyncio.run(main())
