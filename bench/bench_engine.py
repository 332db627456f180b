"""Engine benchmark: model load, transcription speed, analysis time, TTS latency, peak memory.

Run from the project root:
    .venv/bin/python -m bench.bench_engine            # all figures (about a minute on 2 cores)
    .venv/bin/python -m bench.bench_engine --json     # the same, one JSON object at the end

Answers are built from synthesized speech (espeak-ng through the app's own Speaker) joined
with natural pauses and a few long ones, so the VAD and silence paths are exercised too.
Figures depend on the machine and on what else runs on it: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # `python bench/bench_engine.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.speech.audio import SAMPLE_RATE  # noqa: E402

TARGET_RTF = 0.15
TARGET_ANALYSIS_MS = 50.0
TARGET_PEAK_MIB = 1024.0

# Answer material: our own sentences about backend topics, spoken by two voices.
SENTENCES = [
    "Let me first clarify the requirements: we have about ten thousand devices, each sending a reading every second.",
    "I'm assuming the readings can arrive late or twice, so the pipeline has to tolerate duplicates.",
    "The devices post to an ingestion API that validates the payload and writes it to a durable queue.",
    "Um, a pool of consumers reads from the queue and batches the writes into a time series store.",
    "Each event carries an idempotency key, so a retried write does not create a second row.",
    "For storage I'd partition by device and by day, because most queries ask for one device over a time range.",
    "Uh, if the database slows down, the queue absorbs the burst and we apply backpressure at the API.",
    "I would watch the consumer lag, the error rate and the p99 write latency, and alert when the lag keeps growing.",
    "The tradeoff is freshness against cost: bigger batches are cheaper but the dashboards lag a few seconds more.",
    "To test it I'd replay a day of traffic with injected duplicates and a consumer crash in the middle.",
    "So, you know, the result is a design that keeps up with peak load and loses nothing when a worker dies.",
    "If I had more time I would add a dead letter queue and a small tool to re-drive failed messages.",
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def build_answer(clips: list[np.ndarray], seconds: float, seed: int) -> np.ndarray:
    """Speech clips joined with 0.3-1.5 s pauses and one 5 s pause per minute, to `seconds`."""
    rng = random.Random(seed)
    parts: list[np.ndarray] = [np.zeros(int(1.0 * SAMPLE_RATE), np.float32)]
    total = len(parts[0])
    target = int(seconds * SAMPLE_RATE)
    i = 0
    while total < target:
        clip = clips[i % len(clips)]
        i += 1
        pause = 5.0 if i % 12 == 6 else rng.uniform(0.3, 1.5)
        for piece in (clip, np.zeros(int(pause * SAMPLE_RATE), np.float32)):
            parts.append(piece)
            total += len(piece)
    return np.concatenate(parts)[:target]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="CTranslate2 CPU threads (default: settings)")
    ap.add_argument("--lengths", default="30,120,300", help="answer lengths in seconds, comma-separated")
    ap.add_argument("--json", action="store_true", help="also print all figures as one JSON object")
    args = ap.parse_args(argv)

    results: dict[str, object] = {
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    overrides: dict[str, object] = {"data_dir": tmp}
    if args.threads is not None:
        overrides["whisper_threads"] = args.threads
    settings = Settings.from_env(**overrides)
    log(f"machine: {results['cpus']} CPUs, load average {results['load_avg_1m']} (shared machines read pessimistic)")

    # ---------------------------------------------------------------- model load
    t0 = time.perf_counter()
    from bot.speech.stt import Transcriber

    transcriber = Transcriber(settings)
    transcriber.load()
    results["model_load_s"] = round(time.perf_counter() - t0, 3)
    results["model_load_only_s"] = round(transcriber.load_seconds or 0.0, 3)
    log(f"model load: {results['model_load_s']:.2f} s (import + load; load alone {results['model_load_only_s']:.2f} s)")

    # ---------------------------------------------------------------- TTS latency
    from bot.speech.tts import Speaker

    speaker = Speaker(settings)
    prompts = _bank_prompts(settings)[:6]
    cold, warm = [], []
    for p in prompts:
        t0 = time.perf_counter()
        asyncio.run(speaker.render(p))
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        asyncio.run(speaker.render(p))
        warm.append(time.perf_counter() - t0)
    pcm_t0 = time.perf_counter()
    asyncio.run(speaker.render_pcm48(prompts[0]))
    results["tts"] = {
        "prompts": len(prompts),
        "backend": speaker.backend,
        "cold_ms_mean": round(1000 * statistics.mean(cold), 1),
        "cold_ms_max": round(1000 * max(cold), 1),
        "cached_ms_mean": round(1000 * statistics.mean(warm), 2),
        "cached_pcm48_ms": round(1000 * (time.perf_counter() - pcm_t0), 1),
    }
    log(f"TTS per prompt: cold {results['tts']['cold_ms_mean']:.0f} ms mean ({results['tts']['cold_ms_max']:.0f} max), "
        f"cached {results['tts']['cached_ms_mean']:.2f} ms, cached + Discord PCM {results['tts']['cached_pcm48_ms']:.0f} ms "
        f"[{speaker.backend}]")

    # ---------------------------------------------------------------- answers
    clips = []
    for i, s in enumerate(SENTENCES):
        sp = speaker if i % 2 == 0 else Speaker(settings.with_(tts_voice="en-gb", tts_rate=160))
        clips.append(asyncio.run(sp.render_samples16k(s)))

    lengths = [float(x) for x in args.lengths.split(",") if x.strip()]
    rtf: dict[str, dict[str, float]] = {}
    transcripts = {}
    for n, seconds in enumerate(lengths):
        audio = build_answer(clips, seconds, seed=n)
        t0 = time.perf_counter()
        tr = transcriber.transcribe_sync(audio)
        elapsed = time.perf_counter() - t0
        transcripts[seconds] = tr
        rtf[f"{seconds:g}s"] = {"audio_s": round(len(audio) / SAMPLE_RATE, 1), "elapsed_s": round(elapsed, 2),
                                "rtf": round(elapsed / (len(audio) / SAMPLE_RATE), 4), "words": len(tr.words)}
        log(f"transcribe {seconds:>5.0f} s answer: {elapsed:6.2f} s  RTF {rtf[f'{seconds:g}s']['rtf']:.3f}  "
            f"({len(tr.words)} words)")
    results["rtf"] = rtf

    # ---------------------------------------------------------------- analysis
    longest = max(transcripts)
    results["analysis"] = _bench_analysis(settings, transcripts[longest], longest)
    results["peak_rss_mib"] = round(peak_mib(), 1)

    # ---------------------------------------------------------------- summary
    worst_rtf = max(v["rtf"] for v in rtf.values())
    print()
    print(f"{'figure':40s} {'value':>12s} {'target':>10s} {'ratio':>7s}  verdict")
    print(f"{'model load (import + load)':40s} {results['model_load_s']:>10.2f} s {'-':>10s} {'':>7s}")
    for k, v in rtf.items():
        print(f"{'real-time factor, ' + k + ' answer':40s} {v['rtf']:>12.3f} {TARGET_RTF:>10.2f} "
              f"{v['rtf'] / TARGET_RTF:>7.2f}  {verdict(v['rtf'] <= TARGET_RTF)}")
    an = results["analysis"]
    if isinstance(an, dict) and "median_ms" in an:
        print(f"{'analysis of ' + str(int(longest)) + ' s transcript (median)':40s} {an['median_ms']:>9.1f} ms "
              f"{TARGET_ANALYSIS_MS:>7.0f} ms {an['median_ms'] / TARGET_ANALYSIS_MS:>7.2f}  "
              f"{verdict(an['median_ms'] < TARGET_ANALYSIS_MS)}")
        print(f"{'analysis, first call (cold)':40s} {an['cold_ms']:>9.1f} ms {TARGET_ANALYSIS_MS:>7.0f} ms "
              f"{an['cold_ms'] / TARGET_ANALYSIS_MS:>7.2f}  {verdict(an['cold_ms'] < TARGET_ANALYSIS_MS)}")
    else:
        print(f"{'analysis':40s} {'n/a':>12s}  ({an})")
    tts = results["tts"]
    assert isinstance(tts, dict)
    print(f"{'TTS per prompt, cold (mean)':40s} {tts['cold_ms_mean']:>9.1f} ms {'-':>10s}")
    print(f"{'TTS per prompt, cached (mean)':40s} {tts['cached_ms_mean']:>9.2f} ms {'-':>10s}")
    print(f"{'peak memory (max RSS)':40s} {results['peak_rss_mib']:>8.0f} MiB {TARGET_PEAK_MIB:>6.0f} MiB "
          f"{results['peak_rss_mib'] / TARGET_PEAK_MIB:>7.2f}  {verdict(results['peak_rss_mib'] < TARGET_PEAK_MIB)}")
    print(f"\nworst RTF {worst_rtf:.3f}; {results['cpus']} CPUs, load average {results['load_avg_1m']} at start, "
          f"{os.getloadavg()[0]:.2f} at end (other work on the machine slows every figure)")
    if args.json:
        print(json.dumps(results))
    return 0


def _bank_prompts(settings: Settings) -> list[str]:
    try:
        from bot.bank import load_bank

        bank = load_bank(settings.bank_dir)
        return [q.prompt for q in bank.questions[:: max(1, len(bank.questions) // 6)]]
    except Exception as e:  # the bench still runs without a bank
        log(f"(question bank unavailable: {e}; using built-in prompts)")
        return [
            "Walk me through how you would design a rate limiter for a public API.",
            "How would you make a payment endpoint safe to retry?",
            "Tell me about a time you had to push back on a deadline.",
            "How would you find the top ten device ids by event count in a stream?",
            "When would you choose a document store over a relational database?",
            "What would you measure and alert on when launching a new service?",
        ]


def _bench_analysis(settings: Settings, transcript, seconds: float) -> dict[str, object]:
    try:
        from bot.analysis import analyze
        from bot.bank import load_bank

        bank = load_bank(settings.bank_dir)
        question = next((q for q in bank.questions if q.category == "system_design"), bank.questions[0])
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}
    t0 = time.perf_counter()
    analyze(question, transcript=transcript, settings=settings)
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        analyze(question, transcript=transcript, settings=settings)
        runs.append(time.perf_counter() - t0)
    out = {"question": question.id, "transcript_s": seconds, "words": len(transcript.words),
           "cold_ms": round(1000 * cold, 2), "median_ms": round(1000 * statistics.median(runs), 2),
           "max_ms": round(1000 * max(runs), 2)}
    log(f"analysis of a {seconds:.0f} s transcript ({len(transcript.words)} words): cold {out['cold_ms']:.1f} ms, "
        f"median {out['median_ms']:.1f} ms, max {out['max_ms']:.1f} ms")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
