"""A decode that loses a long stretch of speech must not report it as the candidate's silence.

The answer below (a training answer, free to use) makes greedy tiny.en drop about 20 s of words in
one espeak-ng voice: the words were lost and a 20 s "silence" was reported in the middle of speech.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench.eval_heldout import synthesize
from bench.labelled_sets import DATA, load_any
from bot.analysis.timing import find_silences
from bot.speech.audio import decode_file
from tests.wer import wer

pytestmark = pytest.mark.slow


def test_speech_the_decoder_dropped_is_decoded_again(transcriber, tmp_path: Path) -> None:
    answer = next(a for a in load_any(DATA / "train" / "jargon_casual.toml") if a.id == "jc-s01")
    wav, _ = synthesize(replace(answer, spoken=True, voice="en-gb-scotland", pause_after_words=None), tmp_path)
    transcript = transcriber.transcribe_sync(decode_file(wav))
    assert find_silences(transcript, 4.0) == [], "a stretch of lost words was reported as a long silence"
    # the lost stretch held about 60 of the answer's 215 words (145 came back without the second decode, 205 with it)
    assert len(transcript.words) >= 185
    assert wer(answer.text, transcript.text) < 0.45  # espeak's Scottish voice and spelled-out numbers cost ~0.4 anyway
