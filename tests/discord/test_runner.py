"""`run_bot(settings)`: clear one-line answers and exit codes instead of tracebacks.

Discord is reached only through discord.py's HTTP login, which is the one thing patched here
(the network edge): it answers as Discord does for a bad token (401 → LoginFailure).
"""

from __future__ import annotations

import unittest.mock

import discord
import pytest

from bot.discord_io import runner

pytestmark = pytest.mark.usefixtures("keep_root_logging")  # the runner installs logging


def test_missing_token_exits_2_with_a_clear_message(settings, capsys) -> None:
    with unittest.mock.patch("bot.services.Services.create") as create:
        rc = runner.run_bot(settings.with_(discord_token=""))
    err = capsys.readouterr().err
    assert rc == 2
    assert "DISCORD_TOKEN is not set" in err and "Traceback" not in err
    create.assert_not_called()  # answered before loading anything


def test_rejected_token_exits_2_without_traceback(settings, capsys) -> None:
    login = unittest.mock.AsyncMock(side_effect=discord.LoginFailure("Improper token has been passed."))
    with unittest.mock.patch.object(discord.http.HTTPClient, "static_login", login), \
         unittest.mock.patch("bot.speech.stt.Transcriber.load") as load:
        rc = runner.run_bot(settings.with_(discord_token="not-a-real-token"))
    err = capsys.readouterr().err
    assert rc == 2
    assert "Discord rejected DISCORD_TOKEN" in err and "Traceback" not in err
    login.assert_awaited_once()
    load.assert_not_called()  # the model is not loaded for a token that can't log in


def test_broken_bank_exits_1_naming_the_problem(settings, tmp_path, capsys) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "coding.toml").write_text("[[question]]\nid = 'x'\n")
    rc = runner.run_bot(settings.with_(discord_token="t", bank_dir=bank))
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("Parley could not start:") and "coding.toml" in err
    assert "Traceback" not in err


def test_without_message_content_parley_says_what_it_loses_and_runs_on(settings, capsys) -> None:
    """Discord refuses the privileged Message Content intent (gateway close 4014): Parley says what
    the intent was for and runs again without it, instead of claiming it needs only two intents.
    Discord's side (login and the gateway connection) is the part patched here."""
    asked: list[discord.Intents] = []

    async def connect(self, *, reconnect: bool = True) -> None:  # the gateway, as Discord answers
        asked.append(self.intents)
        if self.intents.message_content:
            raise discord.PrivilegedIntentsRequired(None)

    with unittest.mock.patch.object(discord.Client, "login", unittest.mock.AsyncMock()), \
         unittest.mock.patch.object(discord.Client, "connect", connect), \
         unittest.mock.patch("bot.speech.stt.Transcriber.ensure_loaded", unittest.mock.AsyncMock()):
        rc = runner.run_bot(settings.with_(discord_token="not-a-real-token"))
    err = capsys.readouterr().err
    assert rc == 0
    needed = dict(guilds=True, voice_states=True, guild_messages=True)  # and nothing else
    assert [i.value for i in asked] == [discord.Intents(**needed, message_content=True).value,
                                        discord.Intents(**needed).value]
    assert "Message Content" in err and "daily question threads" in err and "Traceback" not in err
    assert "only needs Guilds and Voice States" not in err


def test_a_stuck_shutdown_is_given_up_after_the_grace_period() -> None:
    import threading

    from bot.discord_io.runner import start_shutdown_watchdog

    fired = threading.Event()
    timer = start_shutdown_watchdog(0.05, give_up=fired.set)
    assert fired.wait(2.0), "the watchdog never fired"
    assert timer.daemon  # a shutdown that finishes in time does not wait for it

