"""Who is in a group: joining, leaving, erasing one's data, and the interviewer's seat."""

from __future__ import annotations

import asyncio

from bot.practice.group.core import GroupCore
from bot.practice.group.events import AnswerEnded, MemberErased, MemberJoined, MemberLeft
from bot.practice.group.state import ERASED, GroupError, GroupFull, MemberState, NotAMember, Phase, Turn
from bot.ratings import EMPTY


class MembershipMixin(GroupCore):
    async def open(self) -> None:
        """Create the stored session (when a store is attached)."""
        self._loop = asyncio.get_running_loop()
        if self.store is not None and self.session_id is None:
            self.session_id = await self.store.create_session(
                guild_id=self.guild_id, channel_id=self.channel_id, owner_id=self.owner_id
            )

    async def join(self, user_id: int, name: str = "") -> MemberState:
        async with self._lock:
            if self.phase is Phase.ENDED:
                raise GroupError("this group has ended; start a new one with /group start")
            existing = self.members.get(user_id)
            if existing is not None and existing.active:
                raise GroupError("you're already in this group")
            if len(self.active_members) >= self.config.max_members:
                raise GroupFull(
                    f"this group is full ({self.config.max_members} members); "
                    "ask someone to /group leave, or start another group after this one"
                )
            if existing is not None:  # rejoining keeps their figures
                existing.active = True
                existing.name = name or existing.name
                member = existing
            else:
                member = MemberState(user_id, name or str(user_id), self.clock.now())
                self.members[user_id] = member
            if self.phase is not Phase.LOBBY and user_id not in self._queue:
                self._queue.append(user_id)  # a late joiner still gets a turn this round
            if self.store is not None and self.session_id is not None:
                await self.store.add_member(self.session_id, user_id, member.name)
            self._outbox.append(MemberJoined(user_id, member.name, len(self.active_members)))
        await self._flush()
        return member

    async def leave(self, user_id: int) -> None:
        """The member goes (command or voice disconnect). Their answer in progress is kept."""
        closing: Turn | None = None
        replied: Turn | None = None
        async with self._lock:
            member = self.members.get(user_id)
            if member is None or not member.active:
                raise NotAMember("you're not in this group")
            member.active = False
            self._queue = [u for u in self._queue if u != user_id]
            self._take_back_challenge(user_id)  # a challenge on their card: the bot asks it
            if self.interviewer_id == user_id:
                self.interviewer_id = None
            elif self.interviewer_id is not None and len(self.active_members) < 2:
                self._release_interviewer()  # nobody left to interview: the bot asks again
            turn = self.current
            answering = self.phase is Phase.ANSWERING and turn is not None and turn.answerer_id == user_id
            if answering:
                closing = self._close_answer("left")
            elif self.phase is Phase.CHALLENGE and turn is not None and turn.answerer_id == user_id:
                replied = self._close_reply("left")  # judged on what was heard before they left
            if self.phase is Phase.RATING and turn is not None and turn.ratings is not None:
                turn.ratings.withdraw_rater(user_id)
            self._outbox.append(MemberLeft(user_id, member.name, len(self.active_members), answering))
            if not self.active_members and self.phase is not Phase.ENDED and closing is None and replied is None:
                await self._finish("everyone left")
            elif self.phase is Phase.RATING and turn is not None and turn.ratings is not None \
                    and turn.ratings.due(self.clock.now()):
                await self._close_rating(turn)
            await self._save_progress()
        await self._flush()
        if closing is not None:
            await self._process(closing)
        if replied is not None:
            await self._process_reply(replied)

    async def erase_member(self, user_id: int) -> bool:
        """The member erased their data (/privacy delete): they leave the group at once and every
        trace of them leaves its state (their figures, answers, ratings, crosstalk, the interviewer's
        seat, ownership), so no later summary or progress write can bring them back. An answer of
        theirs in progress is dropped, not analysed; one being analysed is not stored (`_analyze`).
        Returns whether the session held anything of theirs."""
        async with self._lock:
            member = self.members.get(user_id)
            touched = member is not None or self.ended_by_id == user_id or any(
                user_id in (t.answerer_id, t.interviewer_id) for t in self.turns)
            if not touched:
                return False
            turn = self.current
            answering = self.phase in (Phase.ANSWERING, Phase.CHALLENGE) and turn is not None \
                and turn.answerer_id == user_id
            self._take_back_challenge(user_id)  # before their id leaves the challenge: the bot asks it
            with self._audio_lock:  # feed_audio reads members and the turn on the receive thread
                self.members.pop(user_id, None)
                if answering:
                    assert turn is not None
                    self.phase = Phase.ANALYZING  # briefly: `_advance` below starts the next turn
                    turn.ended_at = self.clock.now()
                    turn.end_reason = "erased"
                for t in self.turns:
                    self._scrub_turn(t, user_id)
            self._queue = [u for u in self._queue if u != user_id]
            if self.ended_by_id == user_id:
                self.ended_by_id = None
            if self.interviewer_id == user_id:
                self.interviewer_id = None
            elif self.interviewer_id is not None and len(self.active_members) < 2:
                self._release_interviewer()
            if self.owner_id == user_id:  # the next member in join order runs the group
                self.owner_id = next((m.user_id for m in self.active_members), ERASED)
            if answering:
                assert turn is not None
                self._outbox.append(AnswerEnded(turn.number, ERASED, "erased"))
            self._outbox.append(MemberErased(len(self.active_members), answering))
            if self.phase is not Phase.ENDED:
                rating = turn.ratings if self.phase is Phase.RATING and turn is not None else None
                if not self.active_members:
                    await self._finish("everyone left")
                elif answering:
                    await self._advance()
                elif turn is not None and rating is not None and (
                        turn.answerer_id == ERASED or rating.due(self.clock.now())):
                    await self._close_rating(turn)  # an erased answer has nothing left to rate
                if turn is not None and turn.answerer_id == ERASED:
                    turn.ratings, turn.rating_result = None, EMPTY
                await self._save_progress()
            elif self._summary is not None:  # ended already: the stored summary is rewritten without them
                self._summary = self.summary()
                if self.store is not None and self.session_id is not None:
                    await self.store.finish(self.session_id, self._summary, status="done")
        await self._flush()
        return True

    @staticmethod
    def _scrub_turn(turn: Turn, user_id: int) -> None:
        """Audio lock held: `user_id` leaves one turn."""
        if turn.answerer_id == user_id:
            turn.answerer_id = ERASED
            turn.analysis = None
            turn.text = None
            turn.attempt_id = None
            turn.rating_result = EMPTY
            turn.crosstalk_s.clear()
            turn.transcript = None
            if turn.listener is not None and (turn.task is None or turn.task.done()):
                turn.listener.close()  # one being analysed is closed by `_analyze`
            pb, turn.pushback = turn.pushback, None
            if pb is not None and pb.listener is not None and (pb.task is None or pb.task.done()):
                pb.listener.close()  # one being judged is closed by `_judge_reply`
            if turn.ratings is not None and turn.ratings.closed:  # an open window is closed by the caller
                turn.ratings = None
            return
        if turn.interviewer_id == user_id:
            turn.interviewer_id = None
        if turn.pushback is not None and turn.pushback.asker_id == user_id:
            turn.pushback.asker_id = None
        turn.crosstalk_s.pop(user_id, None)
        if turn.ratings is not None:
            turn.ratings.erase_rater(user_id)
            if turn.ratings.closed and turn.answerer_id != ERASED:
                turn.rating_result = turn.ratings.result()

    async def take_interviewer(self, user_id: int) -> None:
        """`user_id` asks the questions (from a private card) instead of answering."""
        async with self._lock:
            if not self.is_member(user_id):
                raise NotAMember("join the group first")
            if self.interviewer_id is not None and self.interviewer_id != user_id:
                raise GroupError("someone is already the interviewer")
            if len(self.active_members) < 2:
                raise GroupError("the interviewer needs at least one other member to ask")
            turn = self.current
            if self.phase is Phase.ANSWERING and turn is not None and turn.answerer_id == user_id:
                raise GroupError("finish your answer first, then take the interviewer's seat")
            self.interviewer_id = user_id

    async def release_interviewer(self, user_id: int) -> None:
        async with self._lock:
            if self.interviewer_id != user_id:
                raise GroupError("you're not the interviewer")
            self._release_interviewer()
        await self._flush()  # a challenge on their card: the bot asks it now

    def _release_interviewer(self) -> None:
        """Lock held: the interviewer answers again, this round too if they haven't yet."""
        uid, self.interviewer_id = self.interviewer_id, None
        if uid is not None:
            self._take_back_challenge(uid)  # a challenge on their card: the bot asks it
        if uid is None or self.phase is Phase.LOBBY or uid in self._queue:
            return
        if not any(t.answerer_id == uid and t.round_no == self.round_no for t in self.turns):
            self._queue.append(uid)
