"""Role-tailored questions: read a job description (or CV summary) for skills, and the one picking
policy every practice path uses (mock rounds, a plan member's daily question, `python -m bot questions`).

Reading: the text is cleaned of markup (HTML tags and entities, markdown, links, code fences),
checked (not empty, not huge, written in English), and matched against the cues of
`bot.skills.SKILLS`. Each skill gets a weight that grows with how often the description names it,
with diminishing returns, and the role title counts double.

Picking: a question scores the sum of the weights of the needed skills it exercises, divided by
the square root of how many skills it has (a focused question beats one that lists everything).
Variety comes from two penalties as picks accumulate: a category already picked costs, and a
skill already covered counts for half. Among candidates within `NEAR_BEST` of the best score, the
random generator chooses, so a member does not get the same round every time. Without needs (no
profile, or a description that named no skill), the policy is a plain random pick; the reason
says so.
"""

from __future__ import annotations

import html
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import DIFFICULTIES, Question
from bot.skills import SKILLS, describe

MAX_DESCRIPTION_CHARS = 12_000  # after cleaning; a long posting's requirements fit well within this
MAX_RAW_CHARS = 60_000  # before cleaning: markup-heavy pastes get room, but not unbounded
MAX_ROLE_CHARS = 100
MIN_WORDS = 3
NEAR_BEST = 0.85  # candidates scoring at least this share of the best are drawn from at random
CATEGORY_PENALTY = 0.35  # per earlier pick from the same category, as a share of the score
MAX_EVIDENCE = 3  # cue words quoted per skill in a reason

# Common English words: a description of some length that has almost none is in another language.
_ENGLISH = frozenset(
    "the and to of a in for with you we our is are will on as be an or your this that have has who "
    "what from by at about into across work team experience years build building help using".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


class DescriptionError(ValueError):
    """The description cannot be used; the message says why and what to paste instead."""


@dataclass(frozen=True)
class RoleNeeds:
    """What a target role asks for: skill tag → weight, and the words that showed it."""

    weights: dict[str, float]
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    role: str = ""
    notes: tuple[str, ...] = ()  # e.g. that formatting was removed
    domains: tuple[str, ...] = ()  # keys of DOMAINS the text names, most mentioned first

    @property
    def empty(self) -> bool:
        return not self.weights

    def top(self, n: int = 5) -> list[str]:
        return [t for t, _ in sorted(self.weights.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]

    @classmethod
    def from_tags(cls, tags: Iterable[str], role: str = "", text: str = "") -> RoleNeeds:
        """Needs rebuilt from stored tags (a saved profile keeps the matched tags, in weight order);
        `text` (the stored description) gives back the domains."""
        known = [t for t in tags if t in SKILLS]
        n = len(known)
        return cls({t: 1.0 + (n - i) / max(n, 1) for i, t in enumerate(known)}, role=role,
                   domains=find_domains(f"{role}\n{text}"))


# ---------------------------------------------------------------- the role's domain

# domain → (cues, a follow-up that puts a design answer in that world; our wording)
DOMAINS: dict[str, tuple[tuple[str, ...], str]] = {
    "payments": ((r"payments?", r"billing", r"checkout", r"ledgers?", r"refunds?", r"payouts?", r"card", r"money",
                  r"fintech", r"banking"),
                 "On a payments team, what would your design do about a double charge, and how would you find "
                 "out that one happened?"),
    "vehicles": ((r"vehicles?", r"fleet", r"cars?", r"automotive", r"trucks?"),
                 "For a fleet of vehicles on patchy mobile networks: what changes when a car is offline for hours "
                 "and then sends everything at once?"),
    "devices": ((r"iot", r"devices?", r"sensors?", r"chargers?", r"firmware", r"embedded", r"solar", r"batter(?:y|ies)"),
                "With thousands of devices in the field, what happens here when a firmware bug makes them all "
                "misbehave at once?"),
    "data": ((r"analytics", r"warehouse", r"data platforms?", r"etl", r"data pipelines?", r"data lake"),
             "If other teams built reports on this data, how would you change it without breaking their pipelines?"),
    "commerce": ((r"e-?commerce", r"retail", r"marketplace", r"shop\w*", r"orders?"),
                 "During a big sale with ten times the usual orders, what breaks first here, and what would you do "
                 "about it?"),
    "manufacturing": ((r"factor(?:y|ies)", r"manufactur\w*", r"production lines?", r"supply chain"),
                      "If this stopped for ten minutes on a factory floor, what would the line see, and how would "
                      "you keep it moving?"),
}
_DOMAIN_RX = {d: re.compile(r"\b(?:" + "|".join(cues) + r")\b") for d, (cues, _) in DOMAINS.items()}
ROLE_FOLLOW_UP_CATEGORIES = ("system_design", "fundamentals")


def find_domains(text: str) -> tuple[str, ...]:
    """The domains a description names, most mentioned first (ties in table order)."""
    low = (text or "").lower()
    counts = {d: len(rx.findall(low)) for d, rx in _DOMAIN_RX.items()}
    return tuple(d for d in sorted(counts, key=lambda d: -counts[d]) if counts[d])


def role_follow_up(needs: RoleNeeds | None, question: Question) -> str | None:
    """A follow-up that places the answer in the member's domain, for design and fundamentals questions."""
    if needs is None or not needs.domains or question.category not in ROLE_FOLLOW_UP_CATEGORIES:
        return None
    return DOMAINS[needs.domains[0]][1]


# ---------------------------------------------------------------- reading a description

_FENCE = re.compile(r"```.*?```", re.S)
_TAG = re.compile(r"<[^>]{0,500}>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_MD_MARKS = re.compile(r"(^|\s)[#>*+-]{1,6}(?=\s)|[*_~`|]{1,3}|^\s*\d+[.)]\s", re.M)


def clean_markup(text: str) -> str:
    """Plain words from a pasted description: HTML, markdown, links and code fences removed."""
    t = _FENCE.sub(" ", text)
    t = _TAG.sub(" ", t)
    t = html.unescape(t)
    t = _MD_LINK.sub(r"\1", t)
    t = _URL.sub(" ", t)
    t = _MD_MARKS.sub(" ", t)
    return " ".join(t.split())


def read_description(text: str, role: str = "") -> RoleNeeds:
    """Skills a pasted job description (and role title) asks for; `DescriptionError` when unusable."""
    raw = text or ""
    role = " ".join((role or "").split())
    if len(role) > MAX_ROLE_CHARS:
        raise DescriptionError(f"The role title is {len(role)} characters; keep it under {MAX_ROLE_CHARS} "
                               "(for example 'Backend engineer, payments').")
    if len(raw) > MAX_RAW_CHARS:
        raise DescriptionError(
            f"That description is {len(raw):,} characters, too long to read. Paste only the part about the "
            f"role and its requirements (up to {MAX_DESCRIPTION_CHARS:,} characters).")
    cleaned = clean_markup(raw)
    notes: list[str] = []
    if raw.strip() and not _WORD.search(cleaned) and _WORD.search(raw):
        raise DescriptionError("That description is only formatting (tags, links or symbols) with no words "
                               "I can read. Paste the text of the posting instead.")
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        raise DescriptionError(
            f"That description is {len(cleaned):,} characters even without formatting; paste only the part "
            f"about the role and its requirements (up to {MAX_DESCRIPTION_CHARS:,} characters).")
    stripped = len(raw.strip()) - len(cleaned)
    if raw.strip() and stripped > 0.3 * len(raw.strip()):
        notes.append("I removed the formatting (HTML or markdown) and read the words only.")
    words = _WORD.findall(cleaned)
    role_words = _WORD.findall(role)
    if len(words) + len(role_words) < MIN_WORDS:
        raise DescriptionError(
            "That description is empty or too short to tell what the role needs. Paste a few lines of the "
            "posting or your CV summary, for example 'Backend engineer on payments: Postgres, Kafka, on-call'.")
    _check_language(words + role_words)
    body = cleaned.lower()
    found: dict[str, list[str]] = {}
    for tag, skill in SKILLS.items():
        hits = skill.find(body)
        role_hits = skill.find(role.lower())
        if hits or role_hits:
            found[tag] = role_hits * 2 + hits
    if not found:
        raise DescriptionError(
            "I couldn't find any skills I know in that text, so I can't fit questions to it. Paste the "
            "requirements part of the posting, or name the main skills (for example: SQL, Kafka, APIs, "
            "on-call, system design).")
    weights = {t: round(1.0 + math.log(len(h)), 3) for t, h in found.items()}
    evidence = {t: _distinct(h)[:MAX_EVIDENCE] for t, h in found.items()}
    return RoleNeeds(weights, evidence, role, tuple(notes), find_domains(f"{role}\n{cleaned}"))


def _distinct(words: Iterable[str]) -> tuple[str, ...]:
    """Matched words without near repeats ('api' and 'apis' count once), first seen first."""
    out: dict[str, str] = {}
    for w in words:
        out.setdefault(w.rstrip("s"), w)
    return tuple(out.values())


def _check_language(words: Sequence[str]) -> None:
    """Refuse text that is not English: the skill cues are English words, so matching would be noise."""
    letters = "".join(words)
    if not letters:
        return
    latin = sum(1 for ch in letters if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    if latin / len(letters) < 0.7:
        raise DescriptionError(
            "That description seems to be in another language. I match skills in English only; paste an "
            "English version (a translation is fine) or list the main skills in English.")
    if len(words) >= 15:
        common = sum(1 for w in words if w.lower() in _ENGLISH)
        if common / len(words) < 0.06:
            raise DescriptionError(
                "That description doesn't read as English to me. I match skills in English only; paste an "
                "English version or list the main skills in English.")


# ---------------------------------------------------------------- the picking policy


@dataclass(frozen=True)
class Pick:
    question: Question
    matched: tuple[str, ...]  # needed skills this question exercises, strongest first
    reason: str  # one sentence for the member


def _base_score(q: Question, needs: RoleNeeds, covered: Counter[str]) -> float:
    total = sum(needs.weights[t] * (0.5 ** covered[t]) for t in q.skills if t in needs.weights)
    return total / math.sqrt(max(1, len(q.skills)))


def _reason(q: Question, matched: Sequence[str], needs: RoleNeeds | None) -> str:
    if needs is None or needs.empty:
        return "A random pick: set a target role with /profile set to get questions fitted to it."
    if not matched:
        return "For variety: it covers ground your description doesn't name."
    parts = []
    for t in matched[:3]:
        words = needs.evidence.get(t, ())
        parts.append(describe(t) + (f" (you mentioned {', '.join(repr(w) for w in words[:2])})" if words else ""))
    for_role = f" for {needs.role}" if needs.role else ""
    return f"Picked{for_role} because it exercises " + "; ".join(parts) + "."


def _filtered(questions: Sequence[Question], category: str | None, difficulty: str | None,
              exclude: set[str]) -> list[Question]:
    return sorted((q for q in questions
                   if (category is None or q.category == category)
                   and (difficulty is None or q.difficulty == difficulty)
                   and q.id not in exclude), key=lambda q: q.id)


def choose(
    questions: Sequence[Question],
    needs: RoleNeeds | None,
    *,
    categories: Sequence[str] = (),
    difficulty: str | None = None,
    asked: Sequence[str] = (),
    exclude: Iterable[str] = (),
    rng: random.Random | None = None,
) -> Pick | None:
    """The next question after `asked` (earlier picks in this round or plan, in order; they steer
    variety): among `categories` (any when empty) and `difficulty`, never one in `asked` or
    `exclude` (ids to avoid without steering, such as a member's long history). None when nothing fits."""
    rng = rng or random.Random()
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}")
    exclude = set(asked) | set(exclude)
    pool = [q for c in (categories or (None,)) for q in _filtered(questions, c, difficulty, exclude)]
    if not pool:
        return None
    if needs is None or needs.empty:
        q = rng.choice(pool)
        return Pick(q, (), _reason(q, (), needs))
    by_id = {q.id: q for q in questions}
    earlier = [by_id[i] for i in asked if i in by_id]
    covered: Counter[str] = Counter(t for q in earlier for t in q.skills if t in needs.weights)
    used_cats: Counter[str] = Counter(q.category for q in earlier)
    scored = []
    for q in pool:
        s = _base_score(q, needs, covered) * (1.0 - CATEGORY_PENALTY) ** used_cats[q.category]
        scored.append((s, q))
    best = max(s for s, _ in scored)
    if best <= 0:
        q = rng.choice(pool)
        return Pick(q, (), _reason(q, (), needs))
    near = [q for s, q in scored if s >= NEAR_BEST * best]
    q = rng.choice(near)
    matched = tuple(sorted((t for t in q.skills if t in needs.weights), key=lambda t: (-needs.weights[t], t)))
    return Pick(q, matched, _reason(q, matched, needs))


def choose_many(
    questions: Sequence[Question],
    needs: RoleNeeds | None,
    count: int,
    *,
    categories: Sequence[str] = (),
    difficulty: str | None = None,
    rng: random.Random | None = None,
) -> list[Pick]:
    """`count` picks in a row (fewer when the filters run out), each varied against the ones before."""
    rng = rng or random.Random()
    picks: list[Pick] = []
    for _ in range(count):
        p = choose(questions, needs, categories=categories, difficulty=difficulty,
                   asked=[x.question.id for x in picks], rng=rng)
        if p is None:
            break
        picks.append(p)
    return picks


def next_for_round(
    questions: Sequence[Question],
    needs: RoleNeeds | None,
    *,
    category: str | None,
    difficulty: str | None,
    asked: Sequence[str],
    rng: random.Random | None = None,
) -> Pick:
    """A round's next question: loosen the difficulty, then the category, rather than end early;
    when everything was asked, allow a repeat."""
    for cat, diff in ((category, difficulty), (category, None), (None, None)):
        p = choose(questions, needs, categories=(cat,) if cat else (), difficulty=diff, asked=asked, rng=rng)
        if p is not None:
            return p
    p = choose(questions, needs, rng=rng)
    if p is None:
        raise LookupError("the question bank is empty")
    return p


QuestionPicker = Callable[[int, Sequence[str]], Question]
"""`picker(index, asked_ids) -> Question`: choose question number `index` (1-based),
avoiding the ids already asked."""


def make_picker(bank: Any, first: Question | None, category: str | None, difficulty: str | None,
                rng: random.Random | None = None, *, needs: RoleNeeds | None = None,
                reasons: dict[str, str] | None = None) -> QuestionPicker:
    """`picker(index, asked)`: the chosen question first, then this module's one picking policy
    (`next_for_round`: fitted to the member's role when `needs` is given, else random),
    loosening the difficulty, then the category, rather than ending the round early. With `needs`,
    why each question was picked goes into `reasons` (shown on its card)."""

    def pick(index: int, asked: Sequence[str]) -> Question:
        if index == 1 and first is not None:
            return first
        p = next_for_round(bank.questions, needs, category=category, difficulty=difficulty, asked=asked, rng=rng)
        if reasons is not None and needs is not None:
            reasons[p.question.id] = p.reason
        return p.question

    return pick
