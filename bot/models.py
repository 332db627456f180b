"""Plain data types shared by every part of the engine (no I/O, no discord)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CATEGORIES: tuple[str, ...] = ("coding", "fundamentals", "system_design", "behavioral")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

# How each category is named to users, everywhere: embeds, slash-command choices, the terminal.
CATEGORY_LABELS: dict[str, str] = {
    "coding": "Coding", "fundamentals": "Backend fundamentals", "system_design": "System design",
    "behavioral": "Behavioral",
}


def category_label(category: str) -> str:
    """A category as users read it ("System design"); lower-case it inside a sentence."""
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())

# Every structure element an answer can be checked for, with the words a coach would use.
# `assumptions` and `outcome` are always checked, whatever the question lists in `expected`.
STRUCTURE_ELEMENTS: dict[str, str] = {
    # every category
    "assumptions": "stated assumptions or clarified constraints before solving",
    "outcome": "landed the answer: a result, a decision with its tradeoff, or final complexity and verification",
    # coding
    "restate": "restated the problem in their own words",
    "baseline": "gave a simple correct baseline first",
    "improvement": "improved on the baseline deliberately",
    "complexity": "stated time and space complexity",
    "tests": "walked through tests: normal, edge and failure cases",
    # system design
    "requirements": "clarified functional and non-functional requirements",
    "scale": "estimated scale (rates, volumes, sizes)",
    "entities_apis": "defined core entities and APIs",
    "architecture": "described the high-level architecture",
    "storage": "chose storage and messaging with reasons",
    "failure_modes": "covered failure modes: retries, duplicates, backpressure, outages",
    "observability": "named metrics, alerts, logs or traces",
    "tradeoffs": "weighed tradeoffs between options",
    "security": "covered auth, secrets or audit",
    # behavioral
    "scope": "set the context and what they owned",
    "constraints": "named the constraints: scale, time pressure, reliability",
    "decision": "laid out options and the decision taken",
    "result": "gave a measurable result",
    "learning": "said what they learned or would change",
    "ownership": "spoke about what they personally did (\"I\", not only \"we\")",
}


@dataclass(frozen=True)
class KeyPoint:
    """A rubric item: covered when any trigger phrase (or close variant) is heard."""

    id: str
    label: str
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    prompt: str
    follow_ups: tuple[str, ...]
    expected: tuple[str, ...]
    key_points: tuple[KeyPoint, ...]
    target_seconds: int
    difficulty: str
    hint: str = ""
    source_file: str = ""
    skills: tuple[str, ...] = ()  # tags from bot.skills.SKILLS
    strong_outline: tuple[str, ...] = ()  # what a strong answer covers, shown only after answering
    challenges: tuple[str, ...] = ()  # counter-arguments for pushback after a committed decision


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span in seconds from the start of the audio."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass
class Transcript:
    words: list[Word]
    duration_s: float  # length of the audio that was transcribed
    text: str = ""
    # voiced stretches between words that whisper left out ("uhhh", "mmm"): bot/speech/hesitations.py
    hesitations: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.text:
            self.text = " ".join(w.text.strip() for w in self.words).strip()


@dataclass(frozen=True)
class Silence:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return round(self.end - self.start, 2)

    def to_dict(self) -> dict[str, float]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "duration_s": self.duration_s}


@dataclass(frozen=True)
class Flag:
    code: str  # stable snake_case
    message: str
    at_s: float | None = None
    severity: int = 2  # 1 = minor, 2 = normal, 3 = major; orders the top fixes
    quote: str | None = None  # the candidate's words at the moment the flag refers to
    suggestion: str | None = None  # what a stronger sentence would have said there

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.at_s is not None:
            d["at_s"] = round(self.at_s, 2)
        if self.quote:
            d["quote"] = self.quote
        if self.suggestion:
            d["suggestion"] = self.suggestion
        return d


@dataclass
class Analysis:
    """The result of analysing one answer; `to_contract()` is the JSON of docs/architecture.md."""

    question_id: str
    category: str
    transcript: str
    duration_s: float | None
    metrics: dict[str, float | int | None]
    silences: list[Silence]
    structure: dict[str, bool]
    flags: list[Flag]
    score: int
    follow_up: str
    summary: str
    strengths: list[str] = field(default_factory=list)
    key_points_covered: list[str] = field(default_factory=list)
    key_points_missed: list[str] = field(default_factory=list)

    def to_contract(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "category": self.category,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 2),
            "transcript": self.transcript,
            "metrics": self.metrics,
            "silences": [s.to_dict() for s in self.silences],
            "structure": dict(self.structure),
            "flags": [f.to_dict() for f in self.flags],
            "score": self.score,
            "follow_up": self.follow_up,
            "summary": self.summary,
            "strengths": list(self.strengths),
            "key_points": {"covered": list(self.key_points_covered), "missed": list(self.key_points_missed)},
        }


def as_dict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
