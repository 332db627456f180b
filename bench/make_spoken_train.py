"""Spoken copies of training answers: what the recogniser actually prints, for the learned detector.

    .venv/bin/python -m bench.make_spoken_train            # every 4th answer of each training writer
    .venv/bin/python -m bench.make_spoken_train --every 2
    .venv/bin/python -m bench.make_spoken_train --every 2 --only hedgers_storytellers   # one writer

Each chosen answer from tests/data/train/*.toml is spoken with espeak-ng in a rotating voice (a long
pause spliced into every third), transcribed with the real model, and written with its labels to
tests/data/train_spoken/<writer>.toml. Training on these teaches the model how moves read after
speech recognition (lost question marks, misheard words). The sealed sets are never touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.eval_heldout import synthesize
from bench.labelled_sets import DATA, SPOKEN_SUFFIX, load_any, questions_for, train_files
from bot.config import Settings
from bot.speech.audio import decode_file
from bot.speech.stt import Transcriber

OUT_DIR = DATA / "train_spoken"
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan",
          "en-gb-x-gbcwmd", "en-us+f3", "en-gb+m3")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.make_spoken_train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=int, default=4, help="speak every Nth answer of each writer")
    ap.add_argument("--only", action="append", default=[], metavar="WRITER",
                    help="only this training file (its name without .toml; repeatable); the others' copies stay as they are")
    args = ap.parse_args(argv)
    paths = [p for p in train_files() if not args.only or p.stem in args.only]
    if not paths:
        ap.error(f"no training file named {', '.join(args.only)}")
    tr = Transcriber(Settings.from_env({}))
    tr.load()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    k = 0
    for path in paths:
        answers = load_any(path)[:: args.every]
        cats = {q.id: q.category for q in questions_for(answers).values()}
        lines = [f"# Spoken copies of {path.name}: espeak-ng -> whisper tiny.en transcripts (bench/make_spoken_train.py).",
                 "# Labels are the written answer's; the text is what the recogniser printed.", "",
                 "[meta]", f'writer = "{path.stem} (spoken)"', 'kind = "train"', ""]
        with tempfile.TemporaryDirectory(prefix="parley-spoken-train-") as tmp:
            for a in answers:
                # a writer who wrote for speech chose the voice and the pauses; typed answers get a rotating voice
                spoken = a if a.spoken and a.voice else replace(
                    a, spoken=True, voice=VOICES[k % len(VOICES)],
                    pause_after_words=18 if k % 3 == 0 and len(a.text.split()) > 30 else None, pause_s=6.0)
                k += 1
                wav, _ = synthesize(spoken, Path(tmp))
                text = tr.transcribe_sync(decode_file(wav)).text.strip()
                if not text:
                    continue
                lines += ["[[answer]]", f"id = {json.dumps(a.id + SPOKEN_SUFFIX)}", f"question = {json.dumps(a.question)}",
                          f"category = {json.dumps(cats[a.question])}", f"persona = {json.dumps(a.persona)}",
                          f"voice = {json.dumps(spoken.voice)}",
                          f"assumptions = {str(a.labels['assumptions']).lower()}", f"outcome = {str(a.labels['outcome']).lower()}",
                          f"text = {json.dumps(text)}", ""]
        (OUT_DIR / path.name).write_text("\n".join(lines), encoding="utf-8")
        print(f"{path.name}: {len(answers)} spoken", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
