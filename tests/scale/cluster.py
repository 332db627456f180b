"""A real Redis and real Celery transcription workers as local processes (tests and bench).

redis-server runs from the system binary in a given folder on a free port (make test-scale
installs it); each worker is `python -m bot.speech.worker`, one process as in production.
Nothing here is mocked, and nothing imports pytest.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(cond: Callable[[], Any], timeout: float, what: str, step: float = 0.05) -> Any:
    """Wait until `cond()` is truthy (returns it) or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


class RedisServer:
    """One redis-server process in its own folder; `stop`/`start` keep its data (a broker restart):
    the append-only file is written on every command."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (make test-scale installs it: scripts/install-system-deps.sh)")
        self.exe, self.folder, self.port = exe, folder, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        with open(self.folder / "redis.log", "ab") as out:
            self.proc = subprocess.Popen(
                [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                 "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
                stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.ping, 20, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.proc = None


class Worker:
    """`python -m bot.speech.worker` in its own process: one pool child holding the model."""

    def __init__(self, url: str, name: str, log_path: Path, **env: str) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        full_env.update({"PARLEY_TRANSCRIBE_URL": url, "PARLEY_WHISPER_THREADS": "1", "PARLEY_LOG_LEVEL": "INFO", **env})
        self.name = f"{name}@{socket.gethostname()}"
        self.log_path = log_path
        with open(log_path, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.speech.worker", "--hostname", self.name],
                                         cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the pool process has its model and the worker takes chunks."""
        wait_for(lambda: ("model loaded" in self.log() and " ready." in self.log()) or self.proc.poll() is not None,
                 timeout, f"worker {self.name} to load its model")
        if self.proc.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
