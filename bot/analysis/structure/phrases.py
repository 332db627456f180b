"""The phrase book: named phrase families and word lists, loaded from `families.toml`.

A family is a list of regex alternatives over the normalised text (see `bot.analysis.lexicon`),
compiled as one word-bounded pattern. Fragments (`${num}`) and `include` keep each fact defined once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.lexicon import rx

FAMILIES_PATH = Path(__file__).with_name("families.toml")
_REF = re.compile(r"\$\{([a-z0-9_]+)\}")


class PhraseBookError(ValueError):
    """The phrase book (families.toml) is malformed; the message names the family and the problem."""


@dataclass(frozen=True, eq=False)  # hashed by identity: one loaded book, cached
class PhraseBook:
    patterns: Mapping[str, re.Pattern[str]]
    alternatives: Mapping[str, tuple[str, ...]]  # expanded, includes resolved: for audits and tests
    words: Mapping[str, frozenset[str]]
    buzzwords: Mapping[str, re.Pattern[str]]

    def __getitem__(self, name: str) -> re.Pattern[str]:
        try:
            return self.patterns[name]
        except KeyError:
            raise PhraseBookError(f"unknown phrase family {name!r}") from None

    def word_set(self, name: str) -> frozenset[str]:
        try:
            return self.words[name]
        except KeyError:
            raise PhraseBookError(f"unknown word list {name!r}") from None


def _expand(text: str, fragments: Mapping[str, str], where: str, depth: int = 0) -> str:
    if depth > 8:
        raise PhraseBookError(f"{where}: fragments nest too deep (a cycle?)")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise PhraseBookError(f"{where}: unknown fragment ${{{name}}}")
        return _expand(fragments[name], fragments, f"fragment {name}", depth + 1)

    return _REF.sub(sub, text)


def build_phrasebook(data: Mapping[str, Any], source: str = "families.toml") -> PhraseBook:
    fragments: dict[str, str] = dict(data.get("fragments", {}))
    raw: dict[str, Any] = data.get("family", {})
    resolved: dict[str, tuple[str, ...]] = {}

    def resolve(name: str, stack: tuple[str, ...] = ()) -> tuple[str, ...]:
        if name in resolved:
            return resolved[name]
        if name not in raw:
            raise PhraseBookError(f"{source}: family {stack[-1] if stack else name!r} includes unknown family {name!r}")
        if name in stack:
            raise PhraseBookError(f"{source}: family {name!r} includes itself")
        spec = raw[name]
        alts: list[str] = []
        for inc in spec.get("include", []):
            alts.extend(resolve(inc, stack + (name,)))
        for k, alt in enumerate(spec.get("alternatives", [])):
            expanded = _expand(alt, fragments, f"{source}: family {name!r} alternative {k + 1}")
            try:
                re.compile(expanded)
            except re.error as e:
                raise PhraseBookError(f"{source}: family {name!r} alternative {k + 1} is not a valid pattern: {e}") from None
            alts.append(expanded)
        if not alts:
            raise PhraseBookError(f"{source}: family {name!r} has no alternatives")
        resolved[name] = tuple(alts)
        return resolved[name]

    for name in raw:
        resolve(name)
    words = {k: frozenset(v) for k, v in data.get("words", {}).items()}
    buzz = {k: rx(*v) for k, v in data.get("buzzwords", {}).items()}
    return PhraseBook(patterns={k: rx(*v) for k, v in resolved.items()}, alternatives=resolved, words=words, buzzwords=buzz)


@lru_cache(maxsize=4)
def load_phrasebook(path: Path = FAMILIES_PATH) -> PhraseBook:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise PhraseBookError(f"{path.name}: {e}") from None
    return build_phrasebook(data, path.name)
