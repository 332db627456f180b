"""A local Discord stand-in on 127.0.0.1 for end-to-end tests of the real bot process.

It implements the network peer only, from Discord's developer documentation: the HTTP
API (rest.py), the Gateway v10 (gateway.py) and the voice server (voice.py: voice gateway
v8 over TLS plus UDP/RTP, with DAVE v1 end-to-end encryption by default, dave.py: the
voice server's MLS external-sender role, ops 21-31, and each simulated member a real davey
session). It never imports or calls the bot.

    async with DiscordStandIn(tmp_path) as discord:
        env = discord.bot_env()             # point `python -m bot run` here
        ...                                 # start the bot, then drive it:
        await discord.gateway.slash_command(member, "mock", "start")
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from .events import EventLog
from .gateway import Gateway
from .rest import RestApi, StoredMessage
from .tls import Certificates, make_certificates
from .voice import VoiceServer
from .world import User, World

__all__ = ["DiscordStandIn", "StoredMessage", "User", "World"]

log = logging.getLogger("standin")


class DiscordStandIn:
    def __init__(self, workdir: Path, world: World | None = None) -> None:
        self.workdir = workdir
        self.world = world or World()
        self.events = EventLog()
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> interaction record
        self.rest = RestApi(self)
        self.gateway = Gateway(self)
        self.voice = VoiceServer(self)
        self.certs: Certificates | None = None
        self.port = 0
        self._runners: list[web.AppRunner] = []

    # --- addresses --------------------------------------------------------------------
    @property
    def api_root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.api_root}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def bot_env(self) -> dict[str, str]:
        """Environment variables that point a bot process at this stand-in."""
        assert self.certs is not None, "start the stand-in first"
        return {
            "DISCORD_TOKEN": self.world.token,
            "PARLEY_DISCORD_API_BASE": self.api_base,
            "PARLEY_DISCORD_GATEWAY_URL": self.gateway_url,
            "SSL_CERT_FILE": str(self.certs.ca_file),
        }

    # --- lifecycle --------------------------------------------------------------------
    async def start(self) -> DiscordStandIn:
        self.certs = await asyncio.to_thread(make_certificates, self.workdir / "tls")
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self.rest.middleware])
        self.gateway.add_routes(app)
        self.rest.add_routes(app)
        self.port = await self._serve(app, None)

        voice_app = web.Application()
        self.voice.add_routes(voice_app)
        self.voice.ws_port = await self._serve(voice_app, self.certs.server_context())
        await self.voice.start_udp()
        log.info("stand-in: api %s, gateway %s, voice wss://%s, udp %d",
                 self.api_base, self.gateway_url, self.voice.endpoint, self.voice.udp_port)
        return self

    async def _serve(self, app: web.Application, ssl_context: Any) -> int:
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    async def stop(self) -> None:
        await self.voice.close()
        if self.gateway.conn is not None:
            await self.gateway.conn.ws.close(code=1001)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- conveniences for tests -------------------------------------------------------
    def describe(self) -> str:
        """What happened, for a failing test's output: requests, messages, voice counters."""
        t0 = self.events.events[0].at if self.events.events else 0.0
        beats = [f"{e.at - t0:.1f}" for e in self.events.events if e.kind == "gateway_heartbeat"]
        lines = [f"gateway heartbeats at: {', '.join(beats)}"]
        for e in self.events.events:
            if e.kind in ("gateway_heartbeat", "voice_heartbeat"):
                continue
            d = e.data
            if e.kind == "request":
                detail = f"{d['method']} {d['path']}"
            elif e.kind in ("message_create", "message_update", "message_delete"):
                detail = f"#{d.id} {d.text()[:160]!r} buttons={[b.get('label') for b in d.buttons()]}"
            elif e.kind == "interaction_response":
                detail = f"type {d['type']} for interaction {d['interaction']['id']}"
            else:
                detail = repr(d)[:200]
            lines.append(f"{e.at - t0:8.2f} {e.kind}: {detail}")
        lines.append(f"udp: {self.voice.udp_counts}")
        lines.append(f"dave: bot frames {self.voice.dave_counts}; group {self.voice.dave.counts}")
        return "\n".join(lines)

    def messages(self) -> list[StoredMessage]:
        return list(self.rest.messages.values())

    async def wait_message(self, pred, *, timeout: float, what: str = "a message", after: float = 0.0
                           ) -> StoredMessage:
        """The first message created or edited (at or after `after`) that satisfies `pred`."""
        async def any_kind() -> StoredMessage:
            create = asyncio.ensure_future(self.events.wait_for("message_create", pred, timeout=timeout,
                                                                after=after, what=what))
            update = asyncio.ensure_future(self.events.wait_for("message_update", pred, timeout=timeout,
                                                                after=after, what=what))
            done, pending = await asyncio.wait({create, update}, return_when=asyncio.FIRST_COMPLETED)
            for p in pending:
                p.cancel()
            first = done.pop()
            return first.result().data

        return await any_kind()
