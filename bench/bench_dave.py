"""DAVE's cost on the voice path: per-frame decrypt cost, and end-of-answer → feedback latency with
DAVE on versus off against the local Discord stand-in (tests/e2e/standin), in one run on the same
answers.

    .venv/bin/python -m bench.bench_dave                # decrypt cost + latency (2 bot processes, ~3 min)
    .venv/bin/python -m bench.bench_dave --frames-only  # only the per-frame figures (seconds)
    .venv/bin/python -m bench.bench_dave --rounds 3 --json

Per frame: one member's real opus frame (20 ms of speech) encrypted by a real davey session and
decrypted by the listener's session, through `DaveFrameDecryptor.process` (the receive path's
DAVE step) and through `davey.DaveSession.decrypt` alone; plus the sender's `encrypt_opus`.

Latency: the real bot process (`python -m bot run`) against the stand-in, once with DAVE v1 (the
default: the member's speech is encrypted, the bot's speech is heard through the member's
session) and once with the stand-in announcing protocol 0. Each round: the question is spoken, the
member plays the same espeak-ng answer, presses Done (→ the follow-up starts speaking: the answer
was transcribed and analysed), then Done again (→ the feedback message). Each round runs in a
fresh bot process, DAVE off and on alternating; figures are the medians; the goal is a
DAVE/plain ratio ≤ 1.05.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUESTION_ID = "coding-merge-sensor-windows"
ANSWER = ("I would sort the windows by their start time, then walk through them in order. When the "
          "next window starts before the current one ends, I extend the current window. Otherwise I "
          "close it and begin a new one.")


def frame_costs(n: int = 5000) -> dict[str, float]:
    """Microseconds per 20 ms frame: encrypt (sender), davey decrypt, our DAVE step."""
    import davey
    import numpy as np
    from discord.opus import Encoder

    from bot.discord_io.voice_receive import DaveFrameDecryptor, ReceiveStats
    from tests.e2e.standin.dave import local_pair

    speaker, listener = local_pair(1_000_001, 1_000_002, 1_000_003)
    enc = Encoder()
    rng = np.random.default_rng(0)
    pcm = [(rng.standard_normal(1920) * 3000).astype("<i2").tobytes() for _ in range(50)]
    opus = [enc.encode(p, 960) for p in pcm]
    t = time.perf_counter()
    sealed = [speaker.encrypt_opus(opus[i % 50]) for i in range(n)]
    t_enc = time.perf_counter() - t
    t = time.perf_counter()
    for f in sealed:
        listener.decrypt(1_000_001, davey.MediaType.audio, f)
    t_dec = time.perf_counter() - t
    speaker2, listener2 = local_pair(1_000_001, 1_000_002, 1_000_003)
    sealed2 = [speaker2.encrypt_opus(opus[i % 50]) for i in range(n)]
    stats = ReceiveStats()
    step = DaveFrameDecryptor(lambda: listener2, stats)
    t = time.perf_counter()
    for f in sealed2:
        step.process(1_000_001, f)
    t_step = time.perf_counter() - t
    assert stats.dave_decrypted == n and stats.dave_failed == 0
    us = 1e6 / n
    return {"encrypt_us": t_enc * us, "decrypt_us": t_dec * us, "receive_step_us": t_step * us,
            "frame_budget_us": 20_000.0, "overhead_bytes": float(len(sealed[0]) - len(opus[0]))}


async def _one_config(dave: bool, rounds: int, answer_pcm: bytes, work: Path) -> dict[str, list[float]]:
    from tests.e2e.standin import DiscordStandIn, World
    from tests.e2e.standin.driver import (
        embed_title,
        latest_with_enabled,
        press,
        start_mock_round,
        wait_speech_finished,
    )

    world = World()
    sam = world.add_member("sam", in_voice=True)
    out: dict[str, list[float]] = {"answer_to_follow_up_s": [], "done_to_feedback_s": [],
                                   "decrypted_frames": []}
    work.mkdir(parents=True, exist_ok=True)
    async with DiscordStandIn(work / ("dave" if dave else "plain"), world) as s:
        s.voice.dave_protocol_version = 1 if dave else 0
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DISCORD_"))}
        env.update(s.bot_env())
        env.update({"PARLEY_DATA_DIR": str(work / ("data-dave" if dave else "data-plain")),
                    "PARLEY_QUESTIONS_PER_ROUND": "1", "PARLEY_LOG_LEVEL": "WARNING"})
        log = (work / f"bot-{'dave' if dave else 'plain'}.log").open("wb")
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=str(ROOT), env=env,
                                                    stdout=log, stderr=asyncio.subprocess.STDOUT)
        try:
            await s.gateway.wait_online(180.0)
            for _ in range(rounds):
                _, t_accept = await start_mock_round(s, sam, question_id=QUESTION_ID, timeout=60.0)
                await wait_speech_finished(s, after=t_accept, timeout=60.0, what="the question")
                await s.voice.play(sam, answer_pcm)
                t_done = time.monotonic()
                await press(s, sam, latest_with_enabled(s, "Done"), "Done")
                fu = await s.events.wait_for("bot_speaking", lambda d: d["speaking"] != 0, timeout=60.0,
                                             after=t_done, what="the follow-up")
                await wait_speech_finished(s, after=t_done, timeout=60.0, what="the follow-up")
                t_done2 = time.monotonic()
                await press(s, sam, latest_with_enabled(s, "Done"), "Done")
                fb = await s.events.wait_for(
                    "message_create", lambda m: embed_title(m).startswith("Mock round feedback"),
                    timeout=60.0, after=t_done2, what="the feedback")
                out["answer_to_follow_up_s"].append(fu.at - t_done)
                out["done_to_feedback_s"].append(fb.at - t_done2)
                await s.events.wait_for("voice_state_request", lambda d: d["channel_id"] is None,
                                        timeout=60.0, after=t_done2, what="the bot leaving voice")
            out["decrypted_frames"].append(float(s.voice.dave_counts["decrypted"]))
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30.0)
            log.close()
    return out


async def latency(rounds: int) -> dict[str, float]:
    import numpy as np

    from tests.conftest import espeak
    from tests.e2e.standin.audio import pcm48_stereo, read_wav

    with tempfile.TemporaryDirectory(prefix="bench-dave-") as tmp:
        work = Path(tmp)
        audio, rate = read_wav(espeak(ANSWER, work / "answer.wav"))
        pad = np.zeros(int(0.5 * rate), dtype=np.float32)
        pcm = pcm48_stereo(np.concatenate([pad, audio, pad]), rate)
        plain: dict[str, list[float]] = {}
        on: dict[str, list[float]] = {}
        for i in range(rounds):  # alternate, each round in a fresh bot process (and data folder)
            for dave, into in ((False, plain), (True, on)):
                got = await _one_config(dave, 1, pcm, work / f"r{i}")
                for k, v in got.items():
                    into.setdefault(k, []).extend(v)
    med = {k: statistics.median(v) for k, v in (("plain_follow_up_s", plain["answer_to_follow_up_s"]),
                                                  ("dave_follow_up_s", on["answer_to_follow_up_s"]),
                                                  ("plain_feedback_s", plain["done_to_feedback_s"]),
                                                  ("dave_feedback_s", on["done_to_feedback_s"]))}
    med["ratio_follow_up"] = med["dave_follow_up_s"] / max(1e-6, med["plain_follow_up_s"])
    med["ratio_feedback"] = med["dave_feedback_s"] / max(1e-6, med["plain_feedback_s"])
    med["dave_bot_frames_decrypted"] = on["decrypted_frames"][-1]
    med["plain_bot_frames_decrypted"] = plain["decrypted_frames"][-1]
    med["rounds"] = rounds
    return med


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames-only", action="store_true", help="only the per-frame decrypt figures")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds per configuration, each in a fresh bot process (default 2)")
    ap.add_argument("--frames", type=int, default=5000, help="frames for the per-frame figures")
    ap.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    args = ap.parse_args(argv)
    figures: dict[str, float] = {}
    costs = frame_costs(args.frames)
    figures.update(costs)
    print(f"per 20 ms frame: encrypt {costs['encrypt_us']:.1f} µs, davey decrypt {costs['decrypt_us']:.1f} µs, "
          f"receive DAVE step {costs['receive_step_us']:.1f} µs "
          f"({100 * costs['receive_step_us'] / costs['frame_budget_us']:.2f} % of the frame), "
          f"+{costs['overhead_bytes']:.0f} bytes per frame")
    if not args.frames_only:
        lat = asyncio.run(latency(args.rounds))
        figures.update(lat)
        goal = "PASS" if lat["ratio_follow_up"] <= 1.05 and lat["ratio_feedback"] <= 1.05 else "MISS"
        print(f"end of answer → follow-up: DAVE off {lat['plain_follow_up_s']:.2f} s, on {lat['dave_follow_up_s']:.2f} s "
              f"(ratio {lat['ratio_follow_up']:.3f})")
        print(f"last Done → feedback: DAVE off {lat['plain_feedback_s']:.2f} s, on {lat['dave_feedback_s']:.2f} s "
              f"(ratio {lat['ratio_feedback']:.3f})  [{goal}: goal ≤ 1.05; median of {args.rounds} rounds each]")
        print(f"bot speech frames the stand-in decrypted through the member's session: "
              f"{lat['dave_bot_frames_decrypted']:.0f} with DAVE, {lat['plain_bot_frames_decrypted']:.0f} without")
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
