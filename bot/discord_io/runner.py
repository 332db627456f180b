"""`python -m bot run`: build the services, start `ParleyBot`, and turn start-up failures into
one clear line and an exit code instead of a traceback.

Exit codes: 0 clean shutdown, 1 start-up failure (bank, database, model, network), 2 no token or
a token Discord rejected, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import discord

from bot.config import Settings

log = logging.getLogger("bot.run")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_TOKEN = 2
EXIT_INTERRUPTED = 130
# Ctrl-C must stop the bot even when something in discord.py's shutdown waits on a peer that is gone:
# leaving voice is bounded at 2 s, and a normal stop takes well under this.
SHUTDOWN_GRACE_S = 8.0

MISSING_TOKEN = ("DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications, "
                 "copy its token, and start Parley with DISCORD_TOKEN=<token> python -m bot run "
                 "(or put it in your .env).")
# Parley's intents and why it needs each: bot/discord_io/client.py, `parley_intents`.
MESSAGE_CONTENT_REFUSED = (
    "Discord refused the Message Content intent, which Parley asks for only to read the answers members "
    "post in daily question threads. Parley carries on without it: commands, mock rounds and peer groups "
    "work, but answers posted in daily threads can't be read. To turn them on, enable \"Message Content "
    "Intent\" (Bot → Privileged Gateway Intents) in the developer portal and restart Parley.")
INTENTS_REFUSED = (
    "Discord refused Parley's gateway intents even without Message Content. Parley needs Guilds, Voice "
    "States and Guild Messages (none of them privileged); check the application's settings in the "
    "developer portal.")
REJECTED_TOKEN = ("Discord rejected DISCORD_TOKEN (login failed). Check that it is the bot's current "
                  "token (Bot → Reset Token in the developer portal) with no quotes or spaces around it.")


def setup_logging(settings: Settings) -> None:
    """The bot process's logging: one redacting handler on stderr (bot.logging_setup) at
    PARLEY_LOG_LEVEL, replacing the CLI's plain stderr handler so lines are not doubled."""
    from bot.logging_setup import setup_logging as install

    root = logging.getLogger()
    for h in list(root.handlers):
        if type(h) is logging.StreamHandler and not getattr(h, "_parley", False):
            root.removeHandler(h)
    install(settings)
    logging.getLogger("discord.ext.voice_recv").setLevel(max(root.level, logging.WARNING))


def _say(line: str) -> None:
    """One line for the person who started the bot (the CLI's own output, not a log record)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def run_bot(settings: Settings) -> int:
    """Run the bot until it is stopped; returns the process exit code."""
    setup_logging(settings)
    token = (settings.discord_token or "").strip()
    if not token:
        _say(MISSING_TOKEN)
        return EXIT_BAD_TOKEN
    from bot.discord_io.endpoint import apply_from_env
    try:
        # PARLEY_DISCORD_API_BASE / PARLEY_DISCORD_GATEWAY_URL: only set to reach the local
        # Discord stand-in of the end-to-end tests; unset, discord.py talks to Discord.
        apply_from_env()
    except ValueError as e:
        _say(str(e))
        return EXIT_FAILED
    try:
        return asyncio.run(_main(settings, token))
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("Parley stopped (interrupted).")
        return EXIT_INTERRUPTED


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and `docker stop` (SIGTERM) close the bot cleanly: the main task is cancelled,
    so it leaves voice and closes the database. Installed explicitly, so it also works when the
    process was started with SIGINT ignored (as a shell does for background jobs)."""
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, task.cancel)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            return


async def _main(settings: Settings, token: str) -> int:
    _stop_on_signals()
    # Imported here so that `python -m bot run` without a token answers at once, without
    # loading the model and the bank first.
    from bot.discord_io.client import make_bot
    from bot.services import Services

    try:
        services = await Services.create(settings, load_model=False)
    except Exception as e:  # BankError, sqlite errors: their messages name the problem
        log.debug("start-up failed", exc_info=True)
        _say(f"Parley could not start: {e}")
        return EXIT_FAILED
    try:
        for message_content in (True, False):
            try:
                return await _run_once(make_bot(services, message_content=message_content), token)
            except discord.PrivilegedIntentsRequired:
                if not message_content:
                    _say(INTENTS_REFUSED)
                    return EXIT_FAILED
                _say(MESSAGE_CONTENT_REFUSED)  # and run again without it
        return EXIT_FAILED
    except discord.LoginFailure:
        _say(REJECTED_TOKEN)
        return EXIT_BAD_TOKEN
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as e:
        _say(f"Parley lost its connection to Discord: {e}")
        return EXIT_FAILED
    finally:
        await services.close()


def start_shutdown_watchdog(grace_s: float = SHUTDOWN_GRACE_S,
                            give_up: Callable[[], None] | None = None) -> threading.Timer:
    """After `grace_s`, if the process is still shutting down, log it with every thread's stack and exit."""
    def _give_up() -> None:
        log.error("shutdown still not finished after %.0f s; exiting now (thread stacks follow)", grace_s)
        faulthandler.dump_traceback(all_threads=True)
        os._exit(EXIT_INTERRUPTED)

    timer = threading.Timer(grace_s, give_up or _give_up)
    timer.daemon = True  # a shutdown that finishes in time exits without waiting for it
    timer.start()
    return timer


async def _run_once(bot: Any, token: str) -> int:
    """Log in, load the model, stay connected until stopped; raises what discord.py raises."""
    from bot.discord_io.endpoint import discover_gateway

    async with bot:
        # Log in first: a wrong token is reported in a second, not after loading the model.
        await bot.login(token)
        await discover_gateway(bot.http)  # only does something when pointed at a stand-in
        try:
            await bot.services.transcriber.ensure_loaded()
        except Exception as e:  # ModelNotFound and friends
            log.debug("model load failed", exc_info=True)
            _say(f"Parley could not load its speech-to-text model: {e}")
            return EXIT_FAILED
        log.info("logged in; connecting to the gateway")
        try:
            await bot.connect()
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task; close runs next
            start_shutdown_watchdog()
            raise
    return EXIT_OK
