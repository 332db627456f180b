"""Speech recognition settings, chosen by measurement: one factor at a time against the default.

    .venv/bin/python -m bench.bench_asr                  # every variant on the dev spoken answers
    .venv/bin/python -m bench.bench_asr --limit 12       # a quick look
    .venv/bin/python -m bench.bench_asr --variants default,beam5

The answers: the dev spoken set (tests/data/blind4_answers.toml, 8 voices) plus answers from the
training writers spoken in rotating voices, a long pause spliced into every third. Never the sealed
sets: they are scored with the chosen settings only (bench/eval_sealed.py --spoken).

For each variant it prints word error rate against the written text, filler recall (fillers in the
written answer that the transcript kept; the hesitation detector's voiced stretches count too),
spliced pauses found within ±0.5 s and silences invented, structure F1 for assumptions and outcome
(learned detector) and the real-time factor on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.eval_heldout import PAUSE_TOLERANCE_S, Counts, HeldoutAnswer, synthesize
from bench.labelled_sets import DATA, load_any, questions_for, train_files
from bot.analysis import analyze
from bot.config import Settings
from bot.speech.stt import DecodeOptions, Transcriber

VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan", "en-us+f3")
FILLERS = {"um", "uh", "er", "erm", "hmm", "ah", "uhm", "umm", "mm"}
VARIANTS: dict[str, DecodeOptions] = {
    "default": DecodeOptions(),
    "beam5": DecodeOptions(beam_size=5),
    "no-prompt": DecodeOptions(prompt=None),
    "vad-1s": replace(DecodeOptions(), vad=(("threshold", 0.5), ("min_silence_duration_ms", 1000), ("speech_pad_ms", 200))),
    "vad-loose": replace(DecodeOptions(), vad=(("threshold", 0.35), ("min_silence_duration_ms", 2000), ("speech_pad_ms", 400))),
    "no-redecode": DecodeOptions(redecode=False),
}


def dev_spoken(per_writer: int) -> list[HeldoutAnswer]:
    answers = [a for a in load_any(DATA / "blind4_answers.toml") if a.spoken]
    k = 0
    for path in train_files():
        for a in load_any(path)[:: max(1, 80 // max(per_writer, 1))][:per_writer]:
            answers.append(replace(a, spoken=True, voice=VOICES[k % len(VOICES)],
                                   pause_after_words=20 if k % 3 == 0 and len(a.text.split()) > 30 else None, pause_s=6.0))
            k += 1
    return answers


@dataclass
class Figures:
    errors: float = 0.0
    words: int = 0
    fillers: int = 0
    fillers_kept: int = 0
    pauses: int = 0
    found: int = 0
    invented: int = 0
    audio_s: float = 0.0
    decode_s: float = 0.0
    stray_hesitations: int = 0  # hesitations found in answers written without any filler

    def __post_init__(self) -> None:
        self.structure = {c: Counts() for c in ("assumptions", "outcome")}


def measure(name: str, options: DecodeOptions, answers: list[HeldoutAnswer], audio: dict[str, tuple], settings: Settings) -> Figures:  # type: ignore[type-arg]
    from tests.wer import normalise, wer

    tr = Transcriber(settings, options)
    tr.load()
    qs = questions_for(answers)
    fig = Figures()
    for k, a in enumerate(answers, 1):
        samples, pause = audio[a.id]
        t0 = time.perf_counter()
        transcript = tr.transcribe_sync(samples)
        fig.decode_s += time.perf_counter() - t0
        fig.audio_s += len(samples) / 16000
        ref = normalise(a.text)
        fig.errors += wer(a.text, transcript.text) * len(ref)
        fig.words += len(ref)
        n_fill = sum(1 for w in ref if w in FILLERS)
        fig.fillers += n_fill
        heard = sum(1 for w in normalise(transcript.text) if w in FILLERS) + len(transcript.hesitations)
        fig.fillers_kept += min(n_fill, heard)
        fig.stray_hesitations += 0 if n_fill else len(transcript.hesitations)
        analysis = analyze(qs[a.question], transcript=transcript, settings=settings)
        for c, cnt in fig.structure.items():
            cnt.add(a.labels[c], analysis.structure[c])
        sil = [(s.start, s.end) for s in analysis.silences]
        hit = [s for s in sil if pause and abs(s[0] - pause[0]) <= PAUSE_TOLERANCE_S and abs(s[1] - pause[1]) <= PAUSE_TOLERANCE_S]
        fig.pauses += pause is not None
        fig.found += bool(hit)
        fig.invented += len(sil) - len(hit)
        print(f"  {name}: {k}/{len(answers)}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_asr", description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from: {', '.join(VARIANTS)}")
    ap.add_argument("--per-writer", type=int, default=4, help="training answers spoken per writer (besides the 32 dev spoken ones)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N answers")
    args = ap.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s): {', '.join(unknown)}")
    from bot.speech.audio import decode_file

    answers = dev_spoken(args.per_writer)
    if args.limit:
        answers = answers[: args.limit]
    settings = Settings.from_env({})
    with tempfile.TemporaryDirectory(prefix="parley-asr-") as tmp:
        audio = {}
        for a in answers:
            wav, pause = synthesize(a, Path(tmp))
            audio[a.id] = (decode_file(wav), pause)
        print(f"{len(answers)} answers, {len({a.voice for a in answers})} voices, "
              f"{sum(len(x) for x, _ in audio.values()) / 16000:.0f} s of audio", file=sys.stderr)
        rows = {n: measure(n, VARIANTS[n], answers, audio, settings) for n in names}
    print(f"{'variant':<13}{'WER':>7}{'fillers':>10}{'pauses':>9}{'invented':>9}{'assume F1':>10}{'outcome F1':>11}{'RTF':>7}{'stray hes.':>11}")
    for n, f in rows.items():
        print(f"{n:<13}{f.errors / max(f.words, 1):>7.1%}{f'{f.fillers_kept}/{f.fillers}':>10}{f'{f.found}/{f.pauses}':>9}{f.invented:>9}"
              f"{f.structure['assumptions'].f1:>10.2f}{f.structure['outcome'].f1:>11.2f}{f.decode_s / max(f.audio_s, 1e-9):>7.3f}{f.stray_hesitations:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
