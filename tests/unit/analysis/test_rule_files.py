"""A malformed phrase book or rule file is refused with a message naming the file, the rule and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analysis.structure.phrases import PhraseBookError, build_phrasebook, load_phrasebook
from bot.analysis.structure.rules import RuleError, load_rules, parse_rules

BOOK = load_phrasebook()


def rule(**fields: object) -> dict[str, object]:
    return {"element": "outcome", "rule": [{"id": "r1", "family": "complexity", **fields}]}


@pytest.mark.parametrize(("data", "message"), [
    (rule(family="no_such_family"), "unknown family 'no_such_family'"),
    (rule(checks=["no_such_check"]), "unknown check 'no_such_check'"),
    (rule(max_frac="no_such_option"), "neither a number nor an option name"),
    (rule(categories=["poetry"]), "categories must be some of"),
    (rule(near_any=[{"family": "reason", "before": "soon"}]), "before must be a token count or an option name"),
    (rule(colour="red"), "unknown key(s) ['colour']"),
    ({"element": "outcome", "rule": [{"id": "r1"}]}, "exactly one of `family` or `generator`"),
    ({"rule": []}, "`element` is missing"),
])
def test_bad_rules_are_refused_with_where_and_what(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError) as e:
        parse_rules(data, "outcome.toml", BOOK)
    assert message in str(e.value) and "outcome.toml" in str(e.value)


@pytest.mark.parametrize(("data", "message"), [
    ({"family": {"a": {"alternatives": ["(unclosed"]}}}, "family 'a' alternative 1 is not a valid pattern"),
    ({"family": {"a": {"include": ["b"]}, "b": {"include": ["a"]}}}, "includes itself"),
    ({"family": {"a": {"include": ["missing"]}}}, "includes unknown family 'missing'"),
    ({"family": {"a": {"alternatives": ["${nope} x"]}}}, "unknown fragment ${nope}"),
    ({"family": {"a": {}}}, "has no alternatives"),
])
def test_a_bad_phrase_book_is_refused_with_the_family_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(PhraseBookError, match=None) as e:
        build_phrasebook(data, "families.toml")
    assert message in str(e.value)


def test_two_files_for_one_element_are_refused(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text('element = "outcome"\n')
    with pytest.raises(RuleError, match="already defined"):
        load_rules.__wrapped__(BOOK, tmp_path)  # type: ignore[attr-defined]


def test_the_shipped_rules_cover_both_main_checks_in_every_category() -> None:
    rules = load_rules(BOOK)
    for element in ("assumptions", "outcome"):
        cats = {c for r in rules[element].rules for c in r.categories}
        assert cats == {"coding", "fundamentals", "system_design", "behavioral"}, element
