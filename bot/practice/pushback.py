"""Pushback: after an answer that commits to a decision, challenge it, and judge how the reply holds up.

The guide counts rigidity under challenge as a mistake and wants tradeoffs held calmly, with
reasons, rather than defensively. So the reply to a challenge is judged as one of:

- ``updated``: the candidate changes or narrows their position (ideally saying why);
- ``defended``: they keep it and give a reason (a cost they accept, a condition, a mitigation);
- ``rigid``: they dismiss the challenge without a reason, repeat themselves, or get defensive.

Two more outcomes are not judgements of style: ``no_reply`` (silence) and ``off_topic`` (the reply
doesn't engage with the challenge). A decision is found with the structure analysis's own phrase
families (`strong_decision`), so "committing" means the same thing here as in the feedback.

The reply's phrase families (update, defend, reason, dismiss) are data with examples in
`pushback_phrases.toml`. Talking over the challenge is judged from the audio, not the words: with a
measured `TalkOver` (bot/practice/talk_over.py) past its tolerance the verdict is at most ``rigid``,
"talked over the challenge", and the feedback says when and for how long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.analysis.lexicon import build_doc, doc_from_text
from bot.analysis.structure.phrases import load_phrasebook
from bot.models import Question, Transcript
from bot.practice.listening import ends_with_end_phrase
from bot.practice.phrase_data import PUSHBACK_PHRASES, load_practice_phrases
from bot.practice.talk_over import TalkOver

VERDICTS = ("updated", "defended", "rigid")
MIN_REPLY_WORDS = 3
REPEAT_OVERLAP = 0.6  # share of the reply's content words already in the answer: repeating itself

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")

# The phrase families (update, defend, reason, dismiss) and the stop words are data, with examples:
# bot/practice/pushback_phrases.toml.
_PHRASES = load_practice_phrases(PUSHBACK_PHRASES)
_STOP = _PHRASES.word_set("stop")
_UPDATE = _PHRASES["update"].pattern
_DEFEND = _PHRASES["defend"].pattern
_REASON = _PHRASES["reason"].pattern
_DISMISS = _PHRASES["dismiss"].pattern


@dataclass(frozen=True)
class Moment:
    """A sentence from an answer, quoted, with when it was said (None for typed text)."""

    text: str
    at_s: float | None = None

    def quoted(self, n: int = 160) -> str:
        t = self.text if len(self.text) <= n else self.text[: n - 1].rstrip() + "…"
        return f"“{t}”"


def _sentences(words: Sequence[str], times: Sequence[float] | None) -> list[Moment]:
    doc = build_doc(list(words), list(times) if times is not None else None)
    out = []
    for lo, hi in doc.sentences():
        if lo >= hi:
            continue
        first, last = doc.source[lo], doc.source[hi - 1]
        text = " ".join(w.strip() for w in words[first:last + 1]).strip()
        at = doc.times[first] if doc.times else None
        out.append(Moment(text, at))
    return out


def find_decision(text: str = "", transcript: Transcript | None = None,
                  challenges: Sequence[str] = ()) -> Moment | None:
    """The last sentence that commits to a decision ("I'd go with Kafka here because ..."), or None.

    A firm choice (`strong_decision`) wins; failing that, a proposal ("I'd protect it with a lock",
    `decision_proposal`) counts when it shares a content word with one of `challenges`, so the
    challenge that follows is about what was proposed."""
    if transcript is not None and transcript.words:
        words = [w.text for w in transcript.words]
        moments = _sentences(words, [w.start for w in transcript.words])
    else:
        moments = _sentences((text or "").split(), None)
    book = load_phrasebook()
    # "That's my answer." ends an answer; it commits to nothing
    moments = [m for m in moments if not (len(m.text.split()) <= 6 and ends_with_end_phrase(m.text.split()))]
    found = [m for m in moments if book["strong_decision"].search(doc_from_text(m.text).text)]
    if found:
        return found[-1]
    topics = set().union(*(_content(c) for c in challenges)) if challenges else set()
    proposals = [m for m in moments if book["decision_proposal"].search(doc_from_text(m.text).text)
                 and _content(m.text) & topics]
    return proposals[-1] if proposals else None


def _content(text: str) -> set[str]:
    """Content words, crudely singular ('locks' and 'lock' match)."""
    words = (w.replace("’", "'") for w in _WORD.findall(text.lower().replace("’", "'")))
    return {w[:-1] if w.endswith("s") and len(w) > 4 else w
            for w in words if w not in _STOP and "'" not in w and len(w) > 2}


def choose_challenge(question: Question, decision: Moment) -> str:
    """The bank challenge closest to what was decided (most shared content words; first on ties)."""
    if not question.challenges:
        raise ValueError(f"question {question.id} has no challenges")
    said = _content(decision.text)
    scored = [(len(said & _content(c)), -i, c) for i, c in enumerate(question.challenges)]
    return max(scored)[2]


TALKED_OVER = "talked over the challenge"


@dataclass(frozen=True)
class PushbackJudgement:
    verdict: str   # updated | defended | rigid | no_reply | off_topic
    reason_given: bool
    why: str       # which signal decided it, in words
    reply: Moment | None = None  # the sentence of the reply that carries the verdict
    talk_over: TalkOver | None = None  # the speech over the challenge, when the audio was measured
    text_verdict: str = ""  # what the words alone said, when talking over capped the verdict

    @property
    def talked_over(self) -> bool:
        return self.talk_over is not None and self.talk_over.talked_over

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict, "reason_given": self.reason_given, "why": self.why,
                               "reply": self.reply.text if self.reply else ""}
        if self.talk_over is not None:
            out.update(talked_over=self.talked_over, talked_over_s=self.talk_over.overlap_s,
                       talked_over_at_s=self.talk_over.first_at_s, challenge_s=self.talk_over.challenge_s)
        if self.text_verdict:
            out["text_verdict"] = self.text_verdict
        return out


def _best_sentence(reply: str, rx: re.Pattern[str] | None) -> Moment:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply.strip()) if s]
    if rx is not None:
        for s in sentences:
            if rx.search(doc_from_text(s).text):
                return Moment(s)
    return Moment(sentences[0] if sentences else reply.strip())


def judge_reply(reply: str, *, challenge: str, answer: str, question: Question | None = None,
                talk_over: TalkOver | None = None) -> PushbackJudgement:
    """How the reply to `challenge` (after `answer`) holds up: text rules (see the module doc), then
    the audio: a reply that talked over the challenge (`talk_over` past its tolerance) is at most
    ``rigid``, with the reason "talked over the challenge" (whatever the words alone said)."""
    judged = _judge_text(reply, challenge=challenge, answer=answer, question=question)
    if talk_over is None:
        return judged
    if not talk_over.talked_over:
        return replace(judged, talk_over=talk_over)
    return PushbackJudgement("rigid", judged.reason_given, TALKED_OVER, judged.reply, talk_over, judged.verdict)


def _judge_text(reply: str, *, challenge: str, answer: str, question: Question | None) -> PushbackJudgement:
    text = " ".join((reply or "").split())
    norm = doc_from_text(text).text
    words = norm.split()
    if len(words) < MIN_REPLY_WORDS:
        return PushbackJudgement("no_reply", False, "no reply to the challenge was heard")
    reason = bool(_REASON.search(norm))
    update = bool(_UPDATE.search(norm))
    defend = bool(_DEFEND.search(norm))
    dismiss = bool(_DISMISS.search(norm))
    mine = _content(text)
    topic = _content(challenge) | _content(answer) | (_content(question.prompt) if question else set())
    engaged = bool(mine & topic)
    repeated = bool(mine) and len(mine & _content(answer)) / len(mine) >= REPEAT_OVERLAP and not (update or defend)
    if not (engaged or update or defend or dismiss or reason):
        return PushbackJudgement("off_topic", False, "the reply didn't engage with the challenge",
                                 _best_sentence(text, None))
    if update and not (dismiss and not reason):
        return PushbackJudgement("updated", reason, "changed position" + (" with a reason" if reason else ""),
                                 _best_sentence(text, _UPDATE))
    if repeated:
        return PushbackJudgement("rigid", reason, "repeated the original answer instead of answering the challenge",
                                 _best_sentence(text, None))
    if dismiss and not (defend and reason):
        return PushbackJudgement("rigid", reason, "dismissed the challenge" + ("" if reason else " without a reason"),
                                 _best_sentence(text, _DISMISS))
    if reason and (defend or engaged):
        return PushbackJudgement("defended", True, "kept the decision and gave a reason",
                                 _best_sentence(text, _DEFEND if defend else _REASON))
    if defend:
        return PushbackJudgement("rigid", False, "kept the decision without saying why", _best_sentence(text, _DEFEND))
    return PushbackJudgement("off_topic", False, "the reply didn't take a position on the challenge",
                             _best_sentence(text, None))


FEEDBACK: dict[str, str] = {
    "updated": "You updated your position when challenged. That reads as open-minded, as long as you say what "
               "changed your mind.",
    "defended": "You held your decision and backed it with a reason: the calm way to defend a tradeoff.",
    "rigid": "That came across as rigid. When challenged, either give the reason your choice still holds "
             "(the cost you accept, or how you'd contain the risk) or say what would change your mind.",
    "no_reply": "You didn't answer the challenge. Take a breath, restate the concern, then defend or adjust "
                "with a reason.",
    "off_topic": "Your reply didn't address the challenge. Restate the concern in a few words first, then answer it.",
}


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


AFTER_TALK_OVER = {
    "updated": "What you said once you had the floor, changing your position, was the right instinct.",
    "defended": "What you said once you had the floor, a reasoned defence, was good: it just needed the room.",
}


def talk_over_lines(talk_over: TalkOver, text_verdict: str = "") -> list[str]:
    """The talking-over moment, said kindly: when it began, how long, and what to do instead."""
    at = f" {talk_over.first_at_s:.1f} s into it" if talk_over.first_at_s is not None else ""
    lines = [f"You started speaking while I was still making my challenge:{at}, and spoke over it for about "
             f"{talk_over.overlap_s:.1f} s of its {talk_over.challenge_s:.0f} s. That's a natural reflex when "
             "you're sure of your answer, but an interviewer hears it as defensive. Let the challenge finish, "
             "take a breath, then answer it: the pause reads as composure."]
    if text_verdict in AFTER_TALK_OVER:
        lines.append(AFTER_TALK_OVER[text_verdict])
    return lines


def feedback_lines(decision: Moment, challenge: str, judgement: PushbackJudgement, *,
                   challenger: str = "I") -> list[str]:
    """The pushback moment for the feedback: what was decided, the challenge, the reply and the verdict.
    `challenger` says who put the challenge: the bot ("I") or, in a group, "The interviewer"."""
    at = f" (at {_clock(decision.at_s)})" if decision.at_s is not None else ""
    lines = [f"You committed{at}: {decision.quoted()}", f"{challenger} challenged: “{challenge}”"]
    if judgement.reply is not None and judgement.reply.text:
        lines.append(f"You replied: {judgement.reply.quoted()}")
    if judgement.talked_over and judgement.talk_over is not None:
        lines.extend(talk_over_lines(judgement.talk_over, judgement.text_verdict))
        return lines
    text = FEEDBACK[judgement.verdict]
    if judgement.verdict == "updated" and not judgement.reason_given:
        text = "You changed your position, but without saying why; name what convinced you."
    lines.append(text)
    return lines
