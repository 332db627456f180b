"""Small helpers for the command line: errors with exit codes, a progress line, the local user."""

from __future__ import annotations

import getpass
import sys
import time
from typing import TextIO

# The CLI stores attempts under one local user id; Discord ids are 17+ digits, so 1 never collides.
LOCAL_USER_ID = 1


class CliError(Exception):
    """Shown as one `error: …` line on stderr; the process exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
