"""Practice phrase data: the phrase families of pushback judging and of the candidate's questions.

Knowledge that grows (phrases) lives in TOML beside the code that uses it, in the format of the
structure analysis's phrase book (bot/analysis/structure/families.toml, expanded by
`build_phrasebook`: alternatives, `${fragment}`s, `include`), with two additions per family:
`yes` and `no` examples, run as tests (tests/unit/practice/test_practice_phrases.py), and an optional
`label`. A file says how its families match with `match`:

- ``normalised``: over the normalised text (`bot.analysis.lexicon.doc_from_text`), word-bounded
  as the phrase book's own families;
- ``raw``: over the text as said, case-insensitively, on ``\\b`` word boundaries.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.lexicon import doc_from_text
from bot.analysis.structure.phrases import PhraseBookError, build_phrasebook

HERE = Path(__file__).parent
PUSHBACK_PHRASES = HERE / "pushback_phrases.toml"
CANDIDATE_QUESTION_PHRASES = HERE / "candidate_question_phrases.toml"
MATCH_MODES = ("normalised", "raw")


@dataclass(frozen=True)
class PhraseFamily:
    name: str
    pattern: re.Pattern[str]
    alternatives: tuple[str, ...]
    match: str                      # normalised | raw
    label: str = ""
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()

    def text_for(self, text: str) -> str:
        """The text this family is matched against."""
        return doc_from_text(text).text if self.match == "normalised" else text

    def fires(self, text: str) -> bool:
        """Does the family match `text` (given as said; normalised here when the family wants it)?"""
        return bool(self.pattern.search(self.text_for(text)))


@dataclass(frozen=True, eq=False)
class PracticePhrases:
    families: Mapping[str, PhraseFamily]  # file order
    words: Mapping[str, frozenset[str]]
    source: str

    def __getitem__(self, name: str) -> PhraseFamily:
        try:
            return self.families[name]
        except KeyError:
            raise PhraseBookError(f"{self.source}: unknown phrase family {name!r}") from None

    def word_set(self, name: str) -> frozenset[str]:
        try:
            return self.words[name]
        except KeyError:
            raise PhraseBookError(f"{self.source}: unknown word list {name!r}") from None

    def with_prefix(self, prefix: str) -> list[PhraseFamily]:
        return [f for n, f in self.families.items() if n.startswith(prefix)]


def build_practice_phrases(data: Mapping[str, Any], source: str) -> PracticePhrases:
    match = data.get("match", "normalised")
    if match not in MATCH_MODES:
        raise PhraseBookError(f"{source}: match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
    book = build_phrasebook(data, source)  # expansion, includes, validation: the phrase book's own
    raw: dict[str, Any] = data.get("family", {})
    families: dict[str, PhraseFamily] = {}
    for name, spec in raw.items():
        alts = book.alternatives[name]
        pattern = book.patterns[name] if match == "normalised" else \
            re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.I)
        families[name] = PhraseFamily(name, pattern, alts, match, str(spec.get("label", "")),
                                      tuple(spec.get("yes", ())), tuple(spec.get("no", ())))
    return PracticePhrases(families, book.words, source)


@lru_cache(maxsize=8)
def load_practice_phrases(path: Path) -> PracticePhrases:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise PhraseBookError(f"{path.name}: {e}") from None
    return build_practice_phrases(data, path.name)
