"""The end of a group: stopping it, its summary (each member's figures, the strongest answer), saving."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from bot.feedback import top_fixes
from bot.practice.group.core import GroupCore
from bot.practice.group.events import GroupEnded
from bot.practice.group.state import Phase, Turn
from bot.ratings import combine

log = logging.getLogger("bot.practice.group")


class SummaryMixin(GroupCore):
    async def end(self, reason: str = "ended", *, by: int | None = None) -> dict[str, Any]:
        """Stop the group (an answer in progress is kept) and return the summary. `by`: the id
        of the member who ended it (stored as an id; a front end renders the name)."""
        closing: Turn | None = None
        replied: Turn | None = None
        async with self._lock:
            if self.phase is Phase.ENDED and self._summary is not None:
                return self._summary
            if by is not None and self.ended_by_id is None:
                self.ended_by_id = by
            if self.phase is Phase.ANSWERING:
                closing = self._close_answer("ended")
            elif self.phase is Phase.CHALLENGE:
                replied = self._close_reply("ended")  # the reply so far is judged
            self.end_reason = reason
            self.phase = Phase.ENDED
            turn = self.current
            if turn is not None and turn.ratings is not None and not turn.ratings.closed:
                turn.rating_result = turn.ratings.close()
            if closing is None and replied is None and self._processing is None:
                await self._finish(reason)
        await self._flush()
        pending = self._processing
        if closing is not None:
            await self._process(closing)
        elif replied is not None:
            await self._process_reply(replied)
        elif pending is not None:
            await asyncio.shield(pending)
        async with self._lock:
            if self._summary is None or closing is not None or replied is not None or pending is not None:
                await self._finish(reason, rewrite=True)
        await self._flush()
        assert self._summary is not None
        return self._summary

    async def _finish(self, reason: str, *, rewrite: bool = False) -> None:
        """Lock held: compute, store and announce the summary."""
        with self._audio_lock:
            self.phase = Phase.ENDED
        self.end_reason = self.end_reason or reason
        first = self._summary is None
        self._summary = self.summary()
        if self.store is not None and self.session_id is not None:
            await self.store.finish(self.session_id, self._summary, status="done")
        if first or rewrite:
            self._outbox = [e for e in self._outbox if not isinstance(e, GroupEnded)]
            self._outbox.append(GroupEnded(self.end_reason, self._summary))

    def summary(self) -> dict[str, Any]:
        """Each member's figures and the strongest answer. Peer ratings appear only as means."""
        answered = [t for t in self.turns if t.analysis is not None]
        total_talk = sum(m.talk_s for m in self.members.values())
        members = []
        for m in self.members.values():
            mine = [t for t in answered if t.answerer_id == m.user_id]
            scores = [t.analysis.score for t in mine if t.analysis is not None]
            flags: Counter[str] = Counter()
            messages: dict[str, str] = {}
            severity: dict[str, int] = {}
            for t in mine:
                assert t.analysis is not None
                for f in top_fixes(t.analysis, 5):  # duplicates of one advice folded, as in feedback
                    flags[f.code] += 1
                    messages.setdefault(f.code, f.message)
                    severity[f.code] = max(severity.get(f.code, 0), f.severity)
            # most frequent first; among equals the more serious
            top = sorted(flags.items(), key=lambda kv: (-kv[1], -severity[kv[0]], kv[0]))[:3]
            best = max(mine, key=lambda t: (t.analysis.score if t.analysis else 0, -t.number), default=None)
            members.append({
                "user_id": m.user_id,
                "name": m.name,
                "left": not m.active,
                "answers": len(mine),
                "turns": sum(1 for t in self.turns if t.answerer_id == m.user_id),
                "score": round(sum(scores) / len(scores)) if scores else None,
                "scores": scores,
                "talk_s": round(m.talk_s, 2),
                "talk_share": round(m.talk_s / total_talk, 3) if total_talk > 0 else 0.0,
                "crosstalk_s": round(m.crosstalk_s, 2),
                "crosstalk_count": m.crosstalk_count,
                "top_flags": [{"code": c, "count": n, "message": messages[c]} for c, n in top],
                "peer_ratings": combine(t.rating_result for t in mine).to_dict(),
                # each challenged answer: the decision, the challenge, the reply and its verdict
                "pushback": [{"turn": t.number, "question_id": t.question.id, **t.pushback.to_dict()}
                             for t in mine if t.pushback is not None and t.pushback.judgement is not None],
                "best_attempt_id": best.attempt_id if best else None,
            })
        strongest = None
        if answered:
            s = max(answered, key=lambda t: (
                t.analysis.score if t.analysis else 0, t.rating_result.overall or 0.0, -t.number))
            assert s.analysis is not None
            strongest = {
                "user_id": s.answerer_id,
                "name": self.members[s.answerer_id].name,
                "turn": s.number,
                "question_id": s.question.id,
                "score": s.analysis.score,
                "peer_overall": s.rating_result.overall,
                "attempt_id": s.attempt_id,
            }
        return {
            "kind": "group",
            "session_id": self.session_id,
            "status": "done" if self.phase is Phase.ENDED else "running",
            "end_reason": self.end_reason,
            "ended_by_id": self.ended_by_id,
            "category": self.config.category,
            "rounds": self.config.rounds,
            "rounds_played": self.round_no,
            "pushback": self.config.pushback,
            "turns": len(self.turns),
            "answers": len(answered),
            "members": members,
            "strongest": strongest,
        }

    async def _save_progress(self) -> None:
        """Lock held: keep the running figures in the database, so a restart loses little."""
        if self.store is None or self.session_id is None or self.phase is Phase.ENDED:
            return
        try:
            await self.store.save_progress(self.session_id, self.summary())
        except Exception:
            log.exception("could not save the progress of group %s", self.session_id)
