"""Feedback that teaches: each flagged gap quotes the moment it refers to and shows a stronger sentence.

The moment is where the gap is heard: an answer that never framed the problem is quoted where the
solving starts (its first sentence), one that never lands where it stops (its last sentence), a late
assumption or an unexplained buzzword where it was said, a long pause by the words just before it.
The stronger sentence comes from `coaching.toml`, filled with one of the question's key points.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from bot.analysis.lexicon import Doc
from bot.analysis.scoring import FlagCode
from bot.analysis.structure import Hit, StructureReport
from bot.models import Flag, Question, Silence

COACHING_PATH = Path(__file__).with_name("coaching.toml")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # the candidate's text may carry terminal escapes
QUOTE_WORDS = 14  # a quote long enough to recognise the moment, short enough to read at a glance


@lru_cache(maxsize=2)
def load_coaching(path: Path = COACHING_PATH) -> dict[str, dict[str, str]]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _base_form(verb: str) -> str:
    """"Writes" -> "write", "Deduplicates" -> "deduplicate", "Publishes" -> "publish", "Applies" -> "apply"."""
    v = verb.lower()
    if v.endswith("ies") and len(v) > 4:
        return v[:-3] + "y"
    if re.search(r"(?:sh|ch|ss|x|zz)es$", v):
        return v[:-2]
    if v.endswith("s") and not v.endswith("ss"):
        return v[:-1]
    return v


_ACTION_VERB = re.compile(r"^[A-Z][a-z-]*[a-rt-z]e?s$|^Has$")  # "Writes", "Deduplicates", not "Stateless", "SQL"


def key_point_clause(label: str) -> str:
    """A key point's label as a clause after "I'd": "Writes into a durable log" -> "write into a durable log".

    Empty when the label does not open with an action ("Stateless ingestion tier", "SQL vs NoSQL").
    """
    words = label.strip().rstrip(".").split()
    if not words or not _ACTION_VERB.match(words[0]):
        return ""
    head = "have" if words[0] == "Has" else _base_form(words[0])
    return " ".join([head] + words[1:])


class _Answer:
    """The answer's source words (what the candidate said, as transcribed or typed) and their times."""

    def __init__(self, doc: Doc, words: Sequence[str], times: Sequence[float] | None) -> None:
        self.doc, self.words, self.times = doc, list(words), list(times) if times is not None else None

    def time(self, src: int) -> float | None:
        return self.times[src] if self.times is not None and 0 <= src < len(self.times) else None

    def quote(self, lo: int, hi: int) -> str:
        lo, hi = max(0, lo), min(len(self.words), hi)
        text = _CONTROL.sub("", " ".join(self.words[lo:hi])).strip()
        return ("…" if lo > 0 else "") + text + ("…" if hi < len(self.words) else "")

    def sentence_src(self, token: int) -> tuple[int, int]:
        """Source-word range [lo, hi) of the sentence holding `token`."""
        doc = self.doc
        s = doc.sentence_of[token] if doc.sentence_of else 0
        toks = [k for k, si in enumerate(doc.sentence_of) if si == s] or [token]
        return doc.source[toks[0]], doc.source[toks[-1]] + 1

    def opening(self) -> tuple[str, float | None]:
        lo, hi = self.sentence_src(0)
        return self.quote(lo, min(hi, lo + QUOTE_WORDS)), self.time(lo)

    def ending(self) -> tuple[str, float | None]:
        lo, hi = self.sentence_src(len(self.doc.tokens) - 1)
        lo = max(lo, hi - QUOTE_WORDS)
        return self.quote(lo, hi), self.time(lo)

    def around(self, hit: Hit) -> tuple[str, float | None]:
        src = self.doc.source[self.doc.token_at(hit.pos)]
        lo, hi = self.sentence_src(self.doc.token_at(hit.pos))
        lo = max(lo, src - QUOTE_WORDS // 3)
        return self.quote(lo, min(hi, lo + QUOTE_WORDS)), self.time(src)

    def before(self, at_s: float) -> str:
        if self.times is None:
            return ""
        last = max((k for k, t in enumerate(self.times) if t < at_s), default=-1)
        return self.quote(last + 1 - QUOTE_WORDS // 2, last + 1) if last >= 0 else ""


def _point(question: Question, missed: Sequence[str]) -> str:
    """A key point to build the stronger sentence on: one the answer missed, else the question's first."""
    labels = [kp.label for kp in question.key_points]
    ordered = [m for m in missed if m in labels] + labels
    return next((c for c in map(key_point_clause, ordered) if c), "")


def _suggestion(code: str, question: Question, missed: Sequence[str]) -> str | None:
    template = load_coaching().get(code, {}).get(question.category)
    if not template:
        return None
    if "{point}" in template:
        point = _point(question, missed)
        if not point:
            return None
        template = template.replace("{point}", point)
    return template


def annotate(flags: Sequence[Flag], question: Question, struct: StructureReport, doc: Doc,
             words: Sequence[str], times: Sequence[float] | None, silences: Sequence[Silence],
             missed: Sequence[str]) -> list[Flag]:
    """The flags, each with the quoted moment (and its time, for audio) and a stronger sentence where one fits."""
    if not doc.tokens:
        return list(flags)
    answer = _Answer(doc, words, times)
    out: list[Flag] = []
    for f in flags:
        quote: str | None = None
        at = f.at_s
        if f.code == FlagCode.MISSING_ASSUMPTIONS:
            quote, at = answer.opening()
        elif f.code in (FlagCode.MISSING_OUTCOME, FlagCode.NO_MEASURABLE_RESULT):
            quote, at = answer.ending()
        elif f.code == FlagCode.ASSUMPTIONS_LATE and struct.hits.get("assumptions") is not None:
            quote, at = answer.around(struct.hits["assumptions"])  # type: ignore[arg-type]
        elif f.code == FlagCode.BUZZWORDS_WITHOUT_REASONING and struct.buzz_hit is not None:
            quote, at = answer.around(struct.buzz_hit)
        elif f.code == FlagCode.LONG_SILENCE and f.at_s is not None:
            quote = answer.before(f.at_s) or None
        suggestion = _suggestion(f.code, question, missed)
        if quote or suggestion:
            f = replace(f, quote=quote or None, suggestion=suggestion, at_s=at if at is not None else f.at_s)
        out.append(f)
    return out
