"""Peer group sessions without the model: membership, turn rotation, timers, crosstalk,
talk time, ratings and the summary's figures, with a controlled clock and a real database.

Answers here are typed (the voice fallback) so the real analysis runs without transcription;
tests/integration/test_group_audio.py feeds real voices through the real model.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import numpy as np
import pytest

from bot.feedback import top_fixes
from bot.practice.engine import PracticeEngine
from bot.practice.group import (
    AnswerAnalyzed,
    AnswerEnded,
    GroupConfig,
    GroupEnded,
    GroupError,
    GroupFull,
    GroupSession,
    ManualClock,
    MemberJoined,
    MemberLeft,
    NotAMember,
    Phase,
    QuestionCard,
    RatingClosed,
    RatingOpened,
    TimeWarning,
    TurnStarted,
    voiced_frames,
)
from bot.ratings import Rating, RatingError
from bot.storage import sessions
from bot.storage.attempts import list_attempts
from bot.storage.group import GroupStore
from tests.unit.practice.group.helpers import (  # noqa: F401 - fixtures
    ANSWER_A,
    ANSWER_B,
    NAMES,
    A,
    B,
    C,
    D,
    Events,
    bank,
    clock,
    engine,
    make_group,
    quiet,
    tone,
    type_answer,
)

# --------------------------------------------------------------------------- membership


async def test_ninth_member_gets_a_clear_reply_and_nothing_changes(engine, db, clock) -> None:
    ids = [2000 + i for i in range(8)]
    g, events = await make_group(engine, db, clock, members=ids)
    with pytest.raises(GroupFull, match="full \\(8 members\\)"):
        await g.join(2999, "late")
    assert [m.user_id for m in g.active_members] == ids
    assert len(events.of(MemberJoined)) == 8
    with pytest.raises(GroupError, match="already in"):
        await g.join(ids[0], "again")
    # after someone leaves there is room again
    await g.leave(ids[3])
    await g.join(2999, "late")
    assert len(g.active_members) == 8
    assert await sessions.session_members(db, g.session_id) == sorted(ids + [2999])
    with pytest.raises(NotAMember):
        await g.leave(4242)


async def test_config_rejects_more_than_eight() -> None:
    with pytest.raises(GroupError):
        GroupConfig(max_members=9)
    with pytest.raises(GroupError):
        GroupConfig(rounds=0)


# --------------------------------------------------------------------------- rotation


async def test_turns_rotate_and_shift_with_leaves_and_joins(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock, rounds=2)
    await g.start()
    order = [await type_answer(g, clock)]  # A
    assert g.current.answerer_id == B
    await g.leave(B)  # B's turn had just begun: it ends, and C is next
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == C
    await g.join(D, NAMES[D])  # a late joiner answers this round, after C
    assert g.upcoming() == [D]
    order.append(await type_answer(g, clock))  # C
    order.append(await type_answer(g, clock))  # D
    assert g.round_no == 2 and g.current.answerer_id == A
    await g.join(B, NAMES[B])  # B comes back during round 2: last in line
    order += [await type_answer(g, clock) for _ in range(4)]
    assert order == [A, C, D, A, C, D, B]
    assert g.phase is Phase.ENDED
    ended = events.of(GroupEnded)
    assert len(ended) == 1 and ended[0].reason == "completed"
    left = events.of(MemberLeft)
    assert [(e.user_id, e.was_answering) for e in left] == [(B, True)]
    # B's interrupted turn said nothing: no attempt stored for it
    assert [t.end_reason for t in g.turns if t.answerer_id == B] == ["left", "text"]
    assert len(await list_attempts(db, B)) == 1


async def test_questions_are_not_repeated_within_a_group(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock, rounds=3, category="coding")
    await g.start()
    while g.phase is not Phase.ENDED:
        await type_answer(g, clock)
    ids = [t.question.id for t in g.turns]
    assert len(ids) == 9 and len(set(ids)) == 9
    assert all(t.question.category == "coding" for t in g.turns)


async def test_interviewer_gets_the_card_privately_and_does_not_answer(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock)
    await g.take_interviewer(C)
    await g.start()
    started = events.of(TurnStarted)[-1]
    card = events.of(QuestionCard)[-1]
    assert started.turn.answerer_id == A and card.interviewer_id == C and card.answerer_id == A
    assert card.question is started.turn.question
    assert started.turn.question.prompt not in started.spoken  # the bot doesn't read it out
    answerers = [await type_answer(g, clock), await type_answer(g, clock)]
    assert answerers == [A, B] and g.phase is Phase.ENDED
    with pytest.raises(GroupError):
        await g.take_interviewer(A)  # the group is over


async def test_interviewer_seat_rules(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock, members=(A,))
    with pytest.raises(GroupError, match="at least one other"):
        await g.take_interviewer(A)
    await g.join(B)
    await g.take_interviewer(B)
    with pytest.raises(GroupError, match="already the interviewer"):
        await g.take_interviewer(A)
    await g.leave(B)  # the seat is freed when the interviewer leaves
    assert g.interviewer_id is None


# --------------------------------------------------------------------------- timers


async def test_warning_once_near_the_end_then_time_up(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock, members=(A, B))
    await g.start()
    t0 = clock.now()
    clock.advance(44.0)
    await g.poll()
    assert not events.of(TimeWarning)
    clock.advance(1.0)
    await g.poll()
    clock.advance(3.0)
    await g.poll()
    warnings = events.of(TimeWarning)
    assert len(warnings) == 1
    assert warnings[0].answerer_id == A and warnings[0].seconds_left == pytest.approx(15.0)
    assert "15 seconds" in warnings[0].spoken
    assert g.phase is Phase.ANSWERING
    clock.advance(t0 + 60.0 - clock.now())
    await g.poll()
    ended = events.of(AnswerEnded)
    assert [(e.answerer_id, e.reason) for e in ended] == [(A, "time")]
    analyzed = events.of(AnswerAnalyzed)[-1]
    assert analyzed.turn.analysis is None and analyzed.turn.error == "no speech was heard"
    assert g.current.answerer_id == B  # silence is not rated: straight to the next turn


async def test_run_timers_drives_the_group_on_the_clock(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock, members=(A, B))
    await g.start()
    task = asyncio.create_task(g.run_timers(tick=1.0))
    for _ in range(200):
        # step the clock only once the timer task sleeps on it: every tick is polled
        sleeping = asyncio.ensure_future(clock.wait_sleeping())
        await asyncio.wait({sleeping, task}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            sleeping.cancel()
            break
        clock.advance(1.0)
    await task
    assert [e.reason for e in events.of(AnswerEnded)] == ["time", "time"]
    assert len(events.of(TimeWarning)) == 2


async def test_pause_freezes_the_turn_timer(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock, members=(A, B))
    await g.start()
    clock.advance(10.0)
    g.pause()
    clock.advance(300.0)
    await g.poll()
    assert g.phase is Phase.ANSWERING and not events.of(TimeWarning)
    g.resume()
    clock.advance(49.0)
    await g.poll()
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == A
    clock.advance(1.0)
    await g.poll()
    assert events.of(AnswerEnded)[-1].reason == "time"


# --------------------------------------------------------------------------- audio bookkeeping


def test_voiced_frames_counts_20ms_frames() -> None:
    pcm = quiet(0.2) + tone(0.3) + quiet(0.1)
    v = voiced_frames(pcm, 0.01)
    assert v.size == 30 and int(v.sum()) == 15
    assert int(voiced_frames(tone(0.1, amp=0.005), 0.01).sum()) == 0


async def test_crosstalk_and_talk_time(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock)
    await g.start()
    t = clock.now()
    g.feed_audio(B, tone(1.0), at=t + 2.0)  # B talks over A: one episode...
    g.feed_audio(B, tone(0.5), at=t + 3.2)  # ...continued after a short gap (same episode)
    g.feed_audio(B, tone(0.5), at=t + 6.0)  # a second episode
    g.feed_audio(C, quiet(2.0), at=t + 2.0)  # C's open mic, silent: nothing counted
    g.feed_audio(9999, tone(2.0), at=t + 2.0)  # not a member: ignored entirely
    await g.submit_text_answer(A, ANSWER_A)
    assert g.phase is Phase.RATING
    g.feed_audio(A, tone(2.0), at=clock.now())  # talking between answers is talk time, not crosstalk
    s = g.summary()
    by = {m["user_id"]: m for m in s["members"]}
    assert by[B]["crosstalk_s"] == pytest.approx(2.0)
    assert by[B]["crosstalk_count"] == 2
    assert by[C]["crosstalk_s"] == 0 and by[C]["crosstalk_count"] == 0
    assert by[A]["crosstalk_s"] == 0
    assert by[A]["talk_s"] == pytest.approx(2.0) and by[B]["talk_s"] == pytest.approx(2.0)
    assert by[A]["talk_share"] == pytest.approx(0.5) and by[C]["talk_share"] == 0
    assert 9999 not in by
    assert g.turns[0].crosstalk_s == {B: pytest.approx(2.0)}


# --------------------------------------------------------------------------- ratings and the summary


async def test_ratings_rules_in_a_group(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock)
    await g.start()
    await g.submit_text_answer(A, ANSWER_A)
    opened = events.of(RatingOpened)[-1]
    assert set(opened.raters) == {B, C}
    with pytest.raises(RatingError, match="own answer"):
        await g.rate(A, 1, Rating(5, 5, 5))
    with pytest.raises(RatingError):
        await g.rate(B, 1, {"structure": 9, "clarity": 1, "depth": 1})
    assert await g.rate(B, 1, Rating(4, 4, 4)) == 1
    clock.advance(30.0)
    await g.poll()  # C never rated: the window closes on time and B's turn starts
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == B
    with pytest.raises(RatingError, match="over"):
        await g.rate(C, 1, Rating(1, 1, 1))  # late: not counted
    closed = events.of(RatingClosed)[-1]
    assert closed.result.count == 1 and closed.result.mean("depth") == 4.0


async def play_known_group(engine, db, clock, ratings_for_a: dict[int, Rating]) -> tuple[GroupSession, Events]:
    """Three members, known answers, known ratings, known speech durations."""
    g, events = await make_group(engine, db, clock)
    await g.start()
    t = clock.now()
    g.feed_audio(B, tone(1.0), at=t + 2.0)
    g.feed_audio(B, tone(0.5), at=t + 5.0)
    g.feed_audio(C, quiet(2.0), at=t + 1.0)
    await g.submit_text_answer(A, ANSWER_A)
    g.feed_audio(A, tone(2.0), at=clock.now())
    for rater, rating in ratings_for_a.items():
        await g.rate(rater, 1, rating)
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == B  # all rated: closed early
    await g.submit_text_answer(B, ANSWER_B)
    await g.rate(A, 2, Rating(5, 5, 5))
    clock.advance(30.0)
    await g.poll()  # C doesn't rate B
    assert g.current.answerer_id == C
    clock.advance(60.0)
    await g.poll()  # C stays silent until the timer ends their turn
    assert g.phase is Phase.ENDED
    return g, events


async def test_summary_figures_match_known_inputs(engine, db, clock) -> None:
    g, events = await play_known_group(engine, db, clock, {B: Rating(4, 3, 5), C: Rating(2, 3, 1)})
    s = events.of(GroupEnded)[0].summary
    qa, qb = g.turns[0].question, g.turns[1].question
    score_a = engine.analyze_text(qa, ANSWER_A).score
    score_b = engine.analyze_text(qb, ANSWER_B).score
    flags_a = top_fixes(engine.analyze_text(qa, ANSWER_A), 5)
    counted = Counter(f.code for f in flags_a)
    severity = {f.code: max(x.severity for x in flags_a if x.code == f.code) for f in flags_a}
    by = {m["user_id"]: m for m in s["members"]}

    assert s["answers"] == 2 and s["turns"] == 3 and s["end_reason"] == "completed"
    assert by[A]["score"] == score_a and by[B]["score"] == score_b and by[C]["score"] is None
    assert by[C]["answers"] == 0 and by[C]["turns"] == 1
    assert by[A]["peer_ratings"] == {"count": 2, "structure": 3.0, "clarity": 3.0, "depth": 3.0, "overall": 3.0}
    assert by[B]["peer_ratings"] == {"count": 1, "structure": 5.0, "clarity": 5.0, "depth": 5.0, "overall": 5.0}
    assert by[C]["peer_ratings"]["count"] == 0
    assert by[A]["talk_share"] == pytest.approx(2.0 / 3.5, abs=1e-3)
    assert by[B]["talk_share"] == pytest.approx(1.5 / 3.5, abs=1e-3)
    assert by[B]["crosstalk_s"] == pytest.approx(1.5) and by[B]["crosstalk_count"] == 2
    assert [(f["code"], f["count"]) for f in by[A]["top_flags"]] == sorted(
        counted.items(), key=lambda kv: (-kv[1], -severity[kv[0]], kv[0]))[:3]
    assert len(by[A]["top_flags"]) == min(3, len(counted)) > 0
    best = A if (score_a, 3.0) >= (score_b, 5.0) else B
    assert s["strongest"]["user_id"] == best
    assert s["strongest"]["score"] == max(score_a, score_b)

    # stored: the summary, each member's attempts in their history, the ratings
    rec = await GroupStore(db).get(g.session_id)
    assert rec is not None and rec.status == "done" and rec.summary == json.loads(json.dumps(s))
    hist_a = await list_attempts(db, A)
    assert [(h.mode, h.session_id, h.score) for h in hist_a] == [("group", g.session_id, score_a)]
    assert by[A]["best_attempt_id"] == hist_a[0].id
    agg = await GroupStore(db).rating_aggregate(hist_a[0].id)
    assert agg.count == 2 and agg.mean("structure") == 3.0
    assert await list_attempts(db, C) == []


async def test_summary_never_says_who_rated_what(engine, db, bank, settings, tmp_path) -> None:
    """Swapping which rater gave which rating leaves the summary identical."""
    x, y = Rating(5, 1, 4), Rating(2, 4, 3)
    summaries = []
    for ratings in ({B: x, C: y}, {B: y, C: x}):
        from bot.storage import Database

        async with Database(tmp_path / f"r{len(summaries)}.sqlite3") as db2:
            eng = PracticeEngine(settings=settings, bank=bank, transcriber=engine.transcriber, db=db2)
            g, events = await play_known_group(eng, db2, ManualClock(5000.0), ratings)
            s = events.of(GroupEnded)[0].summary
            s.pop("session_id")
            for m in s["members"]:
                m.pop("best_attempt_id")
            if s["strongest"]:
                s["strongest"].pop("attempt_id")
            summaries.append(json.dumps(s, sort_keys=True))
    assert summaries[0] == summaries[1]
    assert "rater" not in summaries[0]


async def test_progress_is_stored_while_running(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock)
    await g.start()
    await g.submit_text_answer(A, ANSWER_A)
    rec = await GroupStore(db).get(g.session_id)
    assert rec.status == "running"
    assert rec.summary["status"] == "running" and rec.summary["answers"] == 1
    assert sorted(rec.members) == [A, B, C]


async def test_end_mid_answer_and_end_is_idempotent(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock)
    await g.start()
    await g.submit_text_answer(A, ANSWER_A)
    await g.rate(B, 1, Rating(3, 3, 3))
    s1 = await g.end("stopped by the owner")
    s2 = await g.end()
    assert s1 is s2 and len(events.of(GroupEnded)) == 1
    assert s1["end_reason"] == "stopped by the owner"
    by = {m["user_id"]: m for m in s1["members"]}
    assert by[A]["peer_ratings"]["count"] == 1  # ratings given before the end count
    with pytest.raises(GroupError):
        await g.join(D)
    rec = await GroupStore(db).get(g.session_id)
    assert rec.status == "done" and rec.summary["end_reason"] == "stopped by the owner"


async def test_everyone_leaving_ends_the_group(engine, db, clock) -> None:
    g, events = await make_group(engine, db, clock, members=(A, B))
    await g.start()
    await g.leave(B)
    await g.leave(A)
    assert g.phase is Phase.ENDED
    assert len(events.of(GroupEnded)) == 1


async def test_a_failing_listener_does_not_stop_the_group(engine, db, clock) -> None:
    async def broken(event: Any) -> None:
        raise RuntimeError("render failed")

    g, _ = await make_group(engine, db, clock, members=(A, B))
    g.listener = broken
    await g.start()
    await type_answer(g, clock)
    assert g.current.answerer_id == B


async def test_lobby_chatter_is_not_counted_and_a_lone_interviewer_answers_again(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock, members=(A, B))
    g.feed_audio(A, tone(3.0), at=clock.now())  # before Begin: not part of the practice
    await g.take_interviewer(B)
    await g.start()
    assert g.members[A].talk_s == 0
    await g.leave(A)  # only the interviewer is left: they become an answerer
    assert g.interviewer_id is None
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == B


# --------------------------------------------------------------------------- erasure (issue 13)

ERIN, ERIN_NAME = 955_000_000_000_000_555, "erin-erased-member"


async def test_erasing_a_member_mid_session_leaves_nothing_of_them_after_the_end(
        engine, db, clock, settings) -> None:
    """Erased while their answer is being rated, after rating and talking over others: the group
    goes on, and the summary written at the end (and every progress save) holds nothing of theirs."""
    from bot.storage import privacy
    from tests.fault.population import scan_db

    g, events = await make_group(engine, db, clock, members=(A,))
    await g.join(ERIN, ERIN_NAME)
    await g.join(C, NAMES[C])
    await g.start()
    g.feed_audio(ERIN, tone(2.0), at=clock.now())  # talks over A
    await g.submit_text_answer(A, ANSWER_A)
    await g.rate(ERIN, 1, Rating(5, 5, 5))
    await g.rate(C, 1, Rating(3, 3, 3))
    assert g.current.answerer_id == ERIN
    await g.submit_text_answer(ERIN, ANSWER_B)
    await g.rate(A, 2, Rating(2, 2, 2))  # ERIN's answer is being rated when she erases
    assert g.phase is Phase.RATING and (await scan_db(db, (ERIN,)))
    assert await g.erase_member(ERIN) is True
    await privacy.delete_user(db, ERIN)  # what /privacy delete does right after
    # she left the running state at once, and the group moved on to C
    assert ERIN not in g.members and g.current.answerer_id == C and g.phase is Phase.ANSWERING
    assert all(ERIN not in (t.answerer_id, t.interviewer_id) and ERIN not in t.crosstalk_s for t in g.turns)
    assert ERIN_NAME not in json.dumps(g.summary()) and str(ERIN) not in json.dumps(g.summary())
    with pytest.raises(RatingError):
        await g.rate(C, 2, Rating(1, 1, 1))  # nothing of hers is left to rate
    # A's rating no longer counts what ERIN gave
    assert g.turns[0].rating_result.count == 1 and g.turns[0].rating_result.mean("structure") == 3.0
    await type_answer(g, clock)
    summary = await g.end("done")
    assert [m["user_id"] for m in summary["members"]] == [A, C]
    assert await scan_db(db, (ERIN, ERIN_NAME)) == []
    assert await privacy.stored_counts(db, ERIN) == {}


async def test_an_answer_stored_after_the_erasure_is_erased_again(engine, db, clock, settings) -> None:
    """The erasure lands while the member's answer is being written: that write must not survive."""
    from bot.storage import privacy
    from tests.fault.population import scan_db

    writing, release = asyncio.Event(), asyncio.Event()

    class PausedStore(GroupStore):  # the real store; the write waits until the erasure has run
        async def record_attempt(self, *args: Any, **kwargs: Any) -> int:
            writing.set()
            await release.wait()
            return await super().record_attempt(*args, **kwargs)

    g = GroupSession(engine, guild_id=77, channel_id=88, owner_id=A, store=PausedStore(db), clock=clock,
                     config=GroupConfig(rating_seconds=30.0, turn_seconds=60.0, warning_seconds=15.0))
    await g.open()
    await g.join(ERIN, ERIN_NAME)
    await g.join(A, "ada")
    await g.start()
    answering = asyncio.create_task(g.submit_text_answer(ERIN, ANSWER_A))
    await asyncio.wait_for(writing.wait(), 5)
    assert await g.erase_member(ERIN)
    await privacy.delete_user(db, ERIN)
    release.set()
    await asyncio.wait_for(answering, 5)
    assert g.current.answerer_id == A  # nothing of hers to rate: A is up
    await g.end("done")
    assert await scan_db(db, (ERIN, ERIN_NAME)) == []


async def test_the_member_who_ended_a_group_is_stored_as_an_id(engine, db, clock) -> None:
    g, _ = await make_group(engine, db, clock, members=(A, B))
    await g.start()
    summary = await g.end("ended", by=D)  # a server manager outside the group
    assert summary["end_reason"] == "ended" and summary["ended_by_id"] == D
    rec = await GroupStore(db).get(g.session_id)
    assert rec.summary["ended_by_id"] == D and "ended by" not in json.dumps(rec.summary)


async def test_erasing_the_owner_while_they_answer_hands_the_group_on(engine, db, clock, settings) -> None:
    from bot.storage import privacy
    from tests.fault.population import scan_db

    g, events = await make_group(engine, db, clock, members=())
    g.owner_id = ERIN
    for uid, name in ((ERIN, ERIN_NAME), (A, "ada"), (C, "cy")):
        await g.join(uid, name)
    await g.take_interviewer(C)
    await g.start()
    assert g.current.answerer_id == ERIN and g.current.interviewer_id == C
    assert await g.erase_member(ERIN)
    await privacy.delete_user(db, ERIN)
    ended = events.of(AnswerEnded)[-1]
    assert (ended.turn_number, ended.reason) == (1, "erased")
    assert g.owner_id == A and g.current.answerer_id == A and g.phase is Phase.ANSWERING
    assert not events.of(AnswerAnalyzed)  # her answer is neither analysed nor shown
    assert await g.erase_member(ERIN) is False  # nothing of hers is left
    await type_answer(g, clock)
    await g.end("done", by=A)
    assert await scan_db(db, (ERIN, ERIN_NAME)) == []


# --------------------------------------------------------------------------- transcription lost (issue 16)


async def test_when_transcription_workers_do_not_answer_the_answer_ends_and_the_group_goes_on(
        settings, db, bank, clock) -> None:
    """The workers stop answering mid-answer: the answer ends at once (no waiting out the turn),
    with the reason the front end tells the group, and the rating opens as after any answer."""
    from bot.models import Transcript
    from bot.speech.remote import TranscriptionUnavailable

    class NoWorkers:
        def __init__(self) -> None:
            self.calls = 0

        def transcribe_sync(self, samples: np.ndarray, **_: Any) -> Transcript:
            self.calls += 1
            raise TranscriptionUnavailable("no transcription worker took the chunk within 3 s")

    class Ends(Events):
        def __init__(self) -> None:
            super().__init__()
            self.ended, self.next_turn = asyncio.Event(), asyncio.Event()

        async def __call__(self, event: Any) -> None:
            await super().__call__(event)
            if isinstance(event, AnswerEnded):
                self.ended.set()
            if isinstance(event, TurnStarted) and len(self.of(TurnStarted)) == 2:
                self.next_turn.set()

    workers = NoWorkers()
    engine = PracticeEngine(settings=settings, bank=bank, transcriber=workers, db=db)  # type: ignore[arg-type]
    g, _ = await make_group(engine, db, clock, members=(A, B))
    events = Ends()
    g.listener = events
    await g.start()  # A answers first
    g.question_delivered()
    t = clock.now()
    g.feed_audio(A, tone(2.0), at=t)
    g.feed_audio(A, quiet(1.5), at=t + 2.0)   # a pause: the chunk goes to the (absent) workers
    await asyncio.wait_for(events.ended.wait(), 10)
    (ended,) = events.of(AnswerEnded)
    assert ended.reason == "transcription_unavailable" and ended.answerer_id == A
    assert workers.calls == 1 and g.turns[0].end_reason == "transcription_unavailable"
    assert clock.now() < g.turns[0].deadline  # it did not wait out the turn
    # ... and the group goes on: nothing was heard, so nothing to rate; B's turn starts
    await asyncio.wait_for(events.next_turn.wait(), 10)
    assert g.phase is Phase.ANSWERING and g.current.answerer_id == B
