"""Rules as data: `rules/<element>.toml` says which phrases count as which element, where, and with what near.

A rule file:

    element = "assumptions"
    keep_until = "assume_by_frac"                # long answers: later hits were part of the solving
    keep_until_categories = ["coding", "system_design"]
    late_after = "early_frac"                    # the first hit after this raises `assumptions_late`
    late_categories = ["coding", "system_design"]

    [[rule]]
    id = "stated-assumption"
    family = "assumption"                        # or: generator = "early_questions"
    categories = ["coding", "fundamentals"]      # default: every category
    negatable = false                            # default true: "we didn't ..." does not count
    max_frac = "early_frac"                      # an option name (see options.py) or a number
    max_frac_short = 1.0                         # for short answers; defaults to max_frac
    min_frac = ...; min_frac_short = ...
    sentence_initial = true                      # the phrase opens its sentence
    hit_matches = "requirement_substance"        # the matched words themselves contain this family
    near_any = [{family = "reason", before = 12, after = 20, same_sentence = false}]
    not_near = [{family = "baseline", before = 12, after = 0, same_sentence = true}]
    checks = ["load_estimate"]                   # named checks (checks.py), all must hold
    category_checks = { coding = ["not_in_algorithm_branch"] }
    why = "one line: the class of answers this rule exists for"
    examples = { yes = ["...", "..."], no = ["..."] }   # at least two yes, one no; run as tests

Windows may name an option instead of a number (`before = "strong_reason_before"`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.structure.checks import CHECKS, GENERATORS
from bot.analysis.structure.options import StructureOptions
from bot.analysis.structure.phrases import PhraseBook

RULES_DIR = Path(__file__).with_name("rules")
CATEGORIES = ("coding", "fundamentals", "system_design", "behavioral")
_OPTION_NAMES = {f.name for f in fields(StructureOptions)}


class RuleError(ValueError):
    """A rule file is malformed; the message names the file, the rule and the field."""


Limit = str | float | None  # an option name or a number
Window = str | int


@dataclass(frozen=True)
class Near:
    family: str
    before: Window
    after: Window
    same_sentence: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    element: str
    source: str  # "family:<name>" or "generator:<name>"
    categories: tuple[str, ...]
    negatable: bool = True
    max_frac: Limit = None
    max_frac_short: Limit = None
    min_frac: Limit = None
    min_frac_short: Limit = None
    sentence_initial: bool = False
    hit_matches: str | None = None
    near_any: tuple[Near, ...] = ()
    not_near: tuple[Near, ...] = ()
    checks: tuple[str, ...] = ()
    category_checks: Mapping[str, tuple[str, ...]] | None = None
    why: str = ""
    examples_yes: tuple[str, ...] = ()
    examples_no: tuple[str, ...] = ()


@dataclass(frozen=True)
class ElementRules:
    element: str
    rules: tuple[Rule, ...]
    keep_until: Limit = None
    keep_until_categories: tuple[str, ...] = ()
    late_after: Limit = None
    late_categories: tuple[str, ...] = ()


_RULE_KEYS = {"id", "family", "generator", "categories", "negatable", "max_frac", "max_frac_short", "min_frac", "min_frac_short",
              "sentence_initial", "hit_matches", "near_any", "not_near", "checks", "category_checks", "why", "examples"}
_FILE_KEYS = {"element", "rule", "keep_until", "keep_until_categories", "late_after", "late_categories", "about"}


def _limit(v: Any, where: str) -> Limit:
    if v is None or isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v in _OPTION_NAMES:
        return v
    raise RuleError(f"{where}: {v!r} is neither a number nor an option name")


def _near(v: Any, where: str, book: PhraseBook) -> tuple[Near, ...]:
    if not isinstance(v, list):
        raise RuleError(f"{where}: expected a list of {{family, before, after}} tables")
    out = []
    for n in v:
        if not isinstance(n, dict) or "family" not in n:
            raise RuleError(f"{where}: each entry needs a family")
        if n["family"] not in book.patterns:
            raise RuleError(f"{where}: unknown family {n['family']!r}")
        for k in ("before", "after"):
            w = n.get(k, 0)
            if not (isinstance(w, int) or (isinstance(w, str) and w in _OPTION_NAMES)):
                raise RuleError(f"{where}: {k} must be a token count or an option name, not {w!r}")
        out.append(Near(n["family"], n.get("before", 0), n.get("after", 0), bool(n.get("same_sentence", False))))
    return tuple(out)


def parse_rules(data: Mapping[str, Any], source: str, book: PhraseBook) -> ElementRules:
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RuleError(f"{source}: unknown key(s) {sorted(unknown)}")
    element = data.get("element")
    if not isinstance(element, str):
        raise RuleError(f"{source}: `element` is missing")
    rules = []
    for k, r in enumerate(data.get("rule", [])):
        rid = r.get("id", f"#{k + 1}")
        where = f"{source}: rule {rid!r}"
        bad = set(r) - _RULE_KEYS
        if bad:
            raise RuleError(f"{where}: unknown key(s) {sorted(bad)}")
        if ("family" in r) == ("generator" in r):
            raise RuleError(f"{where}: give exactly one of `family` or `generator`")
        if "family" in r and r["family"] not in book.patterns:
            raise RuleError(f"{where}: unknown family {r['family']!r}")
        if "generator" in r and r["generator"] not in GENERATORS:
            raise RuleError(f"{where}: unknown generator {r['generator']!r}")
        cats = tuple(r.get("categories", CATEGORIES))
        if not cats or set(cats) - set(CATEGORIES):
            raise RuleError(f"{where}: categories must be some of {CATEGORIES}")
        cat_checks = {c: tuple(v) for c, v in r.get("category_checks", {}).items()}
        for name in list(r.get("checks", [])) + [n for v in cat_checks.values() for n in v]:
            if name not in CHECKS:
                raise RuleError(f"{where}: unknown check {name!r}")
        if r.get("hit_matches") is not None and r["hit_matches"] not in book.patterns:
            raise RuleError(f"{where}: unknown family {r['hit_matches']!r} in hit_matches")
        ex = r.get("examples", {})
        rules.append(Rule(
            id=rid, element=element,
            source=f"family:{r['family']}" if "family" in r else f"generator:{r['generator']}",
            categories=cats, negatable=bool(r.get("negatable", True)),
            max_frac=_limit(r.get("max_frac"), where), max_frac_short=_limit(r.get("max_frac_short", r.get("max_frac")), where),
            min_frac=_limit(r.get("min_frac"), where), min_frac_short=_limit(r.get("min_frac_short", r.get("min_frac")), where),
            sentence_initial=bool(r.get("sentence_initial", False)), hit_matches=r.get("hit_matches"),
            near_any=_near(r.get("near_any", []), where + " near_any", book), not_near=_near(r.get("not_near", []), where + " not_near", book),
            checks=tuple(r.get("checks", [])), category_checks=cat_checks or None, why=r.get("why", ""),
            examples_yes=tuple(ex.get("yes", [])), examples_no=tuple(ex.get("no", [])),
        ))
    return ElementRules(
        element=element, rules=tuple(rules),
        keep_until=_limit(data.get("keep_until"), source), keep_until_categories=tuple(data.get("keep_until_categories", ())),
        late_after=_limit(data.get("late_after"), source), late_categories=tuple(data.get("late_categories", ())),
    )


@lru_cache(maxsize=4)
def load_rules(book: PhraseBook, rules_dir: Path = RULES_DIR) -> Mapping[str, ElementRules]:
    out: dict[str, ElementRules] = {}
    for path in sorted(rules_dir.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise RuleError(f"{path.name}: {e}") from None
        er = parse_rules(data, path.name, book)
        if er.element in out:
            raise RuleError(f"{path.name}: element {er.element!r} is already defined in another rule file")
        out[er.element] = er
    return out
