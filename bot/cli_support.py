"""Small helpers for the command line: errors with exit codes, a progress line, the local user."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from typing import TextIO

# The CLI stores attempts under one local user id; Discord ids are 17+ digits, so 1 never collides.
LOCAL_USER_ID = 1
# sqlite stores integers in 64 bits (signed): a larger id can never have been stored.
MAX_ID = 2**63 - 1
# A written answer: a ten-minute spoken answer is about 12,000 characters; this leaves room.
MAX_TEXT_ANSWER_CHARS = 20_000
# Question ids are a few words joined by hyphens; anything far longer is not one.
MAX_QUESTION_ID_CHARS = 100


class CliError(Exception):
    """Shown as one `error: …` line on stderr; the process exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def int_between(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse `type` for a whole number in [lo, hi]: a clear usage error, never an OverflowError."""

    def parse(raw: str) -> int:
        shown = raw if len(raw) <= 24 else raw[:20] + "…"
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{shown} is out of range: use a whole number from {lo} to {hi}")
        return value

    return parse


def check_text_answer(text: str) -> str:
    """A written answer as the CLI accepts it; a CliError says what is wrong without echoing it."""
    if len(text) > MAX_TEXT_ANSWER_CHARS:
        raise CliError(f"--text is {len(text):,} characters; a written answer can be at most "
                       f"{MAX_TEXT_ANSWER_CHARS:,} (about twice a ten-minute spoken answer)")
    if not text.strip():
        raise CliError("--text is empty: nothing to analyze")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # bytes the terminal's encoding could not decode reach us as surrogates
        raise CliError(f"--text is not valid UTF-8 text: character {e.start + 1} is an undecodable byte "
                       "(check your terminal's encoding)") from None
    return text


def local_user() -> tuple[int, str]:
    try:
        name = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        name = "you"
    return LOCAL_USER_ID, name


class ProgressLine:
    """One self-overwriting status line on a terminal; plain lines (rate-limited) elsewhere."""

    def __init__(self, stream: TextIO = sys.stderr, min_interval_s: float = 0.5) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._width = 0

    def _write(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        elif force or now - self._last >= self.min_interval_s * 10:
            self.stream.write(text + "\n")
            self._last = now
        self.stream.flush()

    def status(self, text: str) -> None:
        self._write(text, force=True)

    def bar(self, label: str, done: float, total: float) -> None:
        frac = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
        filled = int(frac * 24)
        self._write(f"{label} [{'#' * filled}{'.' * (24 - filled)}] {frac * 100:3.0f}%  "
                    f"{done:5.1f}/{total:.1f} s")

    def done(self, text: str) -> None:
        if self.tty:
            self._write(text)
            self.stream.write("\n")
        elif text:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._width = 0
