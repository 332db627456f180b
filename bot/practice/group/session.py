"""Peer practice groups: several members in one voice channel take turns answering.

The session is front-end agnostic (no discord here). A front end (the `/group` cog, a test)
drives it with plain calls and renders the events it emits (through its `GroupIO` methods):

* members `join` (at most `max_members`) and `leave`; a member leaving is dropped from the
  turn order, so the turns shift to the next person;
* `start` begins the turns: each round every member answers once, in join order; a member may
  `take_interviewer` and then receives each question privately (a `QuestionCard`) to ask aloud;
* `feed_audio(user_id, pcm48, at)` takes each member's own decoded voice stream (Discord
  PCM: s16le 48 kHz stereo). Only the current answerer's audio goes into the answer; the
  others' voiced audio during an answer counts as talking over them ("crosstalk"). Every
  member's voiced seconds add up to their talk time;
* `poll(now)` runs the timers (the turn limit with a warning near the end, an end silence,
  the rating window). `run_timers` calls it on a clock, and tests call it with a controlled
  clock, so nothing sleeps in tests;
* after each answer the engine transcribes and analyses it, the attempt is stored
  (mode ``group``), and the other members rate it anonymously for a limited time; missing
  ratings never hold the group up;
* with `pushback`, an answer that commits to a decision is challenged aloud and the same
  member's reply judged (pushback.py), talking over the challenge included;
* `end` (or the last round) produces the summary: each member's score, talk-time share,
  crosstalk, top flags, average peer ratings, and the strongest answer.

`feed_audio` may be called from the voice receive thread; everything else runs on the event
loop. Events are emitted after the session's lock is released, so a listener may call back in;
a front end implements `GroupIO` (events.py) and subscribes with `io_listener(io)`.
"""

from __future__ import annotations

from bot.practice.group.listening import ListeningMixin
from bot.practice.group.membership import MembershipMixin
from bot.practice.group.pushback import PushbackMixin
from bot.practice.group.rating import RatingMixin
from bot.practice.group.summary import SummaryMixin
from bot.practice.group.turns import TurnsMixin


class GroupSession(MembershipMixin, TurnsMixin, ListeningMixin, PushbackMixin, RatingMixin, SummaryMixin):
    """One group practising in one voice channel (the state in core.py, each job in its own module)."""
