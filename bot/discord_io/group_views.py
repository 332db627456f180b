"""The buttons and modals of a peer practice group: the lobby (join, leave, be the interviewer,
begin), each turn (done, type answer, question card; challenge card when the interviewer pushes back),
the rating button and the anonymous rating
modal, and the typed-answer box.

The views only route presses to `GroupRun` (bot/discord_io/group_io.py) or the session; who may
press what is decided in `bot.practice.group.checks` and `bot.practice.group`.
"""

from __future__ import annotations

import secrets
from typing import Protocol

import discord

from bot.discord_io.member_views import ParleyModal, ParleyView
from bot.discord_io.replies import send_private
from bot.discord_io.stale_components import parley_id
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
    async def show_challenge_card(self, interaction: discord.Interaction, turn_number: int) -> None: ...
    async def open_rating_modal(self, interaction: discord.Interaction, turn_number: int) -> None: ...


SCORE_WORDS = {1: "1 · weak", 2: "2 · thin", 3: "3 · okay", 4: "4 · good", 5: "5 · excellent"}

# --------------------------------------------------------------------------- views
#
# Every component's custom_id is `parley:group:<name>` (lobby, turn, typed answer) or
# `parley:rating:<name>` (rating button and modal), so a press that no live view takes any more (the
# group ended, the rating closed, the bot restarted) gets a private note from the client instead of
# "This interaction failed" (bot/discord_io/stale_components.py).
#
# Views posted in a channel are routed by message id and custom_id, so their fixed ids are safe
# across groups. A modal is routed by its custom_id alone, and so is a view whose sending returned
# no message id: answer boxes and rating modals get a random id each, so two groups (or two raters)
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


class ChallengeView(TurnView):
    """A challenge the interviewer asks (pushback with a member in the seat): the turn's buttons plus
    Challenge card, which shows them the challenge privately."""

    @discord.ui.button(label="Challenge card", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("group", "challenge-card"))
    async def challenge_card_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.show_challenge_card(interaction, self.turn_number)


class RateButtonView(TurnBoundView):
    """The public "Rate this answer" button; each press opens a private `RatingModal`."""

    @discord.ui.button(label="Rate this answer", style=discord.ButtonStyle.primary,
                       custom_id=parley_id("rating", "open"))
    async def rate_button(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.run.open_rating_modal(interaction, self.turn_number)


RATING_TITLE_MAX = 45  # Discord's limit on a modal's title
CRITERION_HINTS = {
    "structure": "Was it easy to follow: situation, approach, result?",
    "clarity": "Was it said plainly and concretely?",
    "depth": "Did it weigh tradeoffs and back claims with detail?",
}


def rating_title(answerer_name: str) -> str:
    """"Rate <name>'s answer", the name shortened to fit Discord's 45 characters."""
    room = RATING_TITLE_MAX - len("Rate 's answer")
    name = answerer_name if len(answerer_name) <= room else answerer_name[:room - 1] + "…"
    return f"Rate {name}'s answer"


def score_select(criterion: str) -> discord.ui.Select:
    """A required 1–5 pick for one criterion, inside the modal's label for it."""
    return discord.ui.Select(
        custom_id=parley_id("rating", f"score-{criterion}"), placeholder="Pick 1 (weak) to 5 (excellent)",
        min_values=1, max_values=1, required=True,
        options=[discord.SelectOption(label=SCORE_WORDS[i], value=str(i)) for i in range(1, 6)],
    )


class RatingModal(ParleyModal):
    """One peer's anonymous rating of one answer: a required 1–5 select per criterion, each in
    its own `Label`.

    The modal's custom_id ends in a random token (a modal is routed by that id alone, see the note
    above the views). `GroupRun` stops it when its rating window closes and when the group ends,
    so a later submit reaches no modal and gets "Rating for this answer has closed." from the
    client (bot/discord_io/stale_components.py). The modal's own timeout is only a safety net, a
    little after the window: the window can be extended (a voice reconnect pauses it).
    """

    TIMEOUT_MARGIN_S = 60.0

    def __init__(self, run: GroupControls, turn_number: int, answerer_name: str, timeout: float) -> None:
        super().__init__(title=rating_title(answerer_name), timeout=timeout + self.TIMEOUT_MARGIN_S,
                         custom_id=unique_id("rating", "form"))
        self.run = run
        self.turn_number = turn_number
        self.scores: dict[str, discord.ui.Select] = {}
        for c in CRITERIA:
            select = score_select(c)
            self.scores[c] = select
            self.add_item(discord.ui.Label(text=c.capitalize(), description=CRITERION_HINTS.get(c),
                                           component=select))

    def picked(self) -> dict[str, str]:
        """criterion -> the score picked (as submitted: a string), for the criteria picked."""
        return {c: s.values[0] for c, s in self.scores.items() if s.values}

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # acknowledge first (privately): the last rating starts the next turn, which posts and speaks
        await interaction.response.defer(ephemeral=True, thinking=True)
        picked = self.picked()
        missing = [c for c in CRITERIA if c not in picked]
        if missing:  # Discord enforces `required`; a client that didn't gets told, nothing is counted
            await interaction.edit_original_response(content=f"Pick a score for {', '.join(missing)} first.")
            return
        try:
            await self.run.session.rate(interaction.user.id, self.turn_number, Rating.from_mapping(picked))
        except (RatingError, GroupError) as e:
            await interaction.edit_original_response(content=str(e).capitalize() + ".")
            return
        await interaction.edit_original_response(
            content="Thanks! Your rating is anonymous: the group only sees averages.")
