"""Where discord.py connects: Discord itself by default, or a stand-in named by settings.

The end-to-end tests run the real bot against a local Discord stand-in on loopback
(tests/e2e/standin). Two environment variables point the bot at it; when neither is
set nothing changes and discord.py talks to discord.com as usual:

- ``PARLEY_DISCORD_API_BASE``: the REST base URL, e.g. ``http://127.0.0.1:8123/api/v10``.
- ``PARLEY_DISCORD_GATEWAY_URL``: the gateway websocket URL, e.g. ``ws://127.0.0.1:8123/gateway``.
  discord.py 2.x (unsharded) connects to its built-in default gateway instead of asking
  ``GET /gateway/bot``, so the gateway needs its own setting. When only the API base is
  given, the gateway URL is fetched from ``GET {api_base}/gateway/bot`` (as Discord's
  documentation tells clients to do) by `discover_gateway`.

The voice endpoint needs nothing here: it arrives in VOICE_SERVER_UPDATE.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)

API_BASE_ENV = "PARLEY_DISCORD_API_BASE"
GATEWAY_URL_ENV = "PARLEY_DISCORD_GATEWAY_URL"


def apply_api_base(url: str | None, gateway_url: str | None = None) -> None:
    """Point discord.py's REST calls at `url` (and the gateway at `gateway_url`).

    ``None`` or an empty string leaves discord.py's defaults untouched.
    """
    if url:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{API_BASE_ENV} must be an http(s) URL, got {url!r}")
        Route.BASE = url.rstrip("/")
        log.warning("Discord REST calls go to %s (not discord.com)", Route.BASE)
    if gateway_url:
        if not gateway_url.startswith(("ws://", "wss://")):
            raise ValueError(f"{GATEWAY_URL_ENV} must be a ws(s) URL, got {gateway_url!r}")
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        log.warning("Discord gateway is %s (not gateway.discord.gg)", gateway_url)


def apply_from_env(env: Mapping[str, str] | None = None) -> bool:
    """Apply both variables from `env` (default: the process environment); True when any was set."""
    env = os.environ if env is None else env
    base = env.get(API_BASE_ENV) or None
    gateway = env.get(GATEWAY_URL_ENV) or None
    apply_api_base(base, gateway)
    return bool(base or gateway)


async def discover_gateway(http: object) -> None:
    """Ask ``GET /gateway/bot`` for the gateway URL when only the REST base was redirected.

    Call after login (the HTTP session exists) and before connecting; harmless otherwise.
    `http` is the client's ``discord.http.HTTPClient``.
    """
    if Route.BASE.startswith("https://discord.com"):
        return
    if str(DiscordWebSocket.DEFAULT_GATEWAY) != "wss://gateway.discord.gg/":
        return
    _, url, _ = await http.get_bot_gateway()  # type: ignore[attr-defined]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    log.warning("Discord gateway discovered at %s", url)
