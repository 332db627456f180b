"""Fixtures for the end-to-end tests: the Discord stand-in and the real bot as a subprocess."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.mid_answer_helpers import Answer
from tests.e2e.standin import DiscordStandIn, World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def mid_answer(tmp_path_factory: pytest.TempPathFactory) -> Answer:
    """sam's three-part answer (tests/e2e/mid_answer_helpers.py), made once per module."""
    return Answer(tmp_path_factory.mktemp("mid_answer"))


@pytest.fixture
async def standin(tmp_path: Path, world: World, request: pytest.FixtureRequest
                  ) -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(tmp_path / "standin", world) as s:
        yield s
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print("\n--- stand-in ---\n" + s.describe())


class BotProcess:
    """`python -m bot run` pointed at the stand-in; output goes to a log file shown on failure."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    async def guard(self, awaitable):
        """Await `awaitable`, failing at once (with the bot's log) if the bot process exits first."""
        step = asyncio.ensure_future(awaitable)
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            done, _ = await asyncio.wait({step, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if step not in done:
            step.cancel()
            raise AssertionError(f"the bot process exited ({self.proc.returncode}):\n{self.tail()}")
        return step.result()

    async def stop(self, timeout: float = 30.0) -> int | None:
        """Ctrl-C, as a person stops the bot. The bound is above discord.py's 20 s voice timeout:
        closing while a voice disconnect is pending waits that long for a leave confirmation the
        (already cancelled) gateway reader never reads."""
        if self.proc.returncode is None:
            t0 = time.monotonic()
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                # stuck: SIGABRT makes faulthandler write every thread's stack to the log
                self.proc.send_signal(signal.SIGABRT)
                try:
                    await asyncio.wait_for(self.proc.wait(), 5.0)
                except TimeoutError:
                    self.proc.kill()
                    await asyncio.wait_for(self.proc.wait(), 5.0)
            print(f"bot process stopped in {time.monotonic() - t0:.1f} s (exit code {self.proc.returncode})")
        return self.proc.returncode


def _stop_with_the_test_process() -> None:
    """In the bot's child process: when the test process dies (a killed xdist worker, Ctrl-C
    twice), the kernel sends the bot SIGTERM, so no bot is left running against a dead stand-in."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the stop() at teardown still applies


PR_SET_PDEATHSIG = 1


@pytest.fixture
async def start_bot(tmp_path: Path, standin: DiscordStandIn, request: pytest.FixtureRequest):
    """Start the real bot process with extra env settings; stopped (and its log kept) at teardown."""
    started: list[BotProcess] = []

    async def start(**settings: str) -> BotProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DISCORD_"))}
        env.update(standin.bot_env())
        env.update({"PARLEY_DATA_DIR": str(tmp_path / "bot-data"), "PARLEY_LOG_LEVEL": "INFO",
                    "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"})
        env.update(settings)
        log_path = tmp_path / "bot.log"
        out = log_path.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(ROOT), env=env,
            stdout=out, stderr=asyncio.subprocess.STDOUT, preexec_fn=_stop_with_the_test_process)
        out.close()
        bot = BotProcess(proc, log_path)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is None or rep.failed:
            print(f"\n--- bot log ({bot.log_path}) ---\n{bot.tail(120)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scenarios that run the real bot process (most of a minute of real-time audio each) go
    first. `make test` runs this folder in side-by-side workers that take tests in collection
    order; a long scenario picked up last keeps one worker busy while the others sit idle.
    The sort is stable: within each kind, and within a module, the written order holds."""
    items.sort(key=lambda item: "start_bot" not in getattr(item, "fixturenames", ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
