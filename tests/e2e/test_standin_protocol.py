"""The stand-in speaks enough Discord for a plain, unmodified discord.py client.

These tests prove the stand-in itself (before the bot uses it): login, gateway
READY/GUILD_CREATE, command sync, slash commands and buttons through REST callbacks,
and voice both ways: the client's RTP is decrypted and opus-decoded by the stand-in, and
a member's RTP from the stand-in arrives in voice-recv attributed to that member.
"""

from __future__ import annotations

import asyncio
import io
import threading

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import voice_recv

from bot.discord_io import endpoint
from bot.discord_io.voice_receive import AnswerSink
from tests.e2e.standin import DiscordStandIn, World
from tests.e2e.standin.audio import dominant_frequency, pcm48_stereo, pcm_to_mono, tone

pytestmark = pytest.mark.e2e

T = 20.0  # seconds: the bound on every wait in this file


@pytest.fixture
def world() -> World:
    w = World()
    w.add_member("alice", in_voice=True)
    return w


@pytest.fixture
def pointed_at(standin: DiscordStandIn):
    """discord.py's REST base and gateway point at the stand-in for the test, then back."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    endpoint.apply_api_base(standin.api_base, standin.gateway_url)
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


class PlainClient(discord.Client):
    """A bare discord.py client with one slash command that answers with a button."""

    def __init__(self, standin: DiscordStandIn) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        # the voice websocket is wss://: trust the stand-in's CA through a public discord.py option
        assert standin.certs is not None
        super().__init__(intents=intents,
                         connector=aiohttp.TCPConnector(ssl=standin.certs.client_context()))
        self.tree = app_commands.CommandTree(self)
        self.clicked: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        client = self

        class Buttons(discord.ui.View):
            @discord.ui.button(label="Done", custom_id="demo:done")
            async def done(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
                button.disabled = True
                await interaction.response.edit_message(content="finished", view=self)
                if not client.clicked.done():
                    client.clicked.set_result(str(interaction.user.id))

        @self.tree.command(name="ping", description="answers with a button")
        async def ping(interaction: discord.Interaction, word: str) -> None:
            voice = interaction.user.voice  # type: ignore[union-attr]
            where = voice.channel.name if voice and voice.channel else "nowhere"
            await interaction.response.send_message(f"pong {word} from {where}", view=Buttons(timeout=T))
            await interaction.followup.send("a followup", ephemeral=True,
                                            file=discord.File(io.BytesIO(b"transcript text"), "t.txt"))

    async def setup_hook(self) -> None:
        await self.tree.sync()


async def _start(client: PlainClient, standin: DiscordStandIn) -> asyncio.Task:
    task = asyncio.create_task(client.start(standin.world.token))
    ready = asyncio.ensure_future(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=T, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task in done:
            task.result()  # raises what stopped the client
        raise TimeoutError("the client did not become ready")
    return task


async def _shutdown(client: PlainClient, task: asyncio.Task) -> None:
    await client.close()
    await asyncio.wait_for(task, T)


async def test_client_logs_in_gets_guild_and_syncs_commands(standin: DiscordStandIn, pointed_at) -> None:
    client = PlainClient(standin)
    task = await _start(client, standin)
    try:
        guild = client.get_guild(standin.world.guild_id)
        assert guild is not None and guild.me is not None
        alice = standin.world.members[0]
        member = guild.get_member(alice.id)
        assert member is not None and member.voice is not None
        assert member.voice.channel.id == standin.world.voice_channel_id
        perms = guild.get_channel(standin.world.voice_channel_id).permissions_for(guild.me)
        assert perms.connect and perms.speak
        assert [c["name"] for c in standin.rest.commands.values()] == ["ping"]
        assert standin.events.find("gateway_heartbeat"), "the client heartbeats and gets ACKs"
        assert not standin.events.find("unhandled_request")
    finally:
        await _shutdown(client, task)


async def test_slash_command_and_button_round_trip(standin: DiscordStandIn, pointed_at) -> None:
    client = PlainClient(standin)
    task = await _start(client, standin)
    try:
        alice = standin.world.members[0]
        await standin.gateway.slash_command(alice, "ping", options={"word": "hello"})
        reply = await standin.wait_message(lambda m: bool(m.buttons()), timeout=T, what="the reply with a button")
        assert reply.content == "pong hello from Interview room"
        followup = await standin.wait_message(lambda m: m.ephemeral, timeout=T, what="the ephemeral followup")
        assert followup.files[0].filename == "t.txt" and followup.files[0].data == b"transcript text"
        assert "transcript text" in followup.text()

        await standin.gateway.click(alice, reply, "demo:done")
        assert await asyncio.wait_for(client.clicked, T) == str(alice.id)
        edited = await standin.wait_message(lambda m: m.id == reply.id and m.content == "finished",
                                            timeout=T, what="the edited reply")
        assert edited.buttons()[0]["disabled"] is True
        assert not standin.events.find("unhandled_request")
    finally:
        await _shutdown(client, task)


async def test_voice_both_ways_with_dave(standin: DiscordStandIn, pointed_at) -> None:
    """Voice gateway v8 with DAVE v1 (as Discord requires): discord.py's own handlers join the MLS
    group the stand-in runs, its speech reaches the stand-in DAVE-encrypted and is decrypted
    through alice's session, and alice's DAVE-encrypted speech decrypts in the client."""
    client = PlainClient(standin)
    task = await _start(client, standin)
    loop = asyncio.get_running_loop()
    try:
        alice = standin.world.members[0]
        channel = client.get_channel(standin.world.voice_channel_id)
        vc = await channel.connect(cls=voice_recv.VoiceRecvClient, timeout=T)
        assert vc.mode == "aead_xchacha20_poly1305_rtpsize"
        assert standin.voice.sessions[standin.world.bot.id].client_addr is not None
        bot_id = standin.world.bot.id
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T,
                                      what="the client in the call's MLS group")
        assert vc._connection.dave_protocol_version == 1 and vc._connection.can_encrypt
        # alice was alone: the client committed (op 27 → 28), the stand-in announced it (op 29)
        assert standin.events.find("dave_proposals", lambda d: d["to"] == bot_id and d["adds"] == [alice.id])
        assert standin.voice.dave.counts["rejected_commits"] == 0

        heard = bytearray()
        lock = threading.Lock()
        got_enough = asyncio.Event()

        def on_pcm(pcm: bytes, at: float) -> None:  # runs in voice-recv's thread
            with lock:
                heard.extend(pcm)
                if len(heard) >= 48000 * 4 * 0.6:
                    loop.call_soon_threadsafe(got_enough.set)

        sink = AnswerSink(alice.id, on_pcm)
        vc.listen(sink)

        # the client speaks a 440 Hz tone; the stand-in decrypts (DAVE, then transport) and decodes it
        played = loop.create_future()
        source = discord.PCMAudio(io.BytesIO(pcm48_stereo(tone(440, 1.0), 48000)))
        vc.play(source, after=lambda err: loop.call_soon_threadsafe(played.set_result, err))
        # meanwhile alice "speaks" a 660 Hz tone to the client
        counts = await asyncio.wait_for(standin.voice.play(alice, pcm48_stereo(tone(660, 1.0), 48000)), T)
        assert counts["sent"] >= 49
        assert await asyncio.wait_for(played, T) is None
        await asyncio.wait_for(got_enough.wait(), T)

        (start, end, said), = standin.voice.bot_utterances()
        assert 0.8 <= len(said) / 48000 <= 1.2
        assert abs(dominant_frequency(said) - 440) < 10
        assert standin.voice.udp_counts["decrypt_failed"] == 0
        dc = standin.voice.dave_counts
        assert dc["decrypted"] >= 49 and dc["plain_while_dave"] == 0 and dc["failed"] == 0, dc
        speaking = [e.data["speaking"] for e in standin.events.find("bot_speaking")]
        assert 1 in speaking and speaking[-1] == 0, "SPEAKING on before audio, off after"

        with lock:
            alice_pcm = bytes(heard)
        assert abs(dominant_frequency(pcm_to_mono(alice_pcm)[4800:28800]) - 660) < 10
        assert sink.stats.dave_decrypted >= 30 and sink.stats.dave_failed == 0, sink.stats
        assert sink.stats.unknown_ssrc == 0 and sink.stats.other_user == 0, "attributed to alice's SSRC"

        await vc.disconnect()
        left = await standin.events.wait_for("voice_state_request", lambda d: d["channel_id"] is None,
                                             timeout=T, what="the leave request")
        assert int(left.data["guild_id"]) == standin.world.guild_id
    finally:
        await _shutdown(client, task)


async def test_a_voice_server_move_makes_the_client_identify_again_and_rejoin_the_group(
        standin: DiscordStandIn, pointed_at) -> None:
    """VOICE_SERVER_UPDATE mid-call: discord.py closes its voice websocket (4014), identifies with
    the new token, gets a new SSRC and key, and is added back to the MLS group (its old leaf
    removed); alice's speech decrypts in the client again afterwards."""
    import time

    client = PlainClient(standin)
    task = await _start(client, standin)
    loop = asyncio.get_running_loop()
    try:
        alice = standin.world.members[0]
        bot_id = standin.world.bot.id
        vc = await client.get_channel(standin.world.voice_channel_id).connect(cls=voice_recv.VoiceRecvClient,
                                                                               timeout=T)
        got = asyncio.Event()
        sink = AnswerSink(alice.id, lambda pcm, at: loop.call_soon_threadsafe(got.set))
        vc.listen(sink)
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T)
        first_ssrc = standin.voice.sessions[bot_id].ssrc
        t = time.monotonic()
        await standin.gateway.move_voice_server()
        await standin.events.wait_for("voice_ready", lambda d: d["user_id"] == bot_id, timeout=T, after=t,
                                      what="the client's new voice session")
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T, after=t,
                                      what="the client back in the MLS group")
        assert standin.voice.sessions[bot_id].ssrc != first_ssrc
        assert standin.events.find("dave_commit", lambda d: d["removes"] and d["adds"] == [], after=t)
        assert vc.is_connected() and vc._connection.dave_session.ready
        await asyncio.wait_for(standin.voice.play(alice, pcm48_stereo(tone(660, 0.5), 48000)), T)
        await asyncio.wait_for(got.wait(), T)
        assert sink.stats.dave_decrypted > 0 and sink.stats.dave_failed == 0, sink.stats
        await vc.disconnect()
    finally:
        await _shutdown(client, task)


async def test_voice_close_4015_is_resumed_with_op_7(standin: DiscordStandIn, pointed_at) -> None:
    """Voice close 4015 ("voice server crashed, try resuming"): with bot.discord_io.voice_fixes the
    client opens a new voice websocket and sends op 7 RESUME (no new gateway voice state, no new
    IDENTIFY); the stand-in answers op 9 RESUMED and replays what the client missed; the SSRC, the
    keys and the MLS group are kept and alice's speech still decrypts."""
    import time

    from bot.discord_io import voice_fixes

    voice_fixes.install()
    client = PlainClient(standin)
    task = await _start(client, standin)
    loop = asyncio.get_running_loop()
    try:
        alice = standin.world.members[0]
        bot_id = standin.world.bot.id
        vc = await client.get_channel(standin.world.voice_channel_id).connect(cls=voice_recv.VoiceRecvClient,
                                                                               timeout=T)
        got = asyncio.Event()
        sink = AnswerSink(alice.id, lambda pcm, at: loop.call_soon_threadsafe(got.set))
        vc.listen(sink)
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T)
        ssrc = standin.voice.sessions[bot_id].ssrc
        t = time.monotonic()
        await standin.voice.crash(bot_id)
        resumed = await standin.events.wait_for("voice_resume", lambda d: d["user_id"] == bot_id, timeout=T,
                                                after=t, what="the client's RESUME (op 7)")
        assert resumed.data["seq_ack"] >= 1
        await vc._connection.wait_async(T)  # op 9 RESUMED processed: connected again
        assert not standin.events.find("voice_identify", after=t), "resumed, not identified again"
        assert not standin.events.find("voice_state_request", after=t), "no new gateway voice state"
        assert standin.voice.sessions[bot_id].ssrc == ssrc and vc.is_connected()
        assert vc._connection.dave_session.ready
        await asyncio.wait_for(standin.voice.play(alice, pcm48_stereo(tone(660, 0.5), 48000)), T)
        await asyncio.wait_for(got.wait(), T)
        assert sink.stats.dave_decrypted > 0 and sink.stats.dave_failed == 0, sink.stats
        # the new websocket is the live one: the client heartbeats on it
        await standin.events.wait_for("voice_heartbeat", timeout=T, after=resumed.at,
                                      what="a heartbeat on the resumed websocket")
        await vc.disconnect()
    finally:
        await _shutdown(client, task)


async def test_a_refused_voice_resume_falls_back_to_a_full_reconnect(standin: DiscordStandIn, pointed_at) -> None:
    """4015, but the session did not survive: the RESUME is closed with 4006 and the client
    connects again from scratch (gateway voice state, IDENTIFY, a new SSRC, back into the MLS
    group), and alice's speech decrypts in it. Without the socket reader's wake-up in
    voice_fixes, the new UDP socket went unread and IP discovery timed out."""
    import time

    from bot.discord_io import voice_fixes

    voice_fixes.install()
    client = PlainClient(standin)
    task = await _start(client, standin)
    loop = asyncio.get_running_loop()
    try:
        alice = standin.world.members[0]
        bot_id = standin.world.bot.id
        vc = await client.get_channel(standin.world.voice_channel_id).connect(cls=voice_recv.VoiceRecvClient,
                                                                               timeout=T)
        got = asyncio.Event()
        sink = AnswerSink(alice.id, lambda pcm, at: loop.call_soon_threadsafe(got.set))
        vc.listen(sink)
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T)
        ssrc = standin.voice.sessions[bot_id].ssrc
        t = time.monotonic()
        await standin.voice.crash(bot_id, keep=False)
        await standin.events.wait_for("voice_resume_refused", timeout=T, after=t, what="the refused RESUME")
        ready = await standin.events.wait_for("voice_ready", lambda d: d["user_id"] == bot_id, timeout=T,
                                              after=t, what="a new voice session")
        await standin.events.wait_for("dave_execute", lambda d: bot_id in d["members"], timeout=T, after=t,
                                      what="the client back in the MLS group")
        assert ready.at - t < 5.0, f"the reconnect took {ready.at - t:.1f} s"
        assert standin.voice.sessions[bot_id].ssrc != ssrc
        await vc._connection.wait_async(T)
        await asyncio.wait_for(standin.voice.play(alice, pcm48_stereo(tone(660, 0.5), 48000)), T)
        await asyncio.wait_for(got.wait(), T)
        assert sink.stats.dave_decrypted > 0, sink.stats
        await vc.disconnect()
    finally:
        await _shutdown(client, task)


async def test_a_client_without_dave_is_refused_with_4017(standin: DiscordStandIn) -> None:
    """IDENTIFY without max_dave_protocol_version: the voice server closes with 4017, as Discord."""
    world = standin.world
    standin.voice.expect(world.bot.id, "sess", "tok")
    assert standin.certs is not None
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=standin.certs.client_context())) as http:
        async with http.ws_connect(f"wss://{standin.voice.endpoint}/?v=8") as ws:
            hello = await ws.receive_json(timeout=T)
            assert hello["op"] == 8
            await ws.send_json({"op": 0, "d": {"server_id": str(world.guild_id), "user_id": str(world.bot.id),
                                               "session_id": "sess", "token": "tok"}})
            msg = await ws.receive(timeout=T)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 4017


async def test_a_rate_limited_edit_waits_retry_after_and_lands(standin: DiscordStandIn, pointed_at) -> None:
    """REST 429 with retry_after on message edits, as Discord answers an exhausted bucket:
    discord.py waits and retries; the edit lands once, after the waits."""
    import time

    client = PlainClient(standin)
    task = await _start(client, standin)
    try:
        channel = client.get_channel(standin.world.text_channel_id)
        msg = await channel.send("timer 0:30")
        standin.rest.rate_limit("PATCH", r"/channels/\d+/messages/\d+$", times=2, retry_after=0.4)
        t0 = time.monotonic()
        await asyncio.wait_for(msg.edit(content="timer 0:29"), T)
        took = time.monotonic() - t0
        assert len(standin.events.find("rate_limited")) == 2
        assert took >= 0.75, f"the client retried after {took:.2f} s, before retry_after"
        assert standin.rest.messages[msg.id].content == "timer 0:29"
        assert len(standin.events.find("message_update", lambda m: m.id == msg.id)) == 1
    finally:
        await _shutdown(client, task)


async def test_a_fresh_process_trusts_the_voice_tls_through_ssl_cert_file(standin: DiscordStandIn) -> None:
    """How the bot process reaches wss:// voice: aiohttp's default context honours SSL_CERT_FILE."""
    import os
    import sys

    script = (
        "import asyncio, aiohttp, sys\n"
        "async def main():\n"
        "    async with aiohttp.ClientSession() as s:\n"
        "        async with s.ws_connect(sys.argv[1]) as ws:\n"
        "            print((await ws.receive(timeout=10)).data)\n"
        "asyncio.run(main())\n"
    )
    env = dict(os.environ, SSL_CERT_FILE=standin.bot_env()["SSL_CERT_FILE"])
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, f"wss://{standin.voice.endpoint}/?v=8", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), T)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert '"op": 8' in out.decode(), "the voice server's HELLO arrived over verified TLS"

    # and without it the certificate is refused (the check above is a real verification)
    env.pop("SSL_CERT_FILE")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, f"wss://{standin.voice.endpoint}/?v=8", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), T)
    assert proc.returncode != 0 and b"CERTIFICATE_VERIFY_FAILED" in err
