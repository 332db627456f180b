"""`/group`: peer practice groups in a voice channel.

The cog parses commands, checks permissions, renders the group's events (embeds, buttons,
speech) and routes each member's voice to the session. The group logic itself lives in
`bot.practice.groups.GroupSession`; nothing here decides turns, timers or scores.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import secrets
import threading
from typing import Any, Callable

import discord
from discord import app_commands
from discord.ext import commands, voice_recv

from bot.discord_io.consent_view import ensure_consent
from bot.discord_io.guards import VOICE_NEEDS, missing_permissions
from bot.discord_io.stale_components import STALE_RATING_TEXT, parley_id
from bot.discord_io.voice_receive import AnswerSink
from bot.feedback import score_colour, strengths, top_fixes
from bot.models import CATEGORIES
from bot.practice.groups import (
    PCM_BYTES_PER_SECOND, AnswerAnalyzed, AnswerEnded, GroupConfig, GroupEnded, GroupError, GroupSession,
    MemberJoined, MemberLeft, Phase, QuestionCard, RatingClosed, RatingOpened, TimeWarning, Turn, TurnStarted,
)
from bot.practice.ratings import CRITERIA, Rating, RatingError
from bot.practice.rounds_registry import KIND_GROUP, Claim, RoundAlreadyRunning, RoundsRegistry, TooBusy
from bot.storage.groups import GroupStore
from bot.text_safety import escape_markdown, neutralize_mentions, safe_excerpt

log = logging.getLogger(__name__)

CONSENT = (
    "While you're in this group, Parley listens to your voice in this channel to transcribe your "
    "answers and to notice when people talk over each other. The audio itself is not kept: your "
    "transcripts, scores and the (anonymous) peer ratings go to your history. Joining means you're "
    "fine with that; `/group leave` stops it at any time."
)
NOT_JOINED = ("You haven't joined the group: I only listen to members who accepted the privacy notice. "
              "Press **Join** again whenever you're ready.")
COLOUR = discord.Colour.teal()
SCORE_WORDS = {1: "1 · weak", 2: "2 · thin", 3: "3 · okay", 4: "4 · good", 5: "5 · excellent"}


def _name(text: str) -> str:
    return escape_markdown(neutralize_mentions(text))[:64] or "someone"


def _category_label(c: str) -> str:
    return c.replace("_", " ")


# --------------------------------------------------------------------------- voice receive


class GroupSink(voice_recv.AudioSink):
    """Every member's own voice, decoded separately: one `AnswerSink` (DAVE + opus) per member.

    `on_pcm(user_id, pcm48)` runs on voice-recv's router thread. Non-members are never decoded.
    """

    def __init__(self, on_pcm: Callable[[int, bytes], None],
                 on_undecryptable: Callable[[int, str], None] | None = None) -> None:
        super().__init__()
        self._on_pcm = on_pcm
        self._on_undecryptable = on_undecryptable
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
            sink = AnswerSink(user_id, functools.partial(self._on_pcm, user_id), on_undecryptable=undecryptable)
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

    def write(self, user: Any, data: voice_recv.VoiceData) -> None:
        with self._lock:
            sinks = list(self._members.values())
        for s in sinks:  # AnswerSink.write never raises into the router thread
            s.write(user, data)

    @voice_recv.AudioSink.listener()
    def on_voice_member_disconnect(self, member: discord.Member | None, ssrc: int | None) -> None:
        with self._lock:
            sinks = list(self._members.values())
        for s in sinks:
            s.on_voice_member_disconnect(member, ssrc)

    def cleanup(self) -> None:
        with self._lock:
            sinks = list(self._members.values())
        for s in sinks:
            s.cleanup()


# --------------------------------------------------------------------------- rendering


def lobby_embed(session: GroupSession) -> discord.Embed:
    cfg = session.config
    what = _category_label(cfg.category) if cfg.category else "any category"
    e = discord.Embed(
        title="Peer practice group",
        description=(
            f"{cfg.rounds} round{'s' if cfg.rounds != 1 else ''}, {what}. Everyone answers once per round; "
            f"the others rate each answer anonymously.\n\n**Before you join:** {CONSENT}"
        ),
        colour=COLOUR,
    )
    members = session.active_members
    lines = [f"{i}. {_name(m.name)}{' (interviewer)' if m.user_id == session.interviewer_id else ''}"
             for i, m in enumerate(members, 1)]
    e.add_field(name=f"Members ({len(members)}/{cfg.max_members})", value="\n".join(lines) or "nobody yet",
                inline=False)
    state = {Phase.LOBBY: "waiting for the owner to press Begin", Phase.ENDED: "ended"}.get(
        session.phase, f"round {session.round_no} of {cfg.rounds}")
    e.set_footer(text=f"Status: {state}")
    return e


def turn_embed(session: GroupSession, turn: Turn) -> discord.Embed:
    answerer = session.members[turn.answerer_id].name
    e = discord.Embed(title=f"Turn {turn.number}: {_name(answerer)} answers", colour=COLOUR)
    if turn.interviewer_id is not None:
        e.description = (f"{_name(session.members[turn.interviewer_id].name)} is the interviewer and asks "
                         "the question (press **Question card** to see it).")
    else:
        e.description = f"**{_category_label(turn.question.category)}**: {turn.question.prompt}"
    e.add_field(name="Time", value=f"{round(session.config.turn_seconds)} s, with a warning near the end")
    e.set_footer(text="Press Done when you finish, or say \"that's my answer\". "
                      "Voice not getting through? Use Type answer.")
    return e


def feedback_embed(session: GroupSession, turn: Turn) -> discord.Embed:
    name = _name(session.members[turn.answerer_id].name)
    a = turn.analysis
    if a is None:
        return discord.Embed(
            title=f"Turn {turn.number}: nothing to score for {name}",
            description=f"{turn.error or 'no answer'}. The group moves on.", colour=discord.Colour.light_grey(),
        )
    e = discord.Embed(title=f"Turn {turn.number}: {name} scored {a.score}/100",
                      description=safe_excerpt(a.summary, 600), colour=discord.Colour(score_colour(a.score)))
    good = strengths(a, 3)
    if good:
        e.add_field(name="Went well", value="\n".join(f"• {safe_excerpt(s, 200)}" for s in good), inline=False)
    fixes = top_fixes(a, 3)
    if fixes:
        e.add_field(name="To work on", value="\n".join(f"• {safe_excerpt(f.message, 300)}" for f in fixes),
                    inline=False)
    over = [(session.members[u].name, s) for u, s in turn.crosstalk_s.items() if s >= 0.5]
    if over:
        e.add_field(name="Talked over", value=", ".join(f"{_name(n)} ({s:.0f} s)" for n, s in over),
                    inline=False)
    e.set_footer(text=f"Question {turn.question.id} · ended: {turn.end_reason}")
    return e


def summary_embed(summary: dict[str, Any]) -> discord.Embed:
    e = discord.Embed(title="Group summary", colour=COLOUR)
    s = summary.get("strongest")
    head = f"{summary.get('answers', 0)} answers over {summary.get('rounds_played', 0)} round(s)."
    if s:
        peer = f", peers {s['peer_overall']}/5" if s.get("peer_overall") is not None else ""
        head += f"\n**Strongest answer:** {_name(s['name'])} on `{s['question_id']}` ({s['score']}/100{peer})."
    e.description = head
    for m in summary.get("members", [])[:25]:
        score = f"{m['score']}/100" if m["score"] is not None else "no scored answer"
        lines = [f"Score {score} · {m['answers']} answer(s) · talk time {round(m['talk_share'] * 100)}%"]
        pr = m["peer_ratings"]
        if pr["count"]:
            lines.append(" · ".join(f"{c} {pr[c]}" for c in CRITERIA) + f" ({pr['count']} peer rating(s))")
        if m["crosstalk_count"]:
            lines.append(f"Talked over others {m['crosstalk_count']}× ({m['crosstalk_s']:.0f} s)")
        if m["top_flags"]:
            lines.append("Work on: " + "; ".join(safe_excerpt(f["message"], 120) for f in m["top_flags"]))
        value = "\n".join(lines)[:1024]
        e.add_field(name=_name(m["name"]) + (" (left)" if m["left"] else ""), value=value, inline=False)
    e.set_footer(text="Each member's answers are in their history. Peer ratings are anonymous.")
    return e


# --------------------------------------------------------------------------- views
#
# Every component's custom_id is `parley:group:<name>` (lobby, turn, typed answer) or
# `parley:rating:<name>` (rating button and form), so a press that no live view takes any more (the
# group ended, the rating closed, the bot restarted) gets a private note from the client instead of
# "This interaction failed" (bot/discord_io/stale_components.py).
#
# Views posted in a channel are routed by message id and custom_id, so their fixed ids are safe
# across groups. A modal is routed by its custom_id alone, and so is a view whose sending returned
# no message id: answer boxes and rating forms get a random id each, so two groups (or two raters)
# never receive each other's submissions.


def _unique(area: str, name: str) -> str:
    return parley_id(area, f"{name}-{secrets.token_hex(8)}")


async def _say(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral reply, whether or not the interaction was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


class LobbyView(discord.ui.View):
    def __init__(self, run: "GroupRun") -> None:
        super().__init__(timeout=None)
        self.run = run

    @discord.ui.button(label="Join", style=discord.ButtonStyle.success,
                       custom_id=parley_id("group", "join"))
    async def join_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.join(interaction)

    @discord.ui.button(label="Leave", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "leave"))
    async def leave_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.leave(interaction)

    @discord.ui.button(label="Be the interviewer", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "interviewer"))
    async def interviewer_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.toggle_interviewer(interaction)

    @discord.ui.button(label="Begin", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("group", "begin"))
    async def begin_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.begin(interaction)


class AnswerModal(discord.ui.Modal, title="Type your answer"):
    """A typed group answer. Its own custom_id: discord.py routes a modal submit by that id alone."""

    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="Your answer", style=discord.TextStyle.paragraph, max_length=4000,
        custom_id=parley_id("group", "answer-text"),
        placeholder="Write what you would say out loud.",
    )

    def __init__(self, run: "GroupRun") -> None:
        super().__init__(custom_id=_unique("group", "answer"))
        self.run = run

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.run.answer_boxes.discard(self)
        await interaction.response.send_message("Got it, analysing your answer.", ephemeral=True)
        try:
            await self.run.session.submit_text_answer(interaction.user.id, str(self.answer.value))
        except GroupError as e:
            await interaction.followup.send(str(e), ephemeral=True)


class TurnView(discord.ui.View):
    def __init__(self, run: "GroupRun", turn_number: int) -> None:
        super().__init__(timeout=None)
        self.run = run
        self.turn_number = turn_number

    @discord.ui.button(label="Done", style=discord.ButtonStyle.success,
                       custom_id=parley_id("group", "done"))
    async def done_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.done(interaction, self.turn_number)

    @discord.ui.button(label="Type answer", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "type"))
    async def type_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        turn = self.run.session.current
        if turn is None or turn.number != self.turn_number or turn.answerer_id != interaction.user.id \
                or self.run.session.phase is not Phase.ANSWERING:
            await _say(interaction, "You can type an answer only during your own turn.")
            return
        modal = AnswerModal(self.run)
        self.run.answer_boxes.add(modal)  # stopped when the group ends: a late submit gets its text back
        await interaction.response.send_modal(modal)

    @discord.ui.button(label="Question card", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "card"))
    async def card_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.show_card(interaction, self.turn_number)


class RateButtonView(discord.ui.View):
    def __init__(self, run: "GroupRun", turn_number: int) -> None:
        super().__init__(timeout=None)
        self.run = run
        self.turn_number = turn_number

    @discord.ui.button(label="Rate this answer", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("rating", "open"))
    async def rate_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.open_rating_form(interaction, self.turn_number)


class ScoreSelect(discord.ui.Select):
    def __init__(self, criterion: str, form_id: str) -> None:
        super().__init__(
            custom_id=parley_id("rating", f"{criterion}-{form_id}"),
            placeholder=criterion.capitalize(), min_values=1, max_values=1,
            options=[discord.SelectOption(label=f"{criterion}: {SCORE_WORDS[i]}", value=str(i)) for i in range(1, 6)],
        )
        self.criterion = criterion

    async def callback(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.view, RatingForm)
        self.view.picked[self.criterion] = int(self.values[0])
        await interaction.response.defer()


class RatingForm(discord.ui.View):
    """Sent ephemerally to one peer: three 1–5 selects and Submit.

    Its components' ids end in a random token of this form (see the note above the views). The
    form is closed when its rating window closes (`GroupRun` calls `close` on RatingClosed and when
    the group ends), so later presses get "Rating for this answer has closed." from the client.
    The view's own timeout is only a safety net, a little after the window: it must not grey the
    form out first, and the window can be extended (a voice reconnect pauses it).
    """

    TIMEOUT_MARGIN_S = 60.0

    def __init__(self, run: "GroupRun", turn_number: int, timeout: float,
                 opened_by: discord.Interaction | None = None) -> None:
        super().__init__(timeout=timeout + self.TIMEOUT_MARGIN_S)
        self.run = run
        self.turn_number = turn_number
        self._settled = False  # closed, or its message already replaced (rated)
        self.opened_by = opened_by  # the press whose reply shows this form: to edit that reply
        self.picked: dict[str, int] = {}
        self.form_id = secrets.token_hex(8)
        self.submit_button.custom_id = parley_id("rating", f"submit-{self.form_id}")
        for c in CRITERIA:
            self.add_item(ScoreSelect(c, self.form_id))

    async def close(self) -> None:
        """The rating window closed: grey the form out and stop taking presses (idempotent)."""
        if self._settled:
            return
        self._settled = True
        _disable(self)
        if self.opened_by is None:
            return
        try:
            await self.opened_by.edit_original_response(content=STALE_RATING_TEXT, view=self)
        except discord.HTTPException:
            log.debug("could not grey out a closed rating form", exc_info=True)

    async def on_timeout(self) -> None:
        await self.close()

    @discord.ui.button(label="Submit rating", style=discord.ButtonStyle.success, row=4,
                       custom_id=parley_id("rating", "submit"))
    async def submit_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        missing = [c for c in CRITERIA if c not in self.picked]
        if missing:
            await _say(interaction, f"Pick a score for {', '.join(missing)} first.")
            return
        # acknowledge first: the last rating starts the next turn, which posts and speaks
        await interaction.response.defer()
        # This reply replaces the form either way; the last rating closes the window (and so
        # calls `close`) before `rate` returns, which must not edit the message first.
        self._settled = True
        try:
            await self.run.session.rate(interaction.user.id, self.turn_number, Rating.from_mapping(self.picked))
        except (RatingError, GroupError) as e:
            self.stop()
            await interaction.edit_original_response(content=str(e).capitalize() + ".", view=None)
            return
        except BaseException:
            self._settled = False  # nothing replaced the form: the window's close still greys it out
            raise
        self.stop()
        await interaction.edit_original_response(
            content="Thanks! Your rating is anonymous: the group only sees averages.", view=None)


def _disable(view: discord.ui.View) -> discord.ui.View:
    for item in view.children:
        if isinstance(item, (discord.ui.Button, discord.ui.Select)):
            item.disabled = True
    view.stop()
    return view


# --------------------------------------------------------------------------- one running group


class GroupRun:
    """The Discord side of one group: voice connection, messages, speech; owns no group logic."""

    def __init__(self, cog: "PeersCog", claim: Claim, guild: discord.Guild, voice_channel: Any,
                 text_channel: Any, session: GroupSession) -> None:
        self.cog = cog
        self.claim = claim
        self.guild = guild
        self.voice_channel = voice_channel
        self.text_channel = text_channel
        self.session = session
        session.listener = self.on_event
        self.vc: Any = None
        self.sink: GroupSink | None = None
        self.lobby_view = LobbyView(self)
        self.lobby_message: Any = None
        self.turn_views: dict[int, tuple[TurnView, Any]] = {}
        self.rate_views: dict[int, tuple[RateButtonView, Any]] = {}
        self.rating_forms: dict[int, list[RatingForm]] = {}  # turn number -> forms sent to raters
        self.answer_boxes: set[AnswerModal] = set()  # typed-answer modals shown and not submitted
        self.timer_task: asyncio.Task[None] | None = None
        self._speech: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()
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
        self.sink = GroupSink(self._on_pcm, self._on_undecryptable)
        for m in self.session.active_members:
            self.sink.add(m.user_id)
        vc.listen(self.sink)

    def _on_pcm(self, user_id: int, pcm: bytes) -> None:  # router thread
        at = self.session.clock.now() - len(pcm) / PCM_BYTES_PER_SECOND
        self.session.feed_audio(user_id, pcm, at)

    def _on_undecryptable(self, user_id: int, reason: str) -> None:  # router thread
        member = self.session.members.get(user_id)
        who = _name(member.name) if member is not None else "a member"
        text = f"I can't decode {who}'s voice right now. On your turn, use **Type answer** instead."
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._post(text)))

    async def _speak_loop(self) -> None:
        while True:
            text, turn_number = await self._speech.get()
            for attempt in (1, 2):  # one retry: a failed synthesis is usually a passing hiccup
                try:
                    if await self._play(text):
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
            if turn_number is not None and turn is not None and turn.number == turn_number:
                self.session.question_delivered()  # the answer's clock starts after the question

    async def wait_spoken(self, n: int) -> list[str]:
        """Until `n` lines have been spoken in the channel."""
        async with self._spoken_cond:
            await self._spoken_cond.wait_for(lambda: len(self.spoken) >= n)
            return list(self.spoken)

    async def _play(self, text: str) -> bool:
        vc = self.vc
        if vc is None or not vc.is_connected():
            return False
        pcm = await self.cog.bot.services.speaker.render_pcm48(text)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def after(error: Exception | None) -> None:  # player thread
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        if vc.is_playing():
            vc.stop()
        vc.play(discord.PCMAudio(io.BytesIO(pcm)), after=after)
        try:
            await asyncio.wait_for(done, len(pcm) / PCM_BYTES_PER_SECOND + 5.0)
        except asyncio.TimeoutError:
            log.warning("group %s: playback did not finish in time", self.session.session_id)
        return True

    async def voice_lost(self) -> None:
        """The bot's voice connection dropped: pause the timers, reconnect, listen again."""
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
                except (discord.ClientException, discord.HTTPException, asyncio.TimeoutError) as e:
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

    # ------------------------------------------------------------ events from the session
    async def on_event(self, event: Any) -> None:
        s = self.session
        if isinstance(event, (MemberJoined, MemberLeft)):
            self._spawn(self._refresh_lobby())  # don't hold up the member's button reply
        elif isinstance(event, TurnStarted):
            view = TurnView(self, event.turn.number)
            msg = await self.text_channel.send(embed=turn_embed(s, event.turn), view=view)
            self.turn_views[event.turn.number] = (view, msg)
            self._speech.put_nowait((event.spoken, event.turn.number))
            await self._refresh_lobby()
        elif isinstance(event, QuestionCard):
            pass  # shown on demand through the turn's "Question card" button (ephemeral)
        elif isinstance(event, TimeWarning):
            self._speech.put_nowait((event.spoken, None))
        elif isinstance(event, AnswerEnded):
            await self._close_view(self.turn_views.pop(event.turn_number, None))
        elif isinstance(event, AnswerAnalyzed):
            await self._post_embed(feedback_embed(s, event.turn))
        elif isinstance(event, RatingOpened):
            view = RateButtonView(self, event.turn_number)
            name = _name(s.members[event.answerer_id].name)
            secs = round(event.closes_at - s.clock.now())
            msg = await self.text_channel.send(
                f"How was {name}'s answer? Rate it anonymously: structure, clarity, depth (1–5). "
                f"Rating closes in {secs} s; the group moves on then.", view=view)
            self.rate_views[event.turn_number] = (view, msg)
        elif isinstance(event, RatingClosed):
            await self._close_view(self.rate_views.pop(event.turn_number, None),
                                   content=f"Rating closed: {event.result.count} rating(s) received.")
            await self._close_rating_forms(event.turn_number)
        elif isinstance(event, GroupEnded):
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

    async def _post_embed(self, embed: discord.Embed) -> None:
        try:
            await self.text_channel.send(embed=embed)
        except discord.HTTPException:
            log.warning("group %s: could not post an embed", self.session.session_id)

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
            kwargs: dict[str, Any] = {"view": _disable(view)}
            if content is not None:
                kwargs["content"] = content
            await msg.edit(**kwargs)
        except discord.HTTPException:
            log.debug("could not disable a view")

    async def _close_rating_forms(self, turn_number: int | None = None) -> None:
        """Stop the raters' forms of one turn (all turns when None)."""
        turns = list(self.rating_forms) if turn_number is None else [turn_number]
        forms = [f for t in turns for f in self.rating_forms.pop(t, [])]
        if forms:
            await asyncio.gather(*(f.close() for f in forms))

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
        await self._close_rating_forms()
        for box in self.answer_boxes:
            box.stop()
        self.answer_boxes.clear()
        if self.lobby_message is not None:
            try:
                await self.lobby_message.edit(embed=lobby_embed(self.session), view=_disable(self.lobby_view))
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
        self.cog.registry.release(self.claim)
        self.cog.runs.pop(self.guild.id, None)

    # ------------------------------------------------------------ member actions
    async def join(self, interaction: discord.Interaction) -> None:
        user = interaction.user
        voice = getattr(user, "voice", None)
        if voice is None or voice.channel is None or voice.channel.id != self.voice_channel.id:
            await _say(interaction, f"Join {self.voice_channel.mention} first, so I can hear you, then press Join.")
            return
        # Nobody is listened to before accepting the notice (once per server; remembered).
        if not await ensure_consent(interaction, self.cog.bot.services):
            await _say(interaction, NOT_JOINED)
            return
        try:
            await self.session.join(user.id, getattr(user, "display_name", "") or user.name)
        except GroupError as e:
            await _say(interaction, str(e).capitalize() + ".")
            return
        if self.sink is not None:
            self.sink.add(user.id)
        await _say(interaction, f"You're in! {CONSENT}")

    async def leave(self, interaction: discord.Interaction) -> None:
        if not self.session.is_member(interaction.user.id):
            await _say(interaction, "You're not in this group.")
            return
        await _say(interaction, "You've left the group. Your answers so far stay in your history.")
        await self.member_gone(interaction.user.id)

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
        except GroupError as e:
            text = str(e).capitalize() + "."
        await _say(interaction, text)
        await self._refresh_lobby()

    async def begin(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.session.owner_id:
            await _say(interaction, "Only the person who started the group can press Begin.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # the first turn posts and speaks
        try:
            await self.session.start()
        except GroupError as e:
            await _say(interaction, str(e).capitalize() + ".")
            return
        await _say(interaction, "Here we go!")
        if self.timer_task is None and self.session.phase is not Phase.ENDED:
            self.timer_task = asyncio.create_task(self.session.run_timers())

    async def done(self, interaction: discord.Interaction, turn_number: int) -> None:
        s = self.session
        turn = s.current
        if turn is None or turn.number != turn_number or s.phase is not Phase.ANSWERING:
            await _say(interaction, "That turn is already over.")
            return
        if interaction.user.id not in (turn.answerer_id, turn.interviewer_id, s.owner_id):
            await _say(interaction, "Only the person answering can end their answer.")
            return
        await _say(interaction, "Answer closed; analysing it now.")
        try:
            await s.answer_done(interaction.user.id)
        except GroupError as e:
            await interaction.followup.send(str(e).capitalize() + ".", ephemeral=True)

    async def show_card(self, interaction: discord.Interaction, turn_number: int) -> None:
        turn = self.session.current
        if turn is None or turn.number != turn_number or turn.interviewer_id is None:
            await _say(interaction, "There's no question card for this turn: the bot asks it.")
            return
        if interaction.user.id != turn.interviewer_id:
            await _say(interaction, "Only this turn's interviewer can see the question card.")
            return
        q = turn.question
        e = discord.Embed(title=f"Question card · {_category_label(q.category)} · {q.difficulty}",
                          description=q.prompt, colour=COLOUR)
        if q.follow_ups:
            e.add_field(name="Follow-ups", value="\n".join(f"• {f}" for f in q.follow_ups[:4]), inline=False)
        if q.key_points:
            e.add_field(name="A good answer covers",
                        value="\n".join(f"• {k.label}" for k in q.key_points[:6]), inline=False)
        e.set_footer(text="Only you can see this card.")
        await interaction.response.send_message(embed=e, ephemeral=True)

    async def open_rating_form(self, interaction: discord.Interaction, turn_number: int) -> None:
        s = self.session
        turn = s.turns[turn_number - 1] if 0 < turn_number <= len(s.turns) else None
        window = turn.ratings if turn is not None else None
        uid = interaction.user.id
        if window is None or window.closed or s.phase is not Phase.RATING or turn is not s.current:
            await _say(interaction, "Rating for that answer has closed.")
            return
        if uid == turn.answerer_id:
            await _say(interaction, "You can't rate your own answer; the others are rating it now.")
            return
        if uid not in window.raters:
            await _say(interaction, "Only members who were in the group for this answer can rate it.")
            return
        left = max(1.0, window.closes_at - s.clock.now())
        form = RatingForm(self, turn_number, timeout=left, opened_by=interaction)
        self.rating_forms.setdefault(turn_number, []).append(form)
        await interaction.response.send_message(
            "Rate the answer from 1 (weak) to 5 (excellent). Nobody sees who gave which rating.",
            view=form, ephemeral=True)


# --------------------------------------------------------------------------- the cog


class PeersCog(commands.Cog):
    group = app_commands.Group(name="group", description="Practise interview answers with peers in voice",
                               guild_only=True)

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.runs: dict[int, GroupRun] = {}
        shared = getattr(bot, "rounds", None)  # one voice session per server, shared with /mock
        self.registry: RoundsRegistry = shared if isinstance(shared, RoundsRegistry) \
            else RoundsRegistry(bot.services.settings)

    async def cog_unload(self) -> None:
        for run in list(self.runs.values()):
            await run.session.end("the bot is shutting down")

    @group.command(name="start", description="Start a peer practice group in your voice channel")
    @app_commands.describe(category="Question category (default: any)", rounds="How many rounds (1-5)")
    @app_commands.choices(category=[app_commands.Choice(name=_category_label(c), value=c) for c in CATEGORIES])
    async def start(self, interaction: discord.Interaction, category: app_commands.Choice[str] | None = None,
                    rounds: app_commands.Range[int, 1, 5] = 1) -> None:
        guild = interaction.guild
        user = interaction.user
        if guild is None:
            await _say(interaction, "Groups run in a server's voice channel, not in DMs.")
            return
        voice = getattr(user, "voice", None)
        channel = voice.channel if voice is not None else None
        if channel is None:
            await _say(interaction, "Join a voice channel first, then run /group start there.")
            return
        missing = missing_permissions(channel, guild.me, VOICE_NEEDS)
        if missing:
            listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
            await _say(interaction, f"I can't run a group in {channel.mention}: I'm missing the **{listed}** "
                                    f"permission{'s' if len(missing) > 1 else ''} there. Ask a server admin to "
                                    "grant it to me (or to my role) for that channel.")
            return
        cat = category.value if category is not None else None
        services = self.bot.services
        if cat is not None and cat not in services.bank.categories():
            await _say(interaction, f"The question bank has no {_category_label(cat)} questions yet; "
                                    "pick another category.")
            return
        # The starter joins at once, so they accept the notice first, like everyone pressing Join.
        if not await ensure_consent(interaction, services):
            await _say(interaction, "No group started: I only listen to members who accepted the privacy "
                                    "notice. Run /group start again whenever you're ready.")
            return
        try:
            claim = self.registry.claim(guild.id, user.id, channel_id=channel.id, kind=KIND_GROUP)
        except (RoundAlreadyRunning, TooBusy) as e:  # the message names what holds the slot
            await _say(interaction, str(e))
            return
        if not interaction.response.is_done():  # the consent prompt may have answered it
            await interaction.response.defer(thinking=True)
        settings = services.settings
        session = GroupSession(
            services.engine, guild_id=guild.id, channel_id=channel.id, owner_id=user.id,
            config=GroupConfig(rounds=int(rounds), category=cat, end_silence_s=settings.end_silence_s),
            store=GroupStore(services.db),
        )
        run = GroupRun(self, claim, guild, channel, interaction.channel, session)
        try:
            await session.open()
            await session.join(user.id, getattr(user, "display_name", "") or user.name)
            self.registry.attach(claim, run)
            self.runs[guild.id] = run
            await run.connect()
        except (discord.ClientException, discord.HTTPException, asyncio.TimeoutError) as e:
            log.warning("group start in guild %s failed to join voice: %s", guild.id, e)
            self.runs.pop(guild.id, None)
            self.registry.release(claim)
            run._closing = True
            await session.end("could not join voice")
            await interaction.followup.send(
                f"I couldn't join {channel.mention}. Check my permissions there and try again.", ephemeral=True)
            return
        except BaseException:
            self.runs.pop(guild.id, None)
            self.registry.release(claim)
            raise
        run.lobby_message = await interaction.followup.send(embed=lobby_embed(session), view=run.lobby_view, wait=True)

    @group.command(name="leave", description="Leave the peer group you're in")
    async def leave(self, interaction: discord.Interaction) -> None:
        run = self.runs.get(interaction.guild_id or 0)
        if run is None:
            await _say(interaction, "There's no group running in this server.")
            return
        await run.leave(interaction)

    @group.command(name="end", description="End the peer group and post its summary")
    async def end(self, interaction: discord.Interaction) -> None:
        run = self.runs.get(interaction.guild_id or 0)
        if run is None:
            await _say(interaction, "There's no group running in this server.")
            return
        user = interaction.user
        perms = getattr(user, "guild_permissions", None)
        if user.id != run.session.owner_id and not (perms is not None and perms.manage_guild):
            await _say(interaction, "Only the person who started the group (or a server manager) can end it. "
                                    "Use /group leave to step out.")
            return
        await _say(interaction, "Ending the group; the summary follows in a moment.")
        await run.session.end(f"ended by {getattr(user, 'display_name', '') or user.name}")

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        run = self.runs.get(member.guild.id)
        if run is None:
            return
        me = self.bot.user
        was_here = before.channel is not None and before.channel.id == run.voice_channel.id
        still_here = after.channel is not None and after.channel.id == run.voice_channel.id
        if me is not None and member.id == me.id:
            if was_here and not still_here:
                await run.voice_lost()
            return
        if was_here and not still_here and run.session.is_member(member.id):
            # the answerer disconnecting mid-answer: what they said is kept and analysed
            await run.member_gone(member.id)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(PeersCog(bot))
