"""The buttons, selects and forms of a peer practice group: the lobby (join, leave, be the
interviewer, begin), each turn (done, type answer, question card), the rating button and the
anonymous rating form, and the typed-answer box.

The views only route presses to `GroupRun` (bot/discord_io/group_io.py) or the session; who may
press what is decided in `bot.practice.group.checks` and `bot.practice.group`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

import discord

from bot.discord_io.member_views import ParleyModal, ParleyView, disable_view
from bot.discord_io.replies import send_private
from bot.discord_io.stale_components import STALE_RATING_TEXT, parley_id
from bot.practice.group import GroupError, GroupSession
from bot.practice.group.checks import type_answer_refusal
from bot.ratings import CRITERIA, Rating, RatingError


class GroupControls(Protocol):
    """What the views route presses to: `GroupRun` (bot/discord_io/group_io.py) implements it, so
    the views need not import it (group_io imports the views)."""

    session: GroupSession
    answer_boxes: set[AnswerModal]

    async def join(self, interaction: discord.Interaction) -> None: ...
    async def leave(self, interaction: discord.Interaction) -> None: ...
    async def toggle_interviewer(self, interaction: discord.Interaction) -> None: ...
    async def begin(self, interaction: discord.Interaction) -> None: ...
    async def done(self, interaction: discord.Interaction, turn_number: int) -> None: ...
    async def show_card(self, interaction: discord.Interaction, turn_number: int) -> None: ...
    async def open_rating_form(self, interaction: discord.Interaction, turn_number: int) -> None: ...

log = logging.getLogger(__name__)

SCORE_WORDS = {1: "1 · weak", 2: "2 · thin", 3: "3 · okay", 4: "4 · good", 5: "5 · excellent"}

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


def unique_id(area: str, name: str) -> str:
    return parley_id(area, f"{name}-{secrets.token_hex(8)}")


class LobbyView(ParleyView):
    def __init__(self, run: GroupControls) -> None:
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


class AnswerModal(ParleyModal, title="Type your answer"):
    """A typed group answer. Its own custom_id: discord.py routes a modal submit by that id alone."""

    answer: discord.ui.TextInput = discord.ui.TextInput(
        label="Your answer", style=discord.TextStyle.paragraph, max_length=4000,
        custom_id=parley_id("group", "answer-text"),
        placeholder="Write what you would say out loud.",
    )

    def __init__(self, run: GroupControls) -> None:
        super().__init__(custom_id=unique_id("group", "answer"))
        self.run = run

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.run.answer_boxes.discard(self)
        await interaction.response.send_message("Got it, analysing your answer.", ephemeral=True)
        try:
            await self.run.session.submit_text_answer(interaction.user.id, str(self.answer.value))
        except GroupError as e:
            await interaction.followup.send(str(e), ephemeral=True)


class TurnBoundView(ParleyView):
    """A message's buttons for one turn of a group; they live until the group closes them."""

    def __init__(self, run: GroupControls, turn_number: int) -> None:
        super().__init__(timeout=None)
        self.run = run
        self.turn_number = turn_number


class TurnView(TurnBoundView):
    """The answering turn: Done, Type answer, Question card."""

    @discord.ui.button(label="Done", style=discord.ButtonStyle.success,
                       custom_id=parley_id("group", "done"))
    async def done_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.done(interaction, self.turn_number)

    @discord.ui.button(label="Type answer", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "type"))
    async def type_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        refusal = type_answer_refusal(self.run.session, self.turn_number, interaction.user.id)
        if refusal:
            await send_private(interaction, refusal)
            return
        modal = AnswerModal(self.run)
        self.run.answer_boxes.add(modal)  # stopped when the group ends: a late submit gets its text back
        await interaction.response.send_modal(modal)

    @discord.ui.button(label="Question card", style=discord.ButtonStyle.secondary,
                       custom_id=parley_id("group", "card"))
    async def card_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.show_card(interaction, self.turn_number)


class RateButtonView(TurnBoundView):
    """The public "Rate this answer" button; each press opens a private `RatingForm`."""

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


class RatingForm(ParleyView):
    """Sent ephemerally to one peer: three 1–5 selects and Submit.

    Its components' ids end in a random token of this form (see the note above the views). The
    form is closed when its rating window closes (`GroupRun` calls `close` on RatingClosed and when
    the group ends), so later presses get "Rating for this answer has closed." from the client.
    The view's own timeout is only a safety net, a little after the window: it must not grey the
    form out first, and the window can be extended (a voice reconnect pauses it).
    """

    TIMEOUT_MARGIN_S = 60.0

    def __init__(self, run: GroupControls, turn_number: int, timeout: float,
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
        disable_view(self)
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
            await send_private(interaction, f"Pick a score for {', '.join(missing)} first.")
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
