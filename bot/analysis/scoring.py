"""Flags, the 0–100 score, the follow-up question, the summary and the strengths.

Score weights (documented, so a user can see why a number moved):

==================  ======  =====================================================================
part                weight  how it is measured
==================  ======  =====================================================================
structure             45    weighted share of expected elements present; `assumptions` and
                            `outcome` weigh 3 each, every other element 1
key points            20    share of the question's rubric points heard (no key points: the
                            weight moves to structure)
delivery              20    audio: starts at 1, minus long pauses (0.12 each, max 0.5), a slow
                            start (0.15), fillers beyond 3 per 100 words (0.05 each, max 0.3),
                            pace outside 100–190 wpm (0.15); text: fillers only
length                15    1.0 between 60% and 160% of the target length, falling off outside
penalties            -3..-6 buzzwords without reasoning (-5), mostly "we" in a story (-6),
                            vague generalities (-6), assumptions stated only late (-3)
caps                        fewer than 15 words: at most 10; fewer than 40 words: at most 40
==================  ======  =====================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.analysis.structure import StructureReport
from bot.analysis.timing import TOO_FAST_WPM, TOO_SLOW_WPM, TimingReport
from bot.models import Flag, Question

W_STRUCTURE, W_KEYPOINTS, W_DELIVERY, W_LENGTH = 45.0, 20.0, 20.0, 15.0
HEAVY_ELEMENTS = {"assumptions": 3.0, "outcome": 3.0}
SPOKEN_WPM = 140.0  # to estimate how long a typed answer would take to say
FILLERS_PER_100_OK = 3.0
FILLER_HEAVY_PER_100 = 6.0
TOO_SHORT_FRAC = 0.25  # under a quarter of the target length (or under 40 words) is too short
TOO_LONG_FRAC = 2.0

CATEGORY_DEFAULT_EXPECTED: dict[str, tuple[str, ...]] = {
    "coding": ("restate", "baseline", "improvement", "complexity", "tests"),
    "fundamentals": ("tradeoffs", "failure_modes"),
    "system_design": ("requirements", "scale", "entities_apis", "architecture", "storage", "failure_modes", "observability", "tradeoffs"),
    "behavioral": ("scope", "constraints", "decision", "result", "learning", "ownership"),
}

# Which gap to ask about first, per category (the biggest gap an interviewer would probe).
GAP_PRIORITY: dict[str, tuple[str, ...]] = {
    "coding": ("assumptions", "complexity", "tests", "outcome", "baseline", "improvement", "restate"),
    "fundamentals": ("outcome", "tradeoffs", "failure_modes", "assumptions", "observability", "storage", "security"),
    "system_design": ("assumptions", "failure_modes", "scale", "requirements", "observability", "tradeoffs", "outcome",
                      "storage", "entities_apis", "architecture", "security"),
    "behavioral": ("outcome", "result", "ownership", "decision", "assumptions", "scope", "constraints", "learning"),
}

MISSING_MESSAGES: dict[str, str] = {
    "restate": "Say the problem back in one sentence (input, output, what counts as done) before solving it; it catches misunderstandings for free.",
    "baseline": "Give the simple correct solution first and its cost, even if it is slow; it proves you can solve it and sets up the improvement.",
    "improvement": "After the baseline, name what it wastes and improve it on purpose (a better data structure, one pass instead of two).",
    "complexity": "State the time and space complexity of your final solution out loud, and say which part dominates.",
    "tests": "Walk through tests without being asked: one ordinary input, an edge case (empty, single item, duplicates) and a failure case.",
    "requirements": "Open with the requirements: what the system must do, and the latency, durability and consistency it needs.",
    "scale": "Put rough numbers on the load (writes per second at peak, data per day, how long it is kept); they justify every later choice.",
    "entities_apis": "Name the core entities and the two or three API calls clients make, with their key fields.",
    "architecture": "Sketch the path of one request through the components (entry point, service tier, queue, storage) before the details.",
    "storage": "Say where the data lives and why that store fits the access pattern (keys, partitioning, retention), not just its name.",
    "failure_modes": "Cover what breaks: retries and duplicates, a slow or dead dependency, a consumer falling behind; say what your design does then.",
    "observability": "Name the metrics and alerts you would watch (error rate, latency percentiles, queue lag) and what pages someone.",
    "tradeoffs": "Weigh at least one alternative: what your choice costs and when you would pick the other option.",
    "security": "Cover who may call it and how: authentication, authorization, secrets handling and an audit trail.",
    "scope": "Set the scene in a sentence or two: the system, its size, and what part you owned.",
    "constraints": "Name the constraints you were under (deadline, scale, reliability needs); they make your decisions meaningful.",
    "decision": "Lay out the options you considered and why you chose the one you did.",
    "result": "Close with a measurable result: a number that changed (latency, incidents, time saved, cost).",
    "learning": "End with what you learned or would do differently next time.",
    "ownership": "Say what you personally decided and built; the interviewer is hiring you, not the team.",
}

ASSUMPTION_MESSAGES: dict[str, str] = {
    "coding": "You went straight into solving. Open with one or two assumptions (input size, sorted or not, duplicates, what to return when empty) so the interviewer can correct you early.",
    "fundamentals": "State the context you are assuming (traffic, consistency the business needs, what already exists) before giving the answer.",
    "system_design": "Start by clarifying requirements and assumptions, with rough numbers (how many devices, how often they send, how long data is kept) before drawing boxes.",
    "behavioral": "Set the context first: where this was, what system, how big, and what you were responsible for.",
}
OUTCOME_MESSAGES: dict[str, str] = {
    "coding": "Land the answer: finish with the final time and space complexity and a quick test on an example or an edge case.",
    "fundamentals": "Land the answer: commit to a recommendation and say what it costs you (the tradeoff), instead of only listing options.",
    "system_design": "Land the design: commit to your key choice and name its tradeoff, or close with a short summary of the design.",
    "behavioral": "The story has no ending: say what happened because of your work, with a number if you can.",
}

FOLLOW_UP_KEYWORDS: dict[str, str] = {
    "assumptions": r"\bassum|\bclarif|\bconstraint|\brequirement|how (?:big|many|much|often|large)|\bwhat (?:load|scale|size)",
    "restate": r"in your own words|\brestate|understand the (?:problem|question)",
    "baseline": r"\bsimplest|\bbrute|\bnaive|\bfirst approach|\bslow (?:but|version)",
    "improvement": r"\bfaster\b|\bbetter\b|\boptimi|\bimprove|already sorted|\bcost if",
    "complexity": r"\bcomplexit|how much memory|\bbig o\b|time and space|\bcost\b|\bscale with\b",
    "tests": r"\btest|\bedge\b|\bempty\b|\bboundary|\bcorner\b|what if the input",
    "outcome": r"\bcomplexit|\btest|\bchoose|\bpick\b|\bdecid|\bresult|\bmeasur|\bimpact",
    "requirements": r"\brequirement|\blatency\b|\bconsisten|\bdurab|\bmust\b",
    "scale": r"\bscale\b|\b10x\b|ten times|\bmillion|\bgrow|\bload\b|\btraffic|\bvolume|\bpeak\b",
    "entities_apis": r"\bapi\b|\bendpoint|\bschema|\bdata model|\bentit|\bfields?\b",
    "architecture": r"\bcomponent|\barchitecture|\bpath of|\bflow\b",
    "storage": r"\bstor(?:e|age)\b|\bdatabase|\bschema|\bretain|\bretention|\bindex|keep the data",
    "failure_modes": r"\bfail|\bgoes down|\bis down|\bcrash|\bretr(?:y|ies)|\bduplicat|falls? behind|\boutage|\blag\b|\bslow\b|\brestart|\blost\b|\bdies\b|\btimeout|\bunavailable|\bresend",
    "observability": r"\bmetric|\balert|\bmonitor|\bdashboard|know (?:that|when|if)|\bdetect|\bnotice|\bpage\b|\bobserv|on-call",
    "tradeoffs": r"\btrade-?off|\binstead\b|\balternative|why not|\bversus\b|\bswitch\b|what would make you",
    "security": r"\bauth|\bsecur|\baccess\b|\bsecret|\baudit|\bpermission|who (?:can|may|is allowed)",
    "scope": r"\bown(?:ed)?\b|\byour role|\bcontext\b|how big",
    "constraints": r"\bconstraint|\bdeadline|\bpressure|\btime pressure",
    "decision": r"\boption|\balternative|\bdecid|\bchoose|\bwhy did you",
    "result": r"\bmeasur|\bresult|\bimpact|\bnumber|\bmetric|know (?:it|that) worked",
    "learning": r"\bdifferently|\blearn|\bagain\b|\bhindsight",
    "ownership": r"you personally|your (?:part|role)|you (?:decide|do|own)",
}

GENERIC_FOLLOW_UPS: dict[str, str] = {
    "restate": "In one sentence: what does your function take in, and what exactly must it return?",
    "baseline": "What is the simplest correct solution, even a slow one, and what does it cost?",
    "improvement": "Your first approach works; where does it waste time, and what would remove that?",
    "complexity": "What are the time and space complexity of what you described, and which step dominates?",
    "tests": "Which test cases would you run: an ordinary input, an edge case such as empty input, and one that should fail?",
    "requirements": "Which requirements are you designing for: what must it do, and how fast and durable does it need to be?",
    "scale": "Give me rough numbers: how many writes per second at peak, and how much data per day?",
    "entities_apis": "What are the core entities, and what two or three API calls would a client make?",
    "architecture": "Follow one request from the client to storage: which components does it pass through?",
    "storage": "Where does the data live, and why is that store the right fit for how it is read and written?",
    "failure_modes": "What happens to your design when the queue consumer falls behind for an hour, or the database is down for five minutes?",
    "observability": "After launch, which metrics and alerts would tell you something is wrong before users notice?",
    "tradeoffs": "What is the main alternative to your choice, and what would make you switch to it?",
    "security": "Who is allowed to call this, how do you check that, and how would you audit who changed what?",
    "scope": "What exactly did you own in that project, and how big was the system?",
    "constraints": "What were you up against: deadline, scale or reliability, and which one shaped your decision most?",
    "decision": "What other options did you consider, and why did you pick the one you did?",
    "result": "How did you know it worked? What number changed, from what to what?",
    "learning": "Looking back, what would you do differently next time?",
    "ownership": "You said \"we\" a lot. What did you personally decide, and what did you build yourself?",
}
GENERIC_BY_CATEGORY: dict[tuple[str, str], str] = {
    ("fundamentals", "failure_modes"): "What goes wrong with the approach you described when a dependency is slow or a request is retried, and how do you recover?",
    ("fundamentals", "observability"): "How would you know in production that this is working, and which alert would fire first if it stopped?",
    ("fundamentals", "storage"): "Where would this data live, and why does that store suit how it is read and written?",
    ("coding", "failure_modes"): "What does your code do with bad input: empty, duplicated, or out of order?",
    ("behavioral", "constraints"): "What were you up against in that story: a deadline, scale, or reliability, and how did it shape your choice?",
}
GENERIC_ASSUMPTION_FOLLOW_UPS: dict[str, str] = {
    "coding": "Before you write anything: what would you assume about the input here (its size, order, duplicates, empty cases)?",
    "fundamentals": "What context are you assuming here: the traffic, the consistency the business needs, and who runs it?",
    "system_design": "What load are you designing for? Give me rough numbers for devices, messages per second and how long data is kept.",
    "behavioral": "Set the scene for me: what system was this, how big was it, and what exactly was your part?",
}
GENERIC_OUTCOME_FOLLOW_UPS: dict[str, str] = {
    "coding": "What are the final time and space complexity, and which input would you test first to convince me it is right?",
    "fundamentals": "If you had to commit to one option right now, which would it be, and what are you giving up by choosing it?",
    "system_design": "If you had to commit to one key design choice right now, which is it, and what does it cost you?",
    "behavioral": "How did you know it worked? Give me a number: what changed, from what to what?",
}


class FlagCode(StrEnum):
    """Every flag code an analysis can carry, shared by scoring (which raises them), the feedback
    (which folds and orders them) and the front ends. A code is its own string value ("long_silence"),
    so stored and serialised flags read the same as before. Structure gaps are `missing_<element>`
    (`FlagCode.missing`); the ones other code refers to by name have a member here."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    MISSING_OUTCOME = "missing_outcome"
    NO_MEASURABLE_RESULT = "no_measurable_result"
    MISSING_ASSUMPTIONS = "missing_assumptions"
    ASSUMPTIONS_LATE = "assumptions_late"
    TEAM_NOT_I = "team_not_i"
    SLOW_START = "slow_start"
    LONG_SILENCE = "long_silence"
    BUZZWORDS_WITHOUT_REASONING = "buzzwords_without_reasoning"
    VAGUE_ANSWER = "vague_answer"
    MISSING_RESULT = "missing_result"
    MISSING_FAILURE_MODES = "missing_failure_modes"
    MISSING_COMPLEXITY = "missing_complexity"
    MISSING_TESTS = "missing_tests"
    MISSING_SCALE = "missing_scale"
    MISSING_REQUIREMENTS = "missing_requirements"
    MISSING_TRADEOFFS = "missing_tradeoffs"
    MISSING_OBSERVABILITY = "missing_observability"
    MISSING_SCOPE = "missing_scope"
    MISSING_OWNERSHIP = "missing_ownership"
    MISSED_KEY_POINTS = "missed_key_points"
    FILLER_HEAVY = "filler_heavy"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"
    POOR_AUDIO = "poor_audio"

    @staticmethod
    def missing(element: str) -> str:
        """The code of a missing structure element: its member when there is one, else `missing_<element>`."""
        code = f"missing_{element}"
        return FlagCode(code) if code in FlagCode._value2member_map_ else code


CODE_ORDER = (
    FlagCode.TOO_SHORT, FlagCode.MISSING_OUTCOME, FlagCode.NO_MEASURABLE_RESULT, FlagCode.MISSING_ASSUMPTIONS, FlagCode.TEAM_NOT_I, FlagCode.SLOW_START, FlagCode.LONG_SILENCE,
    FlagCode.BUZZWORDS_WITHOUT_REASONING, FlagCode.VAGUE_ANSWER, FlagCode.MISSING_RESULT, FlagCode.MISSING_FAILURE_MODES, FlagCode.MISSING_COMPLEXITY, FlagCode.MISSING_TESTS,
    FlagCode.MISSING_SCALE, FlagCode.MISSING_REQUIREMENTS, FlagCode.MISSING_TRADEOFFS, FlagCode.MISSING_OBSERVABILITY, FlagCode.MISSED_KEY_POINTS,
)


def element_label(e: str) -> str:
    return {
        "assumptions": "assumptions", "outcome": "a clear outcome", "restate": "restating the problem", "baseline": "a baseline",
        "improvement": "a deliberate improvement", "complexity": "complexity", "tests": "tests and edge cases",
        "requirements": "requirements", "scale": "a scale estimate", "entities_apis": "entities and APIs", "architecture": "the architecture",
        "storage": "storage choices", "failure_modes": "failure modes", "observability": "observability", "tradeoffs": "tradeoffs",
        "security": "security", "scope": "context and scope", "constraints": "constraints", "decision": "options and the decision",
        "result": "a measurable result", "learning": "what you learned", "ownership": "your own part",
    }.get(e, e.replace("_", " "))


def _mmss(t: float) -> str:
    t = max(0, int(round(t)))
    return f"{t // 60}:{t % 60:02d}"


@dataclass
class LengthInfo:
    seconds: float  # spoken span, or an estimate for a typed answer
    estimated: bool
    words: int


def build_flags(question: Question, struct: StructureReport, timing: TimingReport, length: LengthInfo,
                key_missed: list[str], key_total: int, threshold_s: float) -> list[Flag]:
    cat = question.category
    flags: list[Flag] = []
    # delivery: silences first-class, with timestamps
    for s in timing.silences:
        # a long pause is what the interviewer remembers, so it always ranks as major
        sev = 3
        flags.append(Flag(FlagCode.LONG_SILENCE, f"{s.duration_s:.1f} s of silence. Keep narrating while you think: say what you are weighing, even briefly.", s.start, sev))
    if timing.time_to_first_word_s is not None and timing.time_to_first_word_s >= threshold_s:
        flags.append(Flag(FlagCode.SLOW_START, f"You took {timing.time_to_first_word_s:.1f} s to start. Buy time out loud instead: restate the question or name your first assumption.", 0.0, 3))

    if length.words == 0:
        flags.append(Flag(FlagCode.TOO_SHORT, "No answer came through. Try again and think out loud from the first second; even a rough plan counts.", None, 3))
        return _order(flags)

    # structure
    p = struct.present
    late_msg = "Your assumptions came late in the answer. Say them in the first minute, before you build on them."
    if not p.get("assumptions"):
        if struct.assumptions_late:  # stated, but only after solving: a different fix from "state some"
            flags.append(Flag(FlagCode.ASSUMPTIONS_LATE, late_msg, None, 2))
        else:
            flags.append(Flag(FlagCode.MISSING_ASSUMPTIONS, ASSUMPTION_MESSAGES.get(cat, ASSUMPTION_MESSAGES["coding"]), None, 3))
    elif struct.assumptions_late and struct.hits.get("assumptions") is not None:
        h = struct.hits["assumptions"]
        flags.append(Flag(FlagCode.ASSUMPTIONS_LATE, late_msg, h.time if h else None, 1))
    if not p.get("outcome"):
        if cat == "behavioral":
            if not struct.qualitative_result:
                flags.append(Flag(FlagCode.MISSING_OUTCOME, OUTCOME_MESSAGES["behavioral"], None, 3))
            flags.append(Flag(FlagCode.NO_MEASURABLE_RESULT, "Give the result a number: latency before and after, incidents per month, hours saved, error rate. \"It went well\" is not a result.", None, 3))
        else:
            flags.append(Flag(FlagCode.MISSING_OUTCOME, OUTCOME_MESSAGES.get(cat, OUTCOME_MESSAGES["coding"]), None, 3))
    for e, ok in p.items():
        if e in ("assumptions", "outcome") or ok:
            continue
        sev = 3 if e in ("failure_modes", "complexity", "result") else 2
        flags.append(Flag(FlagCode.missing(e), MISSING_MESSAGES.get(e, f"Cover {element_label(e)}."), None, sev))

    if struct.buzzwords_unreasoned and (len(struct.buzzwords_unreasoned) >= 2 or len(struct.buzzwords_unreasoned) == len(struct.buzzwords)):
        names = ", ".join(struct.buzzwords_unreasoned[:4])
        h = struct.buzz_hit
        flags.append(Flag(FlagCode.BUZZWORDS_WITHOUT_REASONING, f"You named {names} without saying why. For each tool, give the reason it fits (\"Kafka, because consumers can replay after a crash\") or drop it.", h.time if h else None, 2))
    if cat == "behavioral":
        total = struct.i_count + struct.we_count
        if struct.we_count >= 3 and struct.i_count < 0.5 * struct.we_count and total > 0:
            flags.append(Flag(FlagCode.TEAM_NOT_I, f"Mostly \"we\" ({struct.we_count}x) and little \"I\" ({struct.i_count}x). Say what you personally decided and did.", None, 3))
    if struct.vague:
        quoted = ", ".join(f"\"{w}\"" for w in struct.vague_examples) or "\"scalable\", \"robust\""
        flags.append(Flag(FlagCode.VAGUE_ANSWER, f"It stays general ({quoted}). Replace each generality with a concrete detail: a number, a component, a specific failure.", None, 2))

    # pace and fillers
    if timing.word_count >= 20 and timing.filler_words >= 4 and 100.0 * timing.filler_words / timing.word_count > FILLER_HEAVY_PER_100:
        flags.append(Flag(FlagCode.FILLER_HEAVY, f"{timing.filler_words} filler words (um, uh, like, you know). A short silent pause sounds more confident than a filler.", None, 1))
    pace = timing.articulation_wpm
    if pace is not None and length.words >= 30 and (timing.speaking_span_s or 0) >= 15:
        if pace > TOO_FAST_WPM:
            flags.append(Flag(FlagCode.TOO_FAST, f"About {pace:.0f} words a minute is fast. Slow down at the key decisions so they land.", None, 1))
        elif pace < TOO_SLOW_WPM:
            flags.append(Flag(FlagCode.TOO_SLOW, f"About {pace:.0f} words a minute is slow. Aim for a steady 120-160 by thinking in short spoken steps.", None, 1))

    # length against target
    target = max(1, question.target_seconds)
    if length.words < 40 or length.seconds < TOO_SHORT_FRAC * target:
        sev = 3 if length.words < 40 else 2
        how = ("Tell the whole story: the situation, what you did yourself, and the result with a number."
               if cat == "behavioral" else
               "Walk through your reasoning step by step: assumptions, approach, then how you would check it.")
        flags.append(Flag(FlagCode.TOO_SHORT, f"The answer is short (about {_mmss(length.seconds)} for a {_mmss(target)} target). {how}", None, sev))
    elif length.seconds > TOO_LONG_FRAC * target and length.seconds > target + 60:
        flags.append(Flag(FlagCode.TOO_LONG, f"The answer runs long (about {_mmss(length.seconds)} for a {_mmss(target)} target). Lead with the structure and cut detours.", None, 2))

    if key_total and key_missed and len(key_missed) / key_total > 0.5:
        flags.append(Flag(FlagCode.MISSED_KEY_POINTS, "Key points you did not touch: " + "; ".join(key_missed[:4]) + ".", None, 2))
    return _order(flags)


def _order(flags: list[Flag]) -> list[Flag]:
    def key(f: Flag) -> tuple[int, int, float]:
        rank = CODE_ORDER.index(f.code) if f.code in CODE_ORDER else len(CODE_ORDER)
        return (-f.severity, rank, f.at_s if f.at_s is not None else 0.0)
    return sorted(flags, key=key)


def compute_score(question: Question, struct: StructureReport, timing: TimingReport, length: LengthInfo,
                  key_covered: int, key_total: int, flags: list[Flag], is_audio: bool) -> int:
    if length.words == 0:
        return 0
    weights = {e: HEAVY_ELEMENTS.get(e, 1.0) for e in struct.present}
    s_frac = sum(w for e, w in weights.items() if struct.present[e]) / max(1e-9, sum(weights.values()))
    w_struct, w_key = W_STRUCTURE, W_KEYPOINTS
    if key_total == 0:
        w_struct, w_key = W_STRUCTURE + W_KEYPOINTS, 0.0
    k_frac = key_covered / key_total if key_total else 0.0

    words = max(1, timing.word_count)
    filler_rate = 100.0 * timing.filler_words / words
    d = 1.0 - min(0.3, 0.05 * max(0.0, filler_rate - FILLERS_PER_100_OK))
    if is_audio:
        inner = [s for s in timing.silences if s.start > 0.01 or (timing.time_to_first_word_s or 0) < 0.01]
        d -= min(0.5, 0.12 * len(inner))
        if any(f.code == FlagCode.SLOW_START for f in flags):
            d -= 0.15
        if any(f.code in (FlagCode.TOO_FAST, FlagCode.TOO_SLOW) for f in flags):
            d -= 0.15
    d = max(0.0, d)

    r = length.seconds / max(1, question.target_seconds)
    if r < 0.15:
        l_frac = 0.0
    elif r < 0.6:
        l_frac = (r - 0.15) / 0.45
    elif r <= 1.6:
        l_frac = 1.0
    elif r <= 3.0:
        l_frac = 1.0 - 0.7 * (r - 1.6) / 1.4
    else:
        l_frac = 0.3

    score = w_struct * s_frac + w_key * k_frac + W_DELIVERY * d + W_LENGTH * l_frac
    codes = {f.code for f in flags}
    score -= 5 if FlagCode.BUZZWORDS_WITHOUT_REASONING in codes else 0
    score -= 6 if FlagCode.TEAM_NOT_I in codes else 0
    score -= 6 if FlagCode.VAGUE_ANSWER in codes else 0
    score -= 3 if FlagCode.ASSUMPTIONS_LATE in codes else 0
    if length.words < 15:
        score = min(score, 10)
    elif length.words < 40:
        score = min(score, 40)
    return int(max(0, min(100, round(score))))


def biggest_gap(question: Question, struct: StructureReport, flags: list[Flag]) -> str | None:
    codes = {f.code for f in flags}
    missing = {e for e, ok in struct.present.items() if not ok}
    if FlagCode.TEAM_NOT_I in codes:
        missing.add("ownership")
    for e in GAP_PRIORITY.get(question.category, ()):
        if e in missing:
            return e
    return next(iter(sorted(missing)), None)


def choose_follow_up(question: Question, gap: str | None) -> str:
    """One follow-up aimed at the biggest gap; the question's own follow-ups win when one fits."""
    if gap is None:
        return question.follow_ups[0] if question.follow_ups else "What would you change in your answer if the load grew ten times?"
    key = gap
    if gap == "outcome":
        key = {"behavioral": "result", "coding": "complexity"}.get(question.category, "tradeoffs")
    pattern = FOLLOW_UP_KEYWORDS.get(key)
    if pattern:
        rx = re.compile(pattern, re.I)
        for fu in question.follow_ups:
            if rx.search(fu):
                return fu
    if gap == "assumptions":
        return GENERIC_ASSUMPTION_FOLLOW_UPS.get(question.category, GENERIC_ASSUMPTION_FOLLOW_UPS["coding"])
    if gap == "outcome":
        return GENERIC_OUTCOME_FOLLOW_UPS.get(question.category, GENERIC_OUTCOME_FOLLOW_UPS["coding"])
    specific = GENERIC_BY_CATEGORY.get((question.category, gap))
    if specific:
        return specific
    return GENERIC_FOLLOW_UPS.get(gap, question.follow_ups[0] if question.follow_ups else "What would you do next?")


def derive_strengths(struct: StructureReport, timing: TimingReport, key_covered: list[str], key_total: int,
                     flags: list[Flag], is_audio: bool, category: str) -> list[str]:
    out: list[str] = []
    p = struct.present
    codes = {f.code for f in flags}
    if p.get("assumptions") and FlagCode.ASSUMPTIONS_LATE not in codes:
        out.append("Set the context up front" if category == "behavioral" else "Stated assumptions before solving")
    if p.get("outcome"):
        out.append({
            "coding": "Landed it with complexity or tests",
            "behavioral": "Ended on a measurable result",
        }.get(category, "Committed to a decision with its reasoning"))
    others = [e for e, ok in p.items() if ok and e not in ("assumptions", "outcome")]
    if others:
        out.append("Covered " + ", ".join(element_label(e) for e in others[:5]))
    if key_total and key_covered:
        out.append(f"Hit {len(key_covered)} of {key_total} key points")
    if is_audio and timing.word_count >= 20:
        if not timing.silences:
            out.append("Kept talking through the thinking, no long pauses")
        pace = timing.articulation_wpm
        if pace is not None and TOO_SLOW_WPM <= pace <= TOO_FAST_WPM:
            out.append(f"Steady pace while speaking ({pace:.0f} words a minute, pauses aside)")
    if timing.word_count >= 30 and FlagCode.FILLER_HEAVY not in codes and timing.filler_words <= 2:
        out.append("Few filler words")
    if struct.buzzwords and not struct.buzzwords_unreasoned:
        out.append("Gave a reason for each tool named")
    return out


NEXT_STEP: dict[str, str] = {
    "long_silence": "keep talking through the long pauses", "slow_start": "start talking sooner",
    "too_short": "develop the answer further", "too_long": "tighten it up", "filler_heavy": "cut the fillers",
    "too_fast": "slow down a little", "too_slow": "pick up the pace", "buzzwords_without_reasoning": "give a reason for each tool",
    "vague_answer": "swap generalities for concrete details", "team_not_i": "say what you did yourself",
    "missed_key_points": "cover the key points you missed", "assumptions_late": "state assumptions earlier",
}


def make_summary(score: int, strengths: list[str], gap: str | None, category: str, words: int,
                 flags: list[Flag] | None = None) -> str:
    if words == 0:
        return "No answer was heard, so there is nothing to score yet."
    if words < 15:
        return f"{score}/100: too short to judge; talk through your approach step by step."
    lead = strengths[0].lower() if strengths else "you made a start"
    if gap is None:
        nxt = next((NEXT_STEP[f.code] for f in (flags or []) if f.code in NEXT_STEP), None)
        if nxt:
            return f"{score}/100: every expected part is there; {lead}. Next, {nxt}."
        return f"{score}/100: a complete, well-structured answer; {lead}."
    gap_text = element_label(gap)
    if gap == "outcome" and category == "behavioral":
        gap_text = "a measurable result"
    delivery = next((NEXT_STEP[f.code] for f in (flags or []) if f.code in (FlagCode.LONG_SILENCE, FlagCode.SLOW_START, FlagCode.FILLER_HEAVY)), None)
    if delivery:
        return f"{score}/100: {lead}. The biggest gap is {gap_text}; also {delivery}."
    return f"{score}/100: {lead}. The biggest gap is {gap_text}."
