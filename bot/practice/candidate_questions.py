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

# topic → (what we call it, cue patterns)
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "challenges": ("the team's real challenges", (
        r"challeng\w*", r"problems?", r"hardest", r"biggest", r"pain ?points?", r"struggl\w*", r"difficult\w*",
        r"scal(?:e|ing)", r"reliability", r"incidents?", r"outages?", r"keeps? you up", r"technical debt",
        r"tech debt", r"risks?")),
    "delivery_vs_stability": ("balancing delivery speed with stability", (
        r"speed", r"fast", r"quickly", r"deliver\w*", r"ship\w*", r"releases?", r"deploy\w*", r"stabl\w*",
        r"stability", r"balance\w*", r"trade-?offs?", r"quality", r"on-?call")),
    "early_success": ("what success looks like early on", (
        r"success\w*", r"first (?:90|ninety|thirty|sixty|30|60) days", r"first (?:few |three |six )?months?",
        r"first year", r"expectations?", r"expect\w*", r"ramp\w*", r"onboard\w*", r"great hire",
        r"good (?:looks|look) like", r"measured", r"evaluat\w*")),
    "greenfield_vs_existing": ("new building versus improving existing systems", (
        r"greenfield", r"from scratch", r"new (?:systems?|services?|projects?|features?)", r"existing",
        r"legacy", r"maintain\w*", r"maintenance", r"rewrit\w*", r"migrat\w*", r"improv\w* (?:the )?existing")),
    "bottlenecks": ("the core services and their bottlenecks", (
        r"bottlenecks?", r"core services?", r"architecture", r"slow\w*", r"constraints?", r"limits?",
        r"stack", r"systems?", r"services?", r"infrastructure", r"latency", r"throughput")),
}

PERKS = (r"salary", r"pay(?:ing)?", r"compensation", r"bonus\w*", r"vacation", r"holidays?", r"pto",
         r"time off", r"benefits?", r"perks?", r"equity", r"stock", r"options", r"free (?:food|lunch)",
         r"remote", r"work from home", r"wfh", r"office", r"hours", r"parking", r"gym", r"raise")

# Words that tie a question to this team and its work (specificity), beyond the topic words.
_SPECIFIC = (r"this team", r"your team", r"the team'?s?", r"this role", r"your (?:services?|systems?|stack)",
             r"\d+", r"kafka", r"postgres\w*", r"queues?", r"apis?", r"data\w*", r"pipelines?", r"fleet",
             r"vehicles?", r"telemetry", r"payments?", r"customers?", r"users?", r"p99", r"sla\w*", r"slo\w*",
             r"right now", r"today", r"currently", r"this year", r"last (?:quarter|year)", r"recent\w*",
             r"first (?:90|ninety|thirty|sixty|30|60) days", r"first (?:few |three |six )?months?",
             r"versus", r"vs", r"compared (?:to|with)", r"(?:the|your) existing (?:systems?|services?|code\w*)", r"(?:backend|software|platform) engineers?")
_GENERIC = (r"what(?:'s| is) (?:the|your) culture", r"what do you like", r"tell me (?:more )?about the company",
            r"what(?:'s| is) it like (?:to work|working) here", r"any advice", r"how did i do",
            r"what are the next steps", r"what(?:'s| is) a typical day")

_QUESTION_START = re.compile(
    r"^(?:so |and |also |okay |ok |um |uh |well |my (?:first |second |third |last |next )?question is )*"
    r"(?:what|how|who|where|when|why|which|is|are|do|does|did|can|could|would|will|should|have|has|"
    r"i'?d (?:like|love) to (?:know|hear|understand)|i was wondering|i'm curious|i am curious|"
    r"tell me|walk me)\b", re.I)
_SPLIT = re.compile(r"(?<=[?.!])\s+|\s+(?=(?:and )?(?:my (?:next|second|third|last) question|another question|"
                    r"also,? (?:what|how)|second(?:ly)?,|third(?:ly)?,|finally,)\b)", re.I)
MIN_QUESTION_WORDS = 4
GOOD_COUNT = 2  # at least this many strong questions for the best verdict


def _rx(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.I)


_TOPIC_RX = {k: _rx(v[1]) for k, v in TOPICS.items()}
_PERKS_RX = _rx(PERKS)
_SPECIFIC_RX = _rx(_SPECIFIC)
_GENERIC_RX = _rx(_GENERIC)


def split_questions(text: str) -> list[str]:
    """The questions in what the candidate said: sentences ending in '?' or opening like a question."""
    parts = [p.strip(" ,;") for p in _SPLIT.split(" ".join((text or "").split())) if p and p.strip(" ,;")]
    out = []
    for p in parts:
        n = len(p.split())
        if (p.endswith("?") and n >= 2) or (n >= MIN_QUESTION_WORDS and _QUESTION_START.match(p)):
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
