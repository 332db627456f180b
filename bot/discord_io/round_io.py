"""`RoundIO` over Discord: a voice client (speak + receive) and the text channel of the command.

The round (`bot.practice.round.MockRound`) decides what happens; this adapter only renders and
transports. Recording starts only after the consent notice was accepted (`post_consent`), and
only the round owner's audio is received (`AnswerSink` filters by user id). Speech is rendered
off the event loop (`Speaker.render_pcm48` runs in a thread) and played with `play_pcm`.

When the user's voice cannot be decrypted (DAVE keeps failing), the adapter tells them in text,
switches the round to typed answers (`MockRound.typing_started()`: silence no longer ends an
answer while they type) and adds a “Type my answer” button that opens a modal. A typed answer
goes to the round (`MockRound.answer_text`) exactly like a spoken one: analysed, stored with the
round's session, followed by the follow-up, and part of the final feedback. The switch is not
one-shot: a DAVE re-handshake of a second or two while someone speaks must not lock them into
typing, so once their audio decrypts again the offer is withdrawn (`switch_to_voice`), unless an
answer box is open, and a later failure run offers it again. The receive counters of each answer
are logged once, when the next prompt starts or the round closes.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_io.answer_views import RoundOutlines
from bot.discord_io.audio_source import PlaybackError, play_pcm
from bot.discord_io.embeds import (
    consent_embed,
    feedback_embed,
    notice_embed,
    question_embed,
    transcript_file,
)
from bot.discord_io.replies import try_send_private
from bot.discord_io.stale_components import STALE_ROUND_TEXT
from bot.discord_io.views import ConsentView, PrivateFeedbackView, RoundControls, TextAnswerModal
from bot.discord_io.voice_receive import AnswerSink
from bot.models import Question
from bot.storage.privacy import ConsentStore
from bot.storage.sessions import get_session
from bot.text_safety import safe_excerpt
from bot.timeline_chart import answer_timeline, has_timeline

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.round import AnswerResult, MockRound, RoundSummary
    from bot.speech.tts import Speaker

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
MAX_TIMELINES = 3
TIMELINES_TEXT = ("How your spoken answers unfolded: when you spoke, the long pauses, fillers, and where each part "
                  "of a strong answer was heard (or by when it was due).")
ONLY_OWNER = discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False)


async def _private(interaction: discord.Interaction, text: str, embed: discord.Embed | None = None) -> None:
    """An ephemeral reply to an interaction (only the presser sees it)."""
    kwargs: dict[str, Any] = {"embed": embed} if embed is not None else {}
    await try_send_private(interaction, text, **kwargs)


def _typed_embed(text: str) -> discord.Embed:
    return discord.Embed(title="What you typed", description=safe_excerpt(text, 4000))


class DiscordRoundIO:
    """One round's Discord side. Create it, create the round with it, then `bind(round)`."""

    def __init__(
        self,
        *,
        voice_client: Any,
        channel: discord.abc.Messageable,
        member: discord.Member,
        speaker: Speaker,
        consent: ConsentStore | None = None,
        consent_timeout_s: float = 120.0,
        on_closed: Callable[[RoundSummary], Awaitable[None] | None] | None = None,
        private_feedback: bool = False,
    ) -> None:
        """`private_feedback`: send the final feedback by direct message instead of the channel
        (`/mock start private:True`). It never falls back to the channel: when DMs are closed, the
        channel gets only a button that shows the feedback to the owner alone (ephemeral)."""
        self.voice_client = voice_client
        self.channel = channel
        self.member = member
        self.speaker = speaker
        self.consent = consent
        self.consent_timeout_s = consent_timeout_s
        self.on_closed = on_closed
        self.private_feedback = private_feedback
        self.round: MockRound | None = None
        self.sink: AnswerSink | None = None
        self.controls: RoundControls | None = None
        self.consent_view: ConsentView | None = None
        self.feedback_view: PrivateFeedbackView | None = None  # private feedback when DMs are closed
        self.text_mode = False         # voice can't be decrypted: answers are typed
        self.box_open = False          # a typed-answer modal is open (not yet submitted)
        self.closed = False
        self.messages: list[discord.Message] = []
        self.reasons: dict[str, str] = {}  # question id → why a tailored round picked it (shown on the card)
        # "Try question N again" under the feedback (set by the cog): (press, the answer to retry)
        self.on_retry: Callable[[discord.Interaction, AnswerResult], Awaitable[None]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, round_: MockRound) -> None:
        self.round = round_

    @property
    def guild_id(self) -> int | None:
        guild = getattr(self.member, "guild", None)
        return guild.id if guild is not None else None

    async def _send(self, *args: Any, **kwargs: Any) -> discord.Message | None:
        kwargs.setdefault("allowed_mentions", NO_PINGS)
        try:
            msg = await self.channel.send(*args, **kwargs)
        except discord.HTTPException as e:
            log.warning("could not post to channel %s: %s", getattr(self.channel, "id", "?"), e)
            return None
        self.messages.append(msg)
        return msg

    # ---- RoundIO ---------------------------------------------------------------------------
    async def post_consent(self, text: str) -> bool:
        self._loop = asyncio.get_running_loop()
        uid, gid = self.member.id, self.guild_id
        already = False
        if self.consent is not None and gid is not None:
            try:
                already = await self.consent.has(uid, gid)
            except Exception:
                log.exception("could not read consent for user %s", uid)
        if already:
            await self._send(embed=consent_embed(text, already_accepted=True))
            accepted = True
        else:
            view = ConsentView(uid, timeout=self.consent_timeout_s)
            self.consent_view = view
            msg = await self._send(content=self.member.mention, embed=consent_embed(text), view=view,
                                   allowed_mentions=ONLY_OWNER)
            if msg is None:
                return False
            view.message = msg
            accepted = await view.result()
            if not accepted:
                await view.disable()
                return False
            if self.consent is not None and gid is not None:
                try:
                    await self.consent.record(uid, gid)
                except Exception:
                    log.exception("could not store consent for user %s", uid)
        self.start_listening()
        return True

    def start_listening(self) -> None:
        """Begin receiving the owner's audio (after consent only)."""
        if self.sink is not None or self.closed:
            return
        vc = self.voice_client
        if not vc.is_connected():
            log.warning("not connected to voice; cannot listen")
            return
        r = self.round
        self.sink = AnswerSink(self.member.id, self._on_pcm, on_undecryptable=self._undecryptable,
                               on_recovered=self._recovered, on_trouble=self._on_trouble,
                               clock=r.clock if r is not None else time.monotonic)
        try:
            vc.listen(self.sink, after=self._listening_stopped)
        except discord.ClientException as e:
            log.warning("could not start listening: %s", e)
            self.sink = None

    def _on_pcm(self, pcm: bytes, at: float) -> None:  # voice-recv's router thread
        r = self.round
        if r is not None:
            r.feed_audio(pcm, at=at)  # `at`: when the frame ended, by its RTP timestamp

    def _on_trouble(self, frames: int) -> None:  # voice-recv's router thread
        r = self.round
        if r is not None:
            r.audio_trouble(frames)

    def _listening_stopped(self, error: Exception | None) -> None:  # voice-recv's stopper thread
        if error is not None:
            log.error("voice receive stopped with an error: %s", error)

    def _undecryptable(self, reason: str) -> None:  # router thread
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.switch_to_text(reason)))

    def _recovered(self) -> None:  # router thread
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self.switch_to_voice()))

    def log_answer_receive(self, what: str) -> None:
        """The receive counters of the answer that just ended (once per answer)."""
        if self.sink is None:
            return
        counters = self.sink.counters_since_last()
        if not counters:
            return
        log.info("receive for user %s, %s: %s", self.member.id, what, counters)
        r = self.round
        answers = r.summary.answers if r is not None else []
        if answers:  # every answer carries its own audio statistics
            prefix = "follow_up_" if what != "answer" else ""
            answers[-1].audio.update({prefix + k: v for k, v in counters.items()})

    async def switch_to_voice(self) -> None:
        """The voice decrypts again: withdraw the typed-answer offer and let silence count again.
        What was typed (and said) so far still counts. An open answer box keeps the round in
        typing mode until it is submitted."""
        if not self.text_mode or self.closed:
            return
        self.text_mode = False
        log.info("round of user %s: voice decrypts again; typed answers withdrawn", self.member.id)
        if self.round is not None and not self.box_open:
            self.round.typing_stopped()
        await self._send(
            content=self.member.mention,
            embed=notice_embed("I can hear you again, so you can go on speaking. Anything you already "
                               "typed or said still counts.", title="Voice is back"),
            allowed_mentions=ONLY_OWNER)
        if self.controls is not None and not self.controls.closed:
            self.controls.disable_typing()
            if self.controls.message is not None:
                try:
                    await self.controls.message.edit(view=self.controls)
                except discord.HTTPException:
                    log.debug("could not remove the typing button", exc_info=True)

    async def switch_to_text(self, reason: str) -> None:
        """Voice can't be used: say so plainly, stop silence from ending answers, and offer typed
        answers on the current card (and every later one)."""
        if self.text_mode or self.closed:
            return
        self.text_mode = True
        log.error("round of user %s switches to typed answers: %s", self.member.id, reason)
        if self.round is not None:
            self.round.typing_started()
        await self._send(
            content=self.member.mention,
            embed=notice_embed(
                "I can hear that you're talking, but I can't decrypt your voice (Discord's end-to-end "
                "voice encryption didn't hand me the keys). Please press **Type my answer** and type "
                "your answer instead. Take your time: I won't move on while you type. After each "
                "answer I'll ask a follow-up; answer it the same way.",
                title="Switching to typed answers"),
            allowed_mentions=ONLY_OWNER)
        if self.controls is not None and not self.controls.closed:
            self.controls.enable_typing(self.open_text_modal)
            if self.controls.message is not None:
                try:
                    await self.controls.message.edit(view=self.controls)
                except discord.HTTPException:
                    log.debug("could not add the typing button", exc_info=True)

    async def open_text_modal(self, interaction: discord.Interaction) -> None:
        """The answer box for the prompt being answered now (the question or its follow-up)."""
        r = self.round
        if r is None or r.ended or self.closed:
            await _private(interaction, STALE_ROUND_TEXT)
            return
        question, prompt = r.current_question, r.current_prompt
        r.typing_started()  # an open box means silence is expected (already so in text mode)
        self.box_open = True

        async def submitted(inter: discord.Interaction, text: str) -> None:
            self.box_open = False
            await self._typed_answer(inter, text, question, prompt)

        follow_up = question is not None and bool(prompt) and prompt != question.prompt
        await interaction.response.send_modal(TextAnswerModal(submitted, follow_up=follow_up))

    async def _typed_answer(self, interaction: discord.Interaction, text: str,
                            question: Question | None, prompt: str) -> None:
        """Hand a typed answer to the round (`MockRound.answer_text`), which analyses and stores
        it like a spoken one. It belongs to the prompt shown when the box was opened: when the
        round has moved on since, it is not used, and the text is handed back privately so
        nothing typed is lost."""
        r = self.round
        if r is None or r.ended:
            await _private(interaction, STALE_ROUND_TEXT, _typed_embed(text))
            return
        same_prompt = r.current_question is question and r.current_prompt == prompt
        if not same_prompt or not r.answer_text(text):
            await _private(
                interaction,
                "The round had already moved on from that prompt, so I didn't use this answer. "
                "It's below if you want to reuse it for the current one.",
                _typed_embed(text))
            return
        await _private(interaction, "Got it: your typed answer is analysed with the rest of this round, "
                                    "and you'll see it in the final feedback.")

    async def say(self, text: str, *, kind: str) -> None:
        if kind == "follow_up":
            self.log_answer_receive("answer")
        shown = self.text_mode and kind in ("follow_up", "hint")
        if shown:
            # typed answers: show what was asked too, since a follow-up has no card of its own
            title = "Follow-up: press Type my answer to reply" if kind == "follow_up" else "Hint"
            await self._send(embed=notice_embed(text, title=title))
        try:
            pcm = await self.speaker.render_pcm48(text)
        except Exception:
            log.exception("speech synthesis failed")
            if not shown:
                await self._send(embed=notice_embed(text, title="(I couldn't speak this, so here it is)"))
            return
        r = self.round
        if r is not None:  # playback marks: the member's speech over a challenge is talking over it
            r.playback_started()
        try:
            await play_pcm(self.voice_client, pcm)
        except PlaybackError as e:
            log.warning("playback failed (%s): %s", kind, e)
            if kind in ("question", "follow_up", "hint") and not shown:
                await self._send(embed=notice_embed(text, title="(I couldn't play this, so here it is)"))
        finally:
            if r is not None:
                r.playback_ended()

    async def post_question_card(self, question: Question, index: int, total: int) -> None:
        if self.round is None:
            raise RuntimeError("DiscordRoundIO.bind(round) was not called")
        if index > 1:
            self.log_answer_receive("previous question")
        old = self.controls
        view = RoundControls(self.member.id, self.round,
                             on_type_answer=self.open_text_modal if self.text_mode else None)
        self.controls = view
        if old is not None:
            await old.disable()
        msg = await self._send(content=self.member.mention, embed=question_embed(question, index, total,
                                                                             why=self.reasons.get(question.id, "")),
                               view=view, allowed_mentions=ONLY_OWNER)
        view.message = msg

    async def post_status(self, text: str) -> None:
        await self._send(content=text)

    async def post_feedback(self, summary: RoundSummary) -> None:
        """The round's feedback embed and transcript file, as a message (not an interaction reply:
        a round can outlast the 15-minute interaction token): in the channel, or by DM when the
        round is private."""
        if self.private_feedback:
            try:
                await self.member.send(embed=feedback_embed(summary), file=transcript_file(summary))
                timelines = await self._timeline_files(summary)
                if timelines:
                    await self.member.send(TIMELINES_TEXT, files=timelines)
            except discord.HTTPException as e:  # DMs closed (403, 50007) or Discord failed
                log.info("could not DM feedback to user %s (%s); offering it privately", self.member.id, e)
                await self._offer_private_feedback(summary)
                return
            await self._send(content=f"{self.member.mention} Your feedback is in your direct messages.",
                             allowed_mentions=ONLY_OWNER)
            return
        outlines = self._outline_view(summary)
        msg = await self._send(content=self.member.mention, embed=feedback_embed(summary),
                               file=transcript_file(summary), allowed_mentions=ONLY_OWNER,
                               **({"view": outlines} if outlines is not None else {}))
        if outlines is not None:
            outlines.message = msg
        timelines = await self._timeline_files(summary)
        if timelines:
            await self._send(content=TIMELINES_TEXT, files=timelines)

    async def _timeline_files(self, summary: RoundSummary) -> list[discord.File]:
        """A timeline picture per spoken answer (up to MAX_TIMELINES), drawn in a worker thread.
        A picture that fails to draw is left out; the feedback itself never waits on it failing."""
        files: list[discord.File] = []
        for a in summary.answers:
            if len(files) >= MAX_TIMELINES:
                break
            transcript = a.transcript
            if a.analysis is None or transcript is None or not has_timeline(transcript):
                continue
            try:
                chart = await asyncio.to_thread(answer_timeline, a.question, transcript, a.analysis,
                                                title=f"Question {a.index}: your answer over time")
            except Exception:  # noqa: BLE001
                log.exception("could not draw the timeline of answer %s", a.index)
                continue
            files.append(discord.File(io.BytesIO(chart.png), filename=f"timeline-q{a.index}.png"))
        return files

    def _outline_view(self, summary: RoundSummary) -> RoundOutlines | None:
        """'Strong outline' buttons for the questions the member answered (never the skipped ones:
        an outline is shown only after an answer)."""
        answered = [a for a in summary.answers if a.analysis is not None]
        if not answered or not (self.on_retry or any(a.question.strong_outline for a in answered)):
            return None
        key = str(summary.session_id or id(summary))
        by_index = {a.index: a for a in answered}
        on_retry = self.on_retry

        async def retry(interaction: discord.Interaction, index: int) -> None:
            assert on_retry is not None
            await on_retry(interaction, by_index[index])

        return RoundOutlines(self.member.id, [(a.index, a.question) for a in answered], session_key=key,
                             on_retry=retry if on_retry is not None else None)

    async def _offer_private_feedback(self, summary: RoundSummary) -> None:
        """DMs are closed: the channel gets a button, never the feedback; a press by the owner
        shows it to them alone (an ephemeral reply), as often as they like until it times out, and
        not once they erased their data (the round's session is gone then)."""

        async def show(interaction: discord.Interaction) -> None:
            if await self._erased_since(summary):
                await interaction.response.send_message(
                    "That feedback was erased with the rest of your data (/privacy delete).", ephemeral=True)
                await view.disable()
                return
            await interaction.response.send_message(
                embed=feedback_embed(summary), file=transcript_file(summary), ephemeral=True)

        view = PrivateFeedbackView(self.member.id, show)
        self.feedback_view = view
        view.message = await self._send(
            content=f"{self.member.mention} I couldn't send your feedback by direct message (your DMs seem "
                    "closed to me). Press **Show my feedback**: only you will see it. To get it by DM next "
                    "time, allow direct messages from this server's members.",
            view=view, allowed_mentions=ONLY_OWNER)

    async def _erased_since(self, summary: RoundSummary) -> bool:
        """Whether the owner erased their data after this round: its stored session is gone."""
        db = getattr(getattr(self.round, "engine", None), "db", None)
        if db is None or summary.session_id is None:
            return False
        return await get_session(db, summary.session_id) is None

    async def _delete_addressed_to_owner(self) -> None:
        """The round's messages addressed to the owner (consent, question cards, notices) go; the
        plain status lines, the last of which says why the round stopped, stay."""
        mention = self.member.mention
        for message in [m for m in self.messages if mention in (m.content or "")]:
            try:
                await message.delete()
                self.messages.remove(message)
            except discord.NotFound:
                self.messages.remove(message)
            except discord.HTTPException as e:
                log.info("could not delete a message of an erased member's round: %s", getattr(e, "status", e))

    async def round_closed(self, summary: RoundSummary) -> None:
        if self.closed:
            return
        self.closed = True
        for view in (self.controls, self.consent_view):
            if view is not None:
                await view.disable()
        if summary.reason == "erased":  # the owner erased their data (/privacy delete)
            await self._delete_addressed_to_owner()
        vc = self.voice_client
        try:
            if self.sink is not None and vc.is_listening():
                vc.stop_listening()
            if vc.is_playing():
                vc.stop_playing()
            if vc.is_connected():
                await vc.disconnect(force=False)
        except Exception:
            log.warning("leaving voice after the round failed", exc_info=True)
        if self.sink is not None:
            self.log_answer_receive("last answer")
            log.info("round of user %s closed (%s/%s); receive stats %s", self.member.id,
                     summary.status, summary.reason, self.sink.stats.as_dict())
        if self.on_closed is not None:
            try:
                res = self.on_closed(summary)
                if asyncio.iscoroutine(res):
                    await res
            except Exception:
                log.exception("round close callback failed")
