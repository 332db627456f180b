"""The Discord side of a peer practice group: each member's voice, the group's messages and speech.

`GroupSink` decodes every member's own voice stream (one `AnswerSink` each) and hands the PCM to
the session; `GroupRun` connects to voice, posts and refreshes the group's messages, speaks the
questions (and pushback challenges, unless the member in the interviewer's seat asks them from a
private card), turns the session's events into embeds and buttons, and closes everything when the
group ends. It owns no group logic: turns, timers and scores live in
`bot.practice.group.GroupSession`, who may press what in `bot.practice.group.checks`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import discord
from discord.ext import voice_recv

from bot.clock import Now
from bot.discord_io.audio_source import play_pcm
from bot.discord_io.consent_view import ensure_consent
from bot.discord_io.group_embeds import (
    CONSENT,
    challenge_card_embed,
    feedback_embed,
    lobby_embed,
    member_name,
    pushback_embed,
    question_card_embed,
    summary_embed,
    turn_embed,
)
from bot.discord_io.group_views import AnswerModal, ChallengeView, LobbyView, RateButtonView, RatingModal, TurnView
from bot.discord_io.member_views import disable_view
from bot.discord_io.replies import send_private
from bot.discord_io.voice_receive import AnswerSink
from bot.practice.group import (
    AnswerAnalyzed,
    AnswerEnded,
    ChallengeAsked,
    ChallengeCard,
    ChallengeJudged,
    GroupEnded,
    GroupError,
    GroupSession,
    MemberErased,
    MemberJoined,
    MemberLeft,
    Phase,
    QuestionCard,
    RatingClosed,
    RatingOpened,
    TimeWarning,
    TurnStarted,
    io_listener,
)
from bot.practice.group.checks import (
    card_refusal,
    challenge_card_refusal,
    done_refusal,
    rating_refusal,
    rating_seconds_left,
)
from bot.practice.rounds_registry import Claim, VoiceSlots
from bot.speech.audio_format import PCM_BYTES_PER_SECOND
from bot.text_safety import safe_excerpt

log = logging.getLogger(__name__)

NOT_JOINED = ("You haven't joined the group: I only listen to members who accepted the privacy notice. "
              "Press **Join** again whenever you're ready.")


class GroupSink(voice_recv.AudioSink):
    """Every member's own voice, decoded separately: one `AnswerSink` (DAVE + opus) per member.

    `on_pcm(user_id, pcm48, at)` runs on voice-recv's router thread (`at`: when the frame ended on
    `clock`, by its RTP timestamp). Non-members are never decoded.
    """

    def __init__(self, on_pcm: Callable[[int, bytes, float], None],
                 on_undecryptable: Callable[[int, str], None] | None = None,
                 on_recovered: Callable[[int], None] | None = None, *, clock: Now = time.monotonic) -> None:
        super().__init__()
        self._on_pcm = on_pcm
        self._clock = clock
        self._on_undecryptable = on_undecryptable
        self._on_recovered = on_recovered
        self._members: dict[int, AnswerSink] = {}
        self._lock = threading.Lock()

    def wants_opus(self) -> bool:
        return True  # each member's AnswerSink decrypts and decodes

    def add(self, user_id: int) -> None:
        with self._lock:
            if user_id in self._members:
                return
            undecryptable = (functools.partial(self._on_undecryptable, user_id)
                             if self._on_undecryptable else None)
            recovered = (functools.partial(self._on_recovered, user_id)
                         if self._on_recovered else None)
            sink = AnswerSink(user_id, functools.partial(self._on_pcm, user_id), on_undecryptable=undecryptable,
                              on_recovered=recovered, clock=self._clock)
            sink._parent = self  # nest it the way voice-recv's MultiAudioSink does, for `voice_client`
            self._members[user_id] = sink

    def remove(self, user_id: int) -> None:
        with self._lock:
            sink = self._members.pop(user_id, None)
        if sink is not None:
            sink.cleanup()

    @property
    def member_ids(self) -> list[int]:
        with self._lock:
            return list(self._members)

    def _sinks(self) -> list[AnswerSink]:
        """The members' sinks now (a copy: the router thread must not hold the lock while decoding)."""
        with self._lock:
            return list(self._members.values())

    def write(self, user: Any, data: voice_recv.VoiceData) -> None:
        for s in self._sinks():  # AnswerSink.write never raises into the router thread
            s.write(user, data)

    @voice_recv.AudioSink.listener()
    def on_voice_member_disconnect(self, member: discord.Member | None, ssrc: int | None) -> None:
        for s in self._sinks():
            s.on_voice_member_disconnect(member, ssrc)

    def cleanup(self) -> None:
        for s in self._sinks():
            s.cleanup()


class GroupRun:
    """The Discord side of one group: voice connection, messages, speech; owns no group logic."""

    def __init__(self, services: Any, registry: VoiceSlots, claim: Claim, guild: discord.Guild,
                 voice_channel: Any, text_channel: Any, session: GroupSession,
                 on_closed: Callable[[GroupRun], None] | None = None) -> None:
        """`services`: the bot's `Services` (consent store, speaker); `on_closed` runs once the group
        has closed and released its slot in `registry` (the cog forgets the run there)."""
        self.services = services
        self.registry = registry
        self.on_closed = on_closed
        self.claim = claim
        self.guild = guild
        self.voice_channel = voice_channel
        self.text_channel = text_channel
        self.session = session
        session.listener = io_listener(self)  # the session calls the GroupIO methods below
        self.vc: Any = None
        self.sink: GroupSink | None = None
        self.lobby_view = LobbyView(self)
        self.lobby_message: Any = None
        self._lobby_dirty = False
        self._lobby_editor: asyncio.Task[None] | None = None
        self.turn_views: dict[int, tuple[TurnView, Any]] = {}
        # member id -> the group's messages that name them (their turn, feedback, rating prompt),
        # deleted if they erase their data while the group runs
        self.posted_about: dict[int, list[Any]] = {}
        self.rate_views: dict[int, tuple[RateButtonView, Any]] = {}
        self.rating_modals: dict[int, list[RatingModal]] = {}  # turn number -> rating modals shown to raters
        self.answer_boxes: set[AnswerModal] = set()  # typed-answer modals shown and not submitted
        self.timer_task: asyncio.Task[None] | None = None
        # (what to say, the turn it opens or challenges, "question" | "challenge" | "info")
        self._speech: asyncio.Queue[tuple[str, int | None, str]] = asyncio.Queue()
        self._speech_task: asyncio.Task[None] | None = None
        self._closing = False
        self._reconnecting = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.spoken: list[str] = []  # what was said aloud, in order
        self._spoken_cond = asyncio.Condition()

    # ------------------------------------------------------------ voice
    async def connect(self) -> None:
        self._loop = asyncio.get_running_loop()
        vc = await self.voice_channel.connect(cls=voice_recv.VoiceRecvClient, self_deaf=False)
        self.attach(vc)
        self._speech_task = asyncio.create_task(self._speak_loop())

    def attach(self, vc: Any) -> None:
        """(Re)attach a voice client: listen to every member's own stream."""
        self.vc = vc
        self.sink = GroupSink(self._on_pcm, self._on_undecryptable, self._on_recovered, clock=self.session.clock.now)
        for m in self.session.active_members:
            self.sink.add(m.user_id)
        vc.listen(self.sink)

    def _on_pcm(self, user_id: int, pcm: bytes, ended_at: float) -> None:  # router thread
        # the session takes when the frame began; `ended_at` comes from its RTP timestamp
        self.session.feed_audio(user_id, pcm, ended_at - len(pcm) / PCM_BYTES_PER_SECOND)

    def _on_undecryptable(self, user_id: int, reason: str) -> None:  # router thread
        member = self.session.members.get(user_id)
        who = member_name(member.name) if member is not None else "a member"
        text = f"I can't decode {who}'s voice right now. On your turn, use **Type answer** instead."
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._post(text)))

    def _on_recovered(self, user_id: int) -> None:  # router thread
        member = self.session.members.get(user_id)
        who = member_name(member.name) if member is not None else "a member"
        text = f"I can hear {who} again: speaking works as before."
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._post(text)))

    async def _speak_loop(self) -> None:
        while True:
            text, turn_number, kind = await self._speech.get()
            # a challenge: speech from when its playback begins talks over it
            on_start = functools.partial(self.session.challenge_playing, turn_number) \
                if kind == "challenge" and turn_number is not None else None
            for attempt in (1, 2):  # one retry: a failed synthesis is usually a passing hiccup
                try:
                    if await self._play(text, on_start):
                        async with self._spoken_cond:
                            self.spoken.append(text)
                            self._spoken_cond.notify_all()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("group %s: could not speak (try %d)", self.session.session_id, attempt,
                                exc_info=True)
            turn = self.session.current
            if kind == "challenge" and turn_number is not None:
                self.session.challenge_delivered(turn_number)  # the reply's clock starts after the challenge
            elif turn_number is not None and turn is not None and turn.number == turn_number:
                self.session.question_delivered()  # the answer's clock starts after the question

    async def wait_spoken(self, n: int) -> list[str]:
        """Until `n` lines have been spoken in the channel."""
        async with self._spoken_cond:
            await self._spoken_cond.wait_for(lambda: len(self.spoken) >= n)
            return list(self.spoken)

    async def _play(self, text: str, on_start: Callable[[], None] | None = None) -> bool:
        vc = self.vc
        if vc is None or not vc.is_connected():
            return False
        pcm = await self.services.speaker.render_pcm48(text)
        if on_start is not None:
            on_start()
        try:
            await asyncio.wait_for(play_pcm(vc, pcm), len(pcm) / PCM_BYTES_PER_SECOND + 5.0)
        except TimeoutError:
            log.warning("group %s: playback did not finish in time", self.session.session_id)
        return True

    async def removed_from_voice(self, *, moved: bool) -> None:
        """Discord took the bot out of the channel (a moderator disconnected or moved it, the
        channel went away: voice close 4014). End the group cleanly and do not pull the bot back
        in: rejoining would override the moderator."""
        if self._closing:
            return
        where = "moved to another channel" if moved else "disconnected from the voice channel"
        log.info("group %s: the bot was %s; ending the group", self.session.session_id, where)
        await self._post(f"I was {where} (by a moderator or by Discord), so I'm ending the group here. "
                         "Everything said so far is saved.")
        await self.session.end("the bot was removed from the voice channel")

    async def voice_lost(self) -> None:
        """The voice connection dropped while the bot is still in the channel (not a removal by a
        moderator, see `removed_from_voice`): pause the timers, reconnect, listen again."""
        if self._closing or self._reconnecting:
            return
        self._reconnecting = True
        self.session.pause()
        try:
            old = self.vc
            if old is not None:
                try:
                    await old.disconnect(force=True)  # drop the dead connection before a new one
                except Exception:
                    log.debug("old voice client did not disconnect cleanly", exc_info=True)
            for attempt in range(3):
                try:
                    vc = await self.voice_channel.connect(cls=voice_recv.VoiceRecvClient, self_deaf=False)
                except (TimeoutError, discord.ClientException, discord.HTTPException) as e:
                    log.warning("group %s: voice reconnect %d failed: %s", self.session.session_id, attempt + 1, e)
                    continue
                self.attach(vc)
                self.session.resume()
                await self._post("I lost the voice connection for a moment; I'm back and the group carries on.")
                return
            await self._post("I couldn't get back into the voice channel, so I'm ending the group here. "
                             "Everything said so far is saved.")
            await self.session.end("the bot lost its voice connection")
        finally:
            self._reconnecting = False

    # ------------------------------------------------------------ the session's front end (GroupIO)
    async def member_joined(self, event: MemberJoined) -> None:
        self.refresh_lobby()  # don't hold up the member's button reply

    async def member_left(self, event: MemberLeft) -> None:
        self.refresh_lobby()

    async def member_erased(self, event: MemberErased) -> None:
        self.refresh_lobby()

    async def turn_started(self, event: TurnStarted) -> None:
        view = TurnView(self, event.turn.number)
        msg = await self.text_channel.send(embed=turn_embed(self.session, event.turn), view=view)
        self.turn_views[event.turn.number] = (view, msg)
        self._posted_about(msg, event.turn.answerer_id, event.turn.interviewer_id)
        self._speech.put_nowait((event.spoken, event.turn.number, "question"))
        self.refresh_lobby()

    async def question_card(self, event: QuestionCard) -> None:
        pass  # shown on demand through the turn's "Question card" button (ephemeral)

    async def time_warning(self, event: TimeWarning) -> None:
        self._speech.put_nowait((event.spoken, None, "info"))

    async def answer_ended(self, event: AnswerEnded) -> None:
        await self._close_view(self.turn_views.pop(event.turn_number, None))
        if event.reason == "transcription_unavailable":
            name = member_name(self.session.name_of(event.answerer_id))
            await self._post(
                f"Transcription is unavailable right now, so I stopped listening to {name}'s answer. "
                "The feedback covers the words I heard before it failed; the group goes on.")

    async def answer_analyzed(self, event: AnswerAnalyzed) -> None:
        msg = await self._post_embed(feedback_embed(self.session, event.turn))
        self._posted_about(msg, event.turn.answerer_id, *event.turn.crosstalk_s)

    async def challenge_asked(self, event: ChallengeAsked) -> None:
        """Pushback: say the challenge; the same member replies aloud (or types, or presses Done)."""
        await self._close_view(self.turn_views.pop(event.turn_number, None))  # a challenge card taken back
        name = member_name(self.session.name_of(event.answerer_id))
        view = TurnView(self, event.turn_number)
        before = "The interviewer has left their seat, so I'll ask the challenge myself.\n" if event.taken_back else ""
        msg = await self.text_channel.send(
            f"{before}**Pushback for {name}:** {safe_excerpt(event.challenge, 500)}\n"
            f"{name}, reply aloud once I've finished (or type it); press Done when you're through.", view=view)
        self.turn_views[event.turn_number] = (view, msg)
        self._posted_about(msg, event.answerer_id)
        self._speech.put_nowait((event.spoken, event.turn_number, "challenge"))

    async def challenge_card(self, event: ChallengeCard) -> None:
        """Pushback asked by the member in the interviewer's seat: nothing is spoken; the challenge is on
        their private card (the Challenge card button), and the answerer is told to reply once asked."""
        name = member_name(self.session.name_of(event.answerer_id))
        asker = member_name(self.session.name_of(event.interviewer_id))
        view = ChallengeView(self, event.turn_number)
        msg = await self.text_channel.send(
            f"**Pushback for {name}:** {asker} has a challenge about your decision.\n"
            f"{asker}, press **Challenge card** to see it (only you can), then ask it in your own words. "
            f"{name}, reply aloud once you've heard it (or type it); press Done when you're through.", view=view)
        self.turn_views[event.turn_number] = (view, msg)
        self._posted_about(msg, event.answerer_id, event.interviewer_id)

    async def challenge_judged(self, event: ChallengeJudged) -> None:
        await self._close_view(self.turn_views.pop(event.turn.number, None))
        msg = await self._post_embed(pushback_embed(self.session, event.turn))
        self._posted_about(msg, event.turn.answerer_id)

    async def rating_opened(self, event: RatingOpened) -> None:
        await self._close_view(self.turn_views.pop(event.turn_number, None))  # a reply's buttons, if any
        s = self.session
        rate_view = RateButtonView(self, event.turn_number)
        name = member_name(s.name_of(event.answerer_id))
        secs = round(event.closes_at - s.clock.now())
        msg = await self.text_channel.send(
            f"How was {name}'s answer? Rate it anonymously: structure, clarity, depth (1–5). "
            f"Rating closes in {secs} s; the group moves on then.", view=rate_view)
        self.rate_views[event.turn_number] = (rate_view, msg)
        self._posted_about(msg, event.answerer_id)

    async def rating_closed(self, event: RatingClosed) -> None:
        await self._close_view(self.rate_views.pop(event.turn_number, None),
                               content=f"Rating closed: {event.result.count} rating(s) received.")
        await self._close_rating_modals(event.turn_number)

    async def group_ended(self, event: GroupEnded) -> None:
        await self._post_embed(summary_embed(event.summary))
        await self.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, text: str) -> None:
        try:
            await self.text_channel.send(text)
        except discord.HTTPException:
            log.warning("group %s: could not post to the channel", self.session.session_id)

    async def _post_embed(self, embed: discord.Embed) -> Any:
        """The posted message, or None when Discord refused it."""
        try:
            return await self.text_channel.send(embed=embed)
        except discord.HTTPException:
            log.warning("group %s: could not post an embed", self.session.session_id)
            return None

    def _posted_about(self, message: Any, *user_ids: int | None) -> None:
        if message is None:
            return
        for uid in user_ids:
            if uid is not None:
                self.posted_about.setdefault(uid, []).append(message)

    def refresh_lobby(self) -> None:
        """Show the group as it is now in the lobby message. Edits are coalesced: while one is in
        flight, any number of requests make exactly one more edit after it (with the state as it
        is then), so a burst of presses costs at most two edits, not one each."""
        self._lobby_dirty = True
        if self._lobby_editor is None or self._lobby_editor.done():
            self._lobby_editor = asyncio.ensure_future(self._edit_lobby_while_dirty())
            self._tasks.add(self._lobby_editor)
            self._lobby_editor.add_done_callback(self._tasks.discard)

    async def lobby_settled(self) -> None:
        """Until no lobby edit is pending (for tests and shutdown)."""
        while self._lobby_editor is not None and not self._lobby_editor.done():
            await asyncio.shield(self._lobby_editor)

    async def _edit_lobby_while_dirty(self) -> None:
        while self._lobby_dirty and not self._closing:
            self._lobby_dirty = False
            await self._refresh_lobby()

    async def _refresh_lobby(self) -> None:
        if self.lobby_message is None:
            return
        if self.session.phase is not Phase.LOBBY:
            self.lobby_view.begin_button.disabled = True
        try:
            await self.lobby_message.edit(embed=lobby_embed(self.session), view=self.lobby_view)
        except discord.HTTPException:
            log.debug("could not refresh the lobby message")

    async def _close_view(self, pair: tuple[discord.ui.View, Any] | None, content: str | None = None) -> None:
        if pair is None:
            return
        view, msg = pair
        try:
            kwargs: dict[str, Any] = {"view": disable_view(view)}
            if content is not None:
                kwargs["content"] = content
            await msg.edit(**kwargs)
        except discord.HTTPException:
            log.debug("could not disable a view")

    async def _close_rating_modals(self, turn_number: int | None = None) -> None:
        """Stop the raters' open modals of one turn (all turns when None): a later submit reaches
        no modal and gets "Rating for this answer has closed." from the client."""
        turns = list(self.rating_modals) if turn_number is None else [turn_number]
        for modal in [m for t in turns for m in self.rating_modals.pop(t, [])]:
            modal.stop()

    def abandon(self) -> None:
        """The group never got going (voice could not be joined): the caller freed its slot, so
        the session's end must not close anything here."""
        self._closing = True

    async def close(self) -> None:
        """The group ended: buttons off, voice off, slot freed."""
        if self._closing:
            return
        self._closing = True
        self.lobby_view.stop()
        for pair in list(self.turn_views.values()) + list(self.rate_views.values()):
            await self._close_view(pair)
        self.turn_views.clear()
        self.rate_views.clear()
        await self._close_rating_modals()
        for box in self.answer_boxes:
            box.stop()
        self.answer_boxes.clear()
        if self.lobby_message is not None:
            try:
                await self.lobby_message.edit(embed=lobby_embed(self.session), view=disable_view(self.lobby_view))
            except discord.HTTPException:
                pass
        current = asyncio.current_task()
        for task in (self.timer_task, self._speech_task):
            if task is not None and task is not current:
                task.cancel()
        if self.vc is not None:
            try:
                if self.vc.is_listening():
                    self.vc.stop_listening()
                await self.vc.disconnect(force=True)
            except Exception:
                log.debug("voice disconnect failed", exc_info=True)
        await self.registry.release(self.claim)
        if self.on_closed is not None:
            self.on_closed(self)

    # ------------------------------------------------------------ member actions
    async def join(self, interaction: discord.Interaction) -> None:
        user = interaction.user
        voice = getattr(user, "voice", None)
        if voice is None or voice.channel is None or voice.channel.id != self.voice_channel.id:
            await send_private(interaction,
                               f"Join {self.voice_channel.mention} first, so I can hear you, then press Join.")
            return
        # Nobody is listened to before accepting the notice (once per server; remembered).
        if not await ensure_consent(interaction, self.services):
            await send_private(interaction, NOT_JOINED)
            return
        try:
            await self.session.join(user.id, getattr(user, "display_name", "") or user.name)
        except GroupError as e:
            await send_private(interaction, str(e).capitalize() + ".")
            return
        if self.sink is not None:
            self.sink.add(user.id)
        await send_private(interaction, f"You're in! {CONSENT}")

    async def leave(self, interaction: discord.Interaction) -> None:
        if not self.session.is_member(interaction.user.id):
            await send_private(interaction, "You're not in this group.")
            return
        await send_private(interaction, "You've left the group. Your answers so far stay in your history.")
        await self.member_gone(interaction.user.id)

    async def erase_member(self, user_id: int) -> bool:
        """/privacy delete: stop decoding the member's voice and take every trace of them out of
        the group at once (`GroupSession.erase_member`). Returns whether the group held them."""
        if self.sink is not None:
            self.sink.remove(user_id)
        held = await self.session.erase_member(user_id)
        for message in self.posted_about.pop(user_id, []):  # the group's messages that name them
            try:
                await message.delete()
            except discord.NotFound:
                pass
            except discord.HTTPException as e:
                log.info("group %s: could not delete a message naming an erased member: %s",
                         self.session.session_id, getattr(e, "status", e))
        return held

    async def member_gone(self, user_id: int) -> None:
        if self.sink is not None:
            self.sink.remove(user_id)
        try:
            await self.session.leave(user_id)
        except GroupError:
            pass

    async def toggle_interviewer(self, interaction: discord.Interaction) -> None:
        uid = interaction.user.id
        try:
            if self.session.interviewer_id == uid:
                await self.session.release_interviewer(uid)
                text = "You're back to answering; the bot asks the questions again."
            else:
                await self.session.take_interviewer(uid)
                text = ("You're the interviewer: on each turn press **Question card** to see the question "
                        "(only you see it), then ask it aloud. You won't be asked to answer meanwhile.")
                if self.session.config.pushback:
                    text += (" When an answer commits to a decision, the pushback is yours too: press "
                             "**Challenge card** on the pushback message and put the challenge to them.")
        except GroupError as e:
            await send_private(interaction, str(e).capitalize() + ".")
            return  # nothing changed: the lobby message stays as it is
        await send_private(interaction, text)
        self.refresh_lobby()

    async def begin(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.session.owner_id:
            await send_private(interaction, "Only the person who started the group can press Begin.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # the first turn posts and speaks
        try:
            await self.session.start()
        except GroupError as e:
            await send_private(interaction, str(e).capitalize() + ".")
            return
        await send_private(interaction, "Here we go!")
        if self.timer_task is None and self.session.phase is not Phase.ENDED:
            self.timer_task = asyncio.create_task(self.session.run_timers())

    async def done(self, interaction: discord.Interaction, turn_number: int) -> None:
        refusal = done_refusal(self.session, turn_number, interaction.user.id)
        if refusal:
            await send_private(interaction, refusal)
            return
        replying = self.session.phase is Phase.CHALLENGE
        await send_private(interaction, "Reply closed; judging it now." if replying else "Answer closed; analysing it now.")
        try:
            await self.session.answer_done(interaction.user.id)
        except GroupError as e:
            await interaction.followup.send(str(e).capitalize() + ".", ephemeral=True)

    async def show_card(self, interaction: discord.Interaction, turn_number: int) -> None:
        refusal = card_refusal(self.session, turn_number, interaction.user.id)
        if refusal:
            await send_private(interaction, refusal)
            return
        turn = self.session.current
        assert turn is not None
        await interaction.response.send_message(embed=question_card_embed(turn.question), ephemeral=True)

    async def show_challenge_card(self, interaction: discord.Interaction, turn_number: int) -> None:
        refusal = challenge_card_refusal(self.session, turn_number, interaction.user.id)
        if refusal:
            await send_private(interaction, refusal)
            return
        turn = self.session.current
        assert turn is not None and turn.pushback is not None
        embed = challenge_card_embed(self.session.name_of(turn.answerer_id), turn.pushback.decision.text,
                                     turn.pushback.challenge, self.session.config.pushback_seconds)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def open_rating_modal(self, interaction: discord.Interaction, turn_number: int) -> None:
        refusal = rating_refusal(self.session, turn_number, interaction.user.id)
        if refusal:
            await send_private(interaction, refusal)
            return
        answerer = self.session.turns[turn_number - 1].answerer_id
        modal = RatingModal(self, turn_number, self.session.name_of(answerer),
                            timeout=rating_seconds_left(self.session, turn_number))
        self.rating_modals.setdefault(turn_number, []).append(modal)
        await interaction.response.send_modal(modal)
