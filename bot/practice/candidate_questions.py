"""The candidate's own questions at the end of a round, judged against the guide's advice.

Good questions for an interviewer are about the work the candidate would join: the team's real
scaling or reliability problems, how it balances shipping fast with staying stable, what success
looks like in the first months, how much is new building versus improving what exists, and where
the bottlenecks are. They are specific (they name this team, its systems or a concrete situation),
and they are not only about pay and perks. The topics and their wording here are ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.practice.phrase_data import CANDIDATE_QUESTION_PHRASES, load_practice_phrases

# The phrase families are data, with examples: bot/practice/candidate_question_phrases.toml.
_PHRASES = load_practice_phrases(CANDIDATE_QUESTION_PHRASES)
_TOPIC_FAMILIES = {f.name.removeprefix("topic_"): f for f in _PHRASES.with_prefix("topic_")}
# topic → (what we call it, cue patterns)
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {k: (f.label, f.alternatives) for k, f in _TOPIC_FAMILIES.items()}
PERKS = _PHRASES["perks"].alternatives

_QUESTION_START = re.compile(
    r"^(?:so |and |also |okay |ok |um |uh |well |my (?:first |second |third |last |next )?question is )*"
    r"(?:what|how|who|where|when|why|which|is|are|do|does|did|can|could|would|will|should|have|has|"
    r"i'?d (?:like|love) to (?:know|hear|understand)|i was wondering|i'm curious|i am curious|"
    r"tell me|walk me)\b", re.I)
_SPLIT = re.compile(r"(?<=[?.!])\s+|\s+(?=(?:and )?(?:my (?:next|second|third|last) question|another question|"
                    r"also,? (?:what|how)|second(?:ly)?,|third(?:ly)?,|finally,)\b)", re.I)
MIN_QUESTION_WORDS = 4
ADDRESSED_MIN_WORDS = 7  # a sentence this long about the interviewer's side counts without a "?"
GOOD_COUNT = 2  # at least this many strong questions for the best verdict


_TOPIC_RX = {k: f.pattern for k, f in _TOPIC_FAMILIES.items()}
_PERKS_RX = _PHRASES["perks"].pattern
_SPECIFIC_RX = _PHRASES["specific"].pattern  # words that tie a question to this team and its work
_GENERIC_RX = _PHRASES["generic"].pattern
_ADDRESSED_RX = _PHRASES["addressed"].pattern
_PLEASANTRY_RX = _PHRASES["pleasantry"].pattern


def split_questions(text: str) -> list[str]:
    """The questions in what the candidate said: sentences ending in '?', opening like a question, or
    (spoken questions lose their '?' and sometimes their opening word) long and about the
    interviewer's side (`addressed`), unless they are thanks or a goodbye (`pleasantry`)."""
    parts = [p.strip(" ,;") for p in _SPLIT.split(" ".join((text or "").split())) if p and p.strip(" ,;")]
    out = []
    for p in parts:
        n = len(p.split())
        if ((p.endswith("?") and n >= 2) or (n >= MIN_QUESTION_WORDS and _QUESTION_START.match(p))
                or (n >= ADDRESSED_MIN_WORDS and _ADDRESSED_RX.search(p) and not _PLEASANTRY_RX.search(p))):
            out.append(p)
    return out


@dataclass(frozen=True)
class JudgedQuestion:
    text: str
    topics: tuple[str, ...]  # keys of TOPICS
    perks: bool              # asks about pay or perks
    specific: bool
    verdict: str             # strong | fair | generic | perks

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "topics": list(self.topics), "perks": self.perks,
                "specific": self.specific, "verdict": self.verdict}


def judge_question(text: str) -> JudgedQuestion:
    topics = tuple(k for k, rx in _TOPIC_RX.items() if rx.search(text))
    perks = bool(_PERKS_RX.search(text))
    generic = bool(_GENERIC_RX.search(text))
    specific = bool(_SPECIFIC_RX.search(text)) and not generic
    if perks and not topics:
        verdict = "perks"
    elif topics and specific:
        verdict = "strong"
    elif topics or specific:
        verdict = "fair"
    else:
        verdict = "generic"
    return JudgedQuestion(text, topics, perks, specific, verdict)


@dataclass
class CandidateQuestionsFeedback:
    heard: str                                  # what the candidate said ("" for silence)
    questions: list[JudgedQuestion] = field(default_factory=list)
    verdict: str = "none"                       # none | good | needs_work | perks_only
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "questions": [q.to_dict() for q in self.questions], "lines": self.lines}


def _quote(text: str, n: int = 90) -> str:
    t = text if len(text) <= n else text[: n - 1].rstrip() + "…"
    return f"“{t}”"


def judge_candidate_questions(text: str) -> CandidateQuestionsFeedback:
    """Feedback on the questions the candidate asked at the end of a round."""
    fb = CandidateQuestionsFeedback(heard=" ".join((text or "").split()))
    fb.questions = [judge_question(q) for q in split_questions(fb.heard)]
    covered = {t for q in fb.questions for t in q.topics}
    missing = [TOPICS[t][0] for t in TOPICS if t not in covered]
    strong = [q for q in fb.questions if q.verdict == "strong"]
    if not fb.questions:
        fb.verdict = "none"
        fb.lines.append("I didn't hear a question for the interviewer. Always bring two or three: it shows you "
                        "are already thinking about the work, and you learn whether you want the job.")
        fb.lines.append("Good places to start: " + "; ".join(missing[:3]) + ".")
        return fb
    if all(q.verdict == "perks" for q in fb.questions):
        fb.verdict = "perks_only"
    elif len(strong) >= min(GOOD_COUNT, len(fb.questions)):
        fb.verdict = "good"
    else:
        fb.verdict = "needs_work"
    for q in fb.questions:
        if q.verdict == "strong":
            about = " and ".join(TOPICS[t][0] for t in q.topics[:2])
            fb.lines.append(f"{_quote(q.text)}: specific, and about {about}. Good.")
        elif q.verdict == "fair" and q.topics:
            fb.lines.append(f"{_quote(q.text)}: the right ground ({TOPICS[q.topics[0]][0]}); make it specific "
                            "to this team, for example name a system or a recent situation.")
        elif q.verdict == "fair":
            fb.lines.append(f"{_quote(q.text)}: specific, but it doesn't get at the work itself; ask what is hard, "
                            "what success looks like, or where things are slow.")
        elif q.verdict == "perks":
            fb.lines.append(f"{_quote(q.text)}: fair to ask, but pay and perks belong with the recruiter; with an "
                            "engineer, spend your questions on the work.")
        else:
            fb.lines.append(f"{_quote(q.text)}: too general to tell you much; tie it to this team's systems or goals.")
    if missing and fb.verdict != "good":
        fb.lines.append("Next time try one about " + " or ".join(missing[:2]) + ".")
    return fb
