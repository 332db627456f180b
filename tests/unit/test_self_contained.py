"""The repository is self-contained: the recordings the tests use live in tests/assets/audio
(with their licence and reference transcripts), and no test or bench reaches outside the clone."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import AUDIO, ROOT

OUTSIDE = re.compile(r"""\.\./shared|\.parent\s*/\s*["']shared["']|parents\[\d\]\.parent""")


def test_recordings_licence_and_references_are_in_the_repository() -> None:
    assert AUDIO.is_relative_to(ROOT)
    names = {p.name for p in AUDIO.iterdir()}
    assert {"jfk.flac", "stereo_diarization.wav", "LICENSE-faster-whisper", "README.md"} <= names
    readme = (AUDIO / "README.md").read_text()
    # the reference transcripts the word-error-rate tests compare against
    assert "ask not what your country can do for you" in readme
    assert "The horizon seems extremely distant." in readme
    assert "MIT" in readme and "Permission is hereby granted" in (AUDIO / "LICENSE-faster-whisper").read_text()
    assert (AUDIO / "jfk.flac").read_bytes()[:4] == b"fLaC"
    assert (AUDIO / "stereo_diarization.wav").read_bytes()[:4] == b"RIFF"


def test_no_test_bench_or_ci_script_reads_outside_the_clone() -> None:
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py"), ROOT / ".ci" / "run", ROOT / "Makefile"]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files if p != Path(__file__).resolve()
                 for n, line in enumerate(p.read_text().splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders, offenders
