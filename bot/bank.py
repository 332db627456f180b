"""Load and validate the question bank (`question_bank/*.toml`, stdlib `tomllib`).

Each file holds one category:

    category = "coding"

    [[questions]]
    id = "coding-rate-limiter"          # stable kebab-case slug, unique across the bank
    category = "coding"                 # optional; must match the file's category
    prompt = "..."                      # what the bot speaks: plain sentences, no markdown
    hint = "..."                        # optional one-line nudge
    follow_ups = ["...", "..."]
    expected = ["assumptions", "baseline", ...]   # names from bot.models.STRUCTURE_ELEMENTS
    key_points = [{ id = "...", label = "...", triggers = ["...", "..."] }]
    target_seconds = 180                # 15..900
    difficulty = "medium"               # easy | medium | hard
    skills = ["reliability", "api-design"]        # 1..5 tags from bot.skills.SKILLS
    strong_outline = ["...", "..."]     # 3..8 points a strong answer covers (shown after answering)
    challenges = ["...", "..."]         # 2+ counter-arguments for pushback mode

Validation collects every problem in every file before failing, so one run of
`python -m bot bank --validate` shows all of them; each problem names the file, the question
(by id, or by position when the id is missing) and the field.
"""

from __future__ import annotations

import difflib
import random
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.models import CATEGORIES, DIFFICULTIES, STRUCTURE_ELEMENTS, KeyPoint, Question
from bot.skills import SKILLS

MIN_TARGET_SECONDS = 15
MAX_TARGET_SECONDS = 900

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_KEYS = {"category", "questions"}
_REQUIRED = ("id", "prompt", "follow_ups", "expected", "key_points", "target_seconds", "difficulty",
             "skills", "strong_outline", "challenges")
MAX_SKILLS = 5
OUTLINE_POINTS = (3, 8)  # fewest and most points in a strong outline
MIN_CHALLENGES = 2
MAX_TEXT_CHARS = 300  # one outline point or challenge: a spoken sentence or two
_OPTIONAL = ("category", "hint")
_QUESTION_KEYS = set(_REQUIRED) | set(_OPTIONAL)
_KEY_POINT_KEYS = {"id", "label", "triggers"}

# Words people type for a category (in a slash command or on the CLI) → the canonical name.
CATEGORY_ALIASES: dict[str, str] = {
    "code": "coding",
    "algorithms": "coding",
    "fundamental": "fundamentals",
    "backend": "fundamentals",
    "design": "system_design",
    "system-design": "system_design",
    "system design": "system_design",
    "systemdesign": "system_design",
    "sd": "system_design",
    "behavior": "behavioral",
    "behaviour": "behavioral",
    "behavioural": "behavioral",
}


class BankError(ValueError):
    """The bank cannot be used. `problems` lists every problem found, one line each."""

    def __init__(self, problems: Iterable[str], *, header: str = "") -> None:
        self.problems: list[str] = list(problems)
        n = len(self.problems)
        self.header = header or f"question bank has {n} problem{'s' if n != 1 else ''}"
        if n == 1 and not header:
            message = self.problems[0]
        else:
            message = self.header + ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class UnknownQuestion(KeyError):
    """`Bank.get` was given an id the bank does not hold; the message suggests close ids."""

    def __init__(self, question_id: str, suggestions: Iterable[str] = ()) -> None:
        self.question_id = question_id
        self.suggestions: tuple[str, ...] = tuple(suggestions)
        msg = f"unknown question id {question_id!r}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(msg)  # args[0] is the whole message, for callers that read it

    def __str__(self) -> str:  # KeyError's own str() would wrap the message in quotes
        return str(self.args[0])


class NoMatchingQuestion(LookupError):
    """`Bank.pick` found nothing for the filters it was given."""


def normalize_category(name: str) -> str:
    """Map what a person typed ("design", "Behaviour") to a category name; raise when unknown."""
    key = name.strip().lower().replace("_", " ") if name else ""
    for candidate in (key.replace(" ", "_"), key):
        if candidate in CATEGORIES:
            return candidate
        if candidate in CATEGORY_ALIASES:
            return CATEGORY_ALIASES[candidate]
    raise NoMatchingQuestion(f"unknown category {name!r}; choose one of: {', '.join(CATEGORIES)}")


@dataclass(repr=False)
class Bank:
    """The loaded questions, in file order. Look-ups by id, filters, and random picks."""

    questions: list[Question]
    source_dir: Path | None = None
    _by_id: dict[str, Question] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {q.id: q for q in self.questions}

    def __repr__(self) -> str:  # the default would print every question
        where = f" from {self.source_dir}" if self.source_dir else ""
        return f"<Bank {len(self.questions)} questions{where}>"

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def get(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            pass
        wanted = question_id.strip().lower()
        if wanted in self._by_id:  # forgive stray case and spaces
            return self._by_id[wanted]
        raise UnknownQuestion(question_id, self._suggest(wanted))

    def _suggest(self, wanted: str, n: int = 3) -> list[str]:
        """Close ids: fragments first ("rate-limiter"), then near spellings, best first."""
        if not wanted:
            return []
        fragments = [i for i in self._by_id if wanted in i]
        scored = sorted(
            ((difflib.SequenceMatcher(None, wanted, i).ratio(), i) for i in self._by_id),
            key=lambda s: (-s[0], s[1]),
        )
        best = scored[0][0] if scored else 0.0
        # keep only spellings nearly as good as the best one, so a typo gets one clear answer
        near = [i for r, i in scored if r >= max(0.5, best - 0.1)]
        out: list[str] = []
        for i in fragments + near:
            if i not in out:
                out.append(i)
        return out[:n]

    def categories(self) -> tuple[str, ...]:
        """Categories that have at least one question, in the canonical order."""
        present = {q.category for q in self.questions}
        return tuple(c for c in CATEGORIES if c in present)

    def by_category(self, category: str) -> list[Question]:
        cat = normalize_category(category)
        return [q for q in self.questions if q.category == cat]

    def pick(
        self,
        category: str | None = None,
        difficulty: str | None = None,
        exclude: Iterable[str] = (),
        rng: random.Random | None = None,
    ) -> Question:
        """A random question matching the filters, never one whose id is in `exclude`.

        Raises `NoMatchingQuestion` (with a message fit to show a user) when nothing matches.
        """
        cat = normalize_category(category) if category else None
        diff = difficulty.strip().lower() if difficulty else None
        if diff is not None and diff not in DIFFICULTIES:
            raise NoMatchingQuestion(
                f"unknown difficulty {difficulty!r}; choose one of: {', '.join(DIFFICULTIES)}"
            )
        matching = [
            q
            for q in self.questions
            if (cat is None or q.category == cat) and (diff is None or q.difficulty == diff)
        ]
        excluded = set(exclude)
        candidates = sorted((q for q in matching if q.id not in excluded), key=lambda q: q.id)
        if not candidates:
            what = " ".join(x for x in (diff, cat.replace("_", " ") if cat else None) if x) or "any"
            if matching:
                raise NoMatchingQuestion(
                    f"all {len(matching)} {what} questions were excluded (already asked); "
                    "widen the filters or allow repeats"
                )
            raise NoMatchingQuestion(f"the bank has no {what} questions")
        return (rng or random).choice(candidates)


def _display(path: Path) -> str:
    """The path as a person would type it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _kind(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
             list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Collector:
    """Accumulates problems for one file, prefixing each with the file and question."""

    def __init__(self, file_label: str) -> None:
        self.file_label = file_label
        self.problems: list[str] = []

    def file(self, message: str) -> None:
        self.problems.append(f"{self.file_label}: {message}")

    def field(self, where: str, name: str, message: str) -> None:
        self.problems.append(f"{self.file_label}: {where}: field {name!r} {message}")


def _string_list(
    out: _Collector, where: str, name: str, value: Any, *, min_items: int = 1, lower: bool = False
) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        out.field(where, name, f"must be a list of strings (got {_kind(value)} {value!r})")
        return None
    items: list[str] = []
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, str):
            out.field(where, name, f"item {i + 1} must be a string (got {_kind(item)} {item!r})")
            ok = False
        elif not item.strip():
            out.field(where, name, f"item {i + 1} is empty")
            ok = False
        else:
            text = " ".join(item.split())
            items.append(text.lower() if lower else text)
    if ok and len(items) < min_items:
        out.field(where, name, f"needs at least {min_items} item{'s' if min_items != 1 else ''}")
        return None
    return tuple(items) if ok else None


def _prose_list(
    out: _Collector, where: str, name: str, value: Any, fewest: int, most: int | None
) -> tuple[str, ...] | None:
    """A list of short sentences the bot shows or speaks: counted, length-checked, no markdown."""
    items = _string_list(out, where, name, value, min_items=fewest)
    if items is None:
        return None
    ok = True
    if most is not None and len(items) > most:
        out.field(where, name, f"has {len(items)} items; keep it to {most} at most")
        ok = False
    for i, text in enumerate(items, start=1):
        if len(text) > MAX_TEXT_CHARS:
            out.field(where, name, f"item {i} is {len(text)} characters; keep each under {MAX_TEXT_CHARS}")
            ok = False
        if any(mark in text for mark in ("**", "`", "<", ">", "#")):
            out.field(where, name, f"item {i} contains markdown or markup; write plain sentences")
            ok = False
    return items if ok else None


def _key_points(out: _Collector, where: str, value: Any) -> tuple[KeyPoint, ...] | None:
    if not isinstance(value, list) or not value:
        out.field(where, "key_points", f"must be a non-empty list of tables (got {_kind(value)})")
        return None
    points: list[KeyPoint] = []
    seen: set[str] = set()
    ok = True
    for i, kp in enumerate(value):
        name = f"key_points[{i + 1}]"
        if not isinstance(kp, dict):
            out.field(where, name, f"must be a table {{ id, label, triggers }} (got {_kind(kp)})")
            ok = False
            continue
        kp_id = kp.get("id")
        if isinstance(kp_id, str) and kp_id:
            name = f"key_points[{i + 1}] ({kp_id})"
        for extra in sorted(set(kp) - _KEY_POINT_KEYS):
            out.field(where, f"{name}.{extra}", "is not a known key point field (id, label, triggers)")
            ok = False
        if not isinstance(kp_id, str) or not _SLUG.match(kp_id):
            got = "missing" if kp_id is None else f"got {kp_id!r}"
            out.field(where, f"{name}.id", f"must be a kebab-case slug ({got})")
            ok = False
        elif kp_id in seen:
            out.field(where, f"{name}.id", "repeats another key point of this question")
            ok = False
        else:
            seen.add(kp_id)
        label = kp.get("label")
        if not isinstance(label, str) or not label.strip():
            got = "missing" if label is None else f"got {label!r}"
            out.field(where, f"{name}.label", f"must be a non-empty string ({got})")
            ok = False
        if "triggers" not in kp:
            out.field(where, f"{name}.triggers", "is missing")
            ok = False
            continue
        triggers = _string_list(out, where, f"{name}.triggers", kp["triggers"], lower=True)
        if triggers is None:
            ok = False
        elif ok and isinstance(kp_id, str) and isinstance(label, str):
            points.append(KeyPoint(id=kp_id, label=label.strip(), triggers=triggers))
    return tuple(points) if ok else None


def _question(
    out: _Collector, raw: Any, index: int, file_category: str | None, source: str
) -> Question | None:
    if not isinstance(raw, dict):
        out.file(f"question #{index}: must be a table under [[questions]] (got {_kind(raw)})")
        return None
    qid = raw.get("id")
    where = f"question {qid!r}" if isinstance(qid, str) and qid else f"question #{index}"
    bad = False

    for extra in sorted(set(raw) - _QUESTION_KEYS):
        close = difflib.get_close_matches(extra, sorted(_QUESTION_KEYS), n=1)
        tip = f" (did you mean {close[0]!r}?)" if close else ""
        out.field(where, extra, f"is not a known question field{tip}")
        bad = True
    for name in _REQUIRED:
        if name not in raw:
            out.field(where, name, "is missing")
            bad = True

    if "id" in raw and (not isinstance(qid, str) or not _SLUG.match(qid)):
        out.field(where, "id", f"must be a kebab-case slug such as 'coding-rate-limiter' (got {qid!r})")
        bad = True

    category = raw.get("category", file_category)
    if category is None:
        out.field(where, "category", "is missing (and the file sets no top-level category)")
        bad = True
    elif not isinstance(category, str) or category not in CATEGORIES:
        alias = CATEGORY_ALIASES.get(category.strip().lower()) if isinstance(category, str) else None
        tip = f"; did you mean {alias!r}?" if alias else ""
        out.field(where, "category", f"must be one of {', '.join(CATEGORIES)} (got {category!r}{tip})")
        bad = True
    elif file_category in CATEGORIES and category != file_category:
        out.field(where, "category", f"is {category!r} but the file's category is {file_category!r}")
        bad = True

    prompt = raw.get("prompt")
    if "prompt" in raw and (not isinstance(prompt, str) or not prompt.strip()):
        out.field(where, "prompt", f"must be a non-empty string (got {prompt!r})")
        bad = True

    hint = raw.get("hint", "")
    if not isinstance(hint, str):
        out.field(where, "hint", f"must be a string (got {_kind(hint)} {hint!r})")
        bad = True

    follow_ups = None
    if "follow_ups" in raw:
        follow_ups = _string_list(out, where, "follow_ups", raw["follow_ups"])
        bad |= follow_ups is None

    expected = None
    if "expected" in raw:
        expected = _string_list(out, where, "expected", raw["expected"])
        if expected is not None:
            unknown = [e for e in expected if e not in STRUCTURE_ELEMENTS]
            for e in unknown:
                close = difflib.get_close_matches(e, list(STRUCTURE_ELEMENTS), n=1)
                tip = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(STRUCTURE_ELEMENTS)}"
                out.field(where, "expected", f"names unknown structure element {e!r} ({tip})")
            dupes = sorted(e for e, n in Counter(expected).items() if n > 1)
            if dupes:
                out.field(where, "expected", f"repeats {', '.join(dupes)}")
            if unknown or dupes:
                expected = None
        bad |= expected is None

    key_points = None
    if "key_points" in raw:
        key_points = _key_points(out, where, raw["key_points"])
        bad |= key_points is None

    target = raw.get("target_seconds")
    if "target_seconds" in raw and (
        not isinstance(target, int) or isinstance(target, bool) or not MIN_TARGET_SECONDS <= target <= MAX_TARGET_SECONDS
    ):
        shown = f'"{target}"' if isinstance(target, str) else repr(target)
        out.field(where, "target_seconds", f"must be a positive integer from {MIN_TARGET_SECONDS} "
                  f"to {MAX_TARGET_SECONDS} (got {shown})")
        bad = True

    difficulty = raw.get("difficulty")
    if "difficulty" in raw and difficulty not in DIFFICULTIES:
        out.field(where, "difficulty", f"must be one of {', '.join(DIFFICULTIES)} (got {difficulty!r})")
        bad = True

    skills = None
    if "skills" in raw:
        skills = _string_list(out, where, "skills", raw["skills"], lower=True)
        if skills is not None:
            unknown = [t for t in skills if t not in SKILLS]
            for t in unknown:
                close = difflib.get_close_matches(t, list(SKILLS), n=1)
                tip = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(SKILLS)}"
                out.field(where, "skills", f"names unknown skill {t!r} ({tip})")
            dupes = sorted(t for t, n in Counter(skills).items() if n > 1)
            if dupes:
                out.field(where, "skills", f"repeats {', '.join(dupes)}")
            if len(skills) > MAX_SKILLS:
                out.field(where, "skills", f"has {len(skills)} tags; keep the {MAX_SKILLS} it exercises most")
            if unknown or dupes or len(skills) > MAX_SKILLS:
                skills = None
        bad |= skills is None

    outline = None
    if "strong_outline" in raw:
        outline = _prose_list(out, where, "strong_outline", raw["strong_outline"], *OUTLINE_POINTS)
        bad |= outline is None

    challenges = None
    if "challenges" in raw:
        challenges = _prose_list(out, where, "challenges", raw["challenges"], MIN_CHALLENGES, None)
        bad |= challenges is None

    if bad:
        return None
    # each value was checked above; `bad` is set whenever a required one is missing or malformed
    assert qid is not None and category is not None and prompt is not None and hint is not None
    assert follow_ups is not None and expected is not None and key_points is not None
    assert isinstance(target, int) and isinstance(difficulty, str)
    return Question(
        id=qid,
        category=category,
        prompt=" ".join(prompt.split()),
        follow_ups=follow_ups,
        expected=expected,
        key_points=key_points,
        target_seconds=target,
        difficulty=difficulty,
        hint=" ".join(hint.split()),
        source_file=source,
        skills=skills or (),
        strong_outline=outline or (),
        challenges=challenges or (),
    )


def _load_file(path: Path, out: _Collector) -> list[Question]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        out.file(f"invalid TOML: {exc}")
        return []
    except (OSError, UnicodeDecodeError) as exc:
        out.file(f"cannot be read: {exc}")
        return []

    for extra in sorted(set(data) - _FILE_KEYS):
        out.file(f"top-level key {extra!r} is not known (expected: category, [[questions]])")
    file_category = data.get("category")
    if file_category is not None and file_category not in CATEGORIES:
        out.file(f"field 'category' must be one of {', '.join(CATEGORIES)} (got {file_category!r})")
    raw_questions = data.get("questions")
    if raw_questions is None:
        out.file("has no [[questions]] tables")
        return []
    if not isinstance(raw_questions, list):
        out.file(f"'questions' must be an array of tables [[questions]] (got {_kind(raw_questions)})")
        return []
    questions = []
    for i, raw in enumerate(raw_questions, start=1):
        q = _question(out, raw, i, file_category, out.file_label)
        if q is not None:
            questions.append(q)
    return questions


def load_bank(directory: Path | str) -> Bank:
    """Load every `*.toml` under `directory`; raise `BankError` listing all problems found."""
    directory = Path(directory)
    label = _display(directory)
    if not directory.exists():
        raise BankError([f"{label}: question bank directory does not exist"])
    if not directory.is_dir():
        raise BankError([f"{label}: is not a directory (the bank is a folder of .toml files)"])
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise BankError([f"{label}: no .toml files found; the bank is empty"])

    problems: list[str] = []
    questions: list[Question] = []
    first_seen: dict[str, str] = {}
    for path in files:
        out = _Collector(_display(path))
        for q in _load_file(path, out):
            if q.id in first_seen:
                out.field(f"question {q.id!r}", "id", f"duplicates the id already used in {first_seen[q.id]}")
                continue
            first_seen[q.id] = out.file_label
            questions.append(q)
        problems.extend(out.problems)
    if problems:
        raise BankError(problems)
    if not questions:
        raise BankError([f"{label}: the bank holds no questions"])
    return Bank(questions=questions, source_dir=directory)


def validate_report(bank: Bank) -> str:
    """A short summary for `python -m bot bank --validate`: counts per category and difficulty."""
    files = sorted({q.source_file for q in bank if q.source_file})
    where = f" from {_display(bank.source_dir)}" if bank.source_dir else ""
    lines = [f"question bank OK: {len(bank)} questions in {len(files) or '?'} files{where}"]
    width = max(len(c) for c in CATEGORIES)
    lines.append(f"  {'category':<{width}}  total  " + "  ".join(f"{d:>6}" for d in DIFFICULTIES))
    for cat in CATEGORIES:
        qs = [q for q in bank if q.category == cat]
        per = Counter(q.difficulty for q in qs)
        lines.append(f"  {cat:<{width}}  {len(qs):>5}  " + "  ".join(f"{per[d]:>6}" for d in DIFFICULTIES))
    missing = [c for c in CATEGORIES if c not in bank.categories()]
    if missing:
        lines.append(f"  note: no questions yet for {', '.join(missing)}")
    kps = sum(len(q.key_points) for q in bank)
    triggers = sum(len(k.triggers) for q in bank for k in q.key_points)
    follow = sum(len(q.follow_ups) for q in bank)
    lines.append(f"  {kps} key points ({triggers} trigger phrases), {follow} follow-up questions")
    outline = sum(len(q.strong_outline) for q in bank)
    challenges = sum(len(q.challenges) for q in bank)
    lines.append(f"  {outline} strong-outline points, {challenges} pushback challenges")
    used = Counter(t for q in bank for t in q.skills)
    lines.append("  skills: " + ", ".join(f"{t} {used[t]}" for t in SKILLS))
    unused = [t for t in SKILLS if not used[t]]
    if unused:
        lines.append(f"  note: no question exercises {', '.join(unused)}")
    return "\n".join(lines)
