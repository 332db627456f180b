"""The structure engine: run the rules of `rules/*.toml` over one answer and report what was heard.

There is no per-category logic here: which rule applies to which category, where in the answer,
and with what near it, is all in the rule files; this module only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.analysis.lexicon import Doc
from bot.analysis.structure.checks import CHECKS, GENERATORS, ownership_counts
from bot.analysis.structure.context import AnswerContext, Hit
from bot.analysis.structure.options import DEFAULT_OPTIONS, StructureOptions
from bot.analysis.structure.phrases import PhraseBook, load_phrasebook
from bot.analysis.structure.rules import ElementRules, Limit, Near, Rule, load_rules


@dataclass
class StructureReport:
    present: dict[str, bool]
    hits: dict[str, Hit | None]
    assumptions_late: bool = False
    measurable_result: bool = False
    qualitative_result: bool = False
    buzzwords: list[str] = field(default_factory=list)
    buzzwords_unreasoned: list[str] = field(default_factory=list)
    buzz_hit: Hit | None = None
    i_count: int = 0
    we_count: int = 0
    vague: bool = False
    vague_count: int = 0
    vague_examples: list[str] = field(default_factory=list)
    concrete_count: int = 0
    rule_hits: dict[str, list[str]] = field(default_factory=dict)  # element -> ids of the rules that fired


def _value(ctx: AnswerContext, v: Limit | int, default: float) -> float:
    if v is None:
        return default
    return float(getattr(ctx.opts, v)) if isinstance(v, str) else float(v)


def _near_ok(ctx: AnswerContext, h: Hit, n: Near) -> bool:
    return ctx.near(h.pos, n.family, int(_value(ctx, n.before, 0)), int(_value(ctx, n.after, 0)), same_sentence=n.same_sentence)


def rule_hits(ctx: AnswerContext, rule: Rule) -> list[Hit]:
    """The hits of one rule in this answer (empty when the rule does not apply to the category)."""
    if ctx.category not in rule.categories:
        return []
    kind, name = rule.source.split(":", 1)
    cands = ctx.hits(name, negatable=rule.negatable) if kind == "family" else GENERATORS[name](ctx)
    lo = _value(ctx, rule.min_frac if ctx.long_answer else rule.min_frac_short, 0.0)
    hi = _value(ctx, rule.max_frac if ctx.long_answer else rule.max_frac_short, 1.0)
    checks = [CHECKS[c] for c in rule.checks + (rule.category_checks or {}).get(ctx.category, ())]
    out = []
    for h in cands:
        if not (lo <= h.frac <= hi):
            continue
        if rule.sentence_initial and not ctx.sentence_initial(h.pos):
            continue
        if rule.hit_matches and not ctx.P(rule.hit_matches).search(h.text):
            continue
        if rule.near_any and not any(_near_ok(ctx, h, n) for n in rule.near_any):
            continue
        if any(_near_ok(ctx, h, n) for n in rule.not_near):
            continue
        if all(c(ctx, h) for c in checks):
            out.append(replace(h, element=rule.element))
    return out


def _element_hits(ctx: AnswerContext, er: ElementRules, report: StructureReport) -> list[Hit]:
    hits: list[Hit] = []
    fired: list[str] = []
    for rule in er.rules:
        got = rule_hits(ctx, rule)
        if got:
            fired.append(rule.id)
            hits.extend(got)
    report.rule_hits[er.element] = fired
    if hits and ctx.long_answer and ctx.category in er.late_categories:
        report.assumptions_late = min(h.frac for h in hits) > _value(ctx, er.late_after, 1.0)
    if ctx.long_answer and ctx.category in er.keep_until_categories:
        limit = _value(ctx, er.keep_until, 1.0)
        hits = [h for h in hits if h.frac <= limit]
    return hits


def _buzzwords(ctx: AnswerContext, report: StructureReport) -> None:
    o = ctx.opts
    first: Hit | None = None
    for name, pat in ctx.book.buzzwords.items():
        ms = [m for m in pat.finditer(ctx.doc.text) if not ctx.negated(m.start())]
        if not ms:
            continue
        report.buzzwords.append(name)
        if not any(ctx.near(m.start(), "buzz_reason", o.buzz_reason_before, o.buzz_reason_after, same_sentence=True) for m in ms):
            report.buzzwords_unreasoned.append(name)
            h = ctx.hit("buzzwords", ms[0].start(), ms[0].group(0))
            if first is None or h.pos < first.pos:
                first = h
    report.buzz_hit = first


def _vagueness(ctx: AnswerContext, report: StructureReport, specific_elements: int) -> None:
    """Many generalities, little concrete detail."""
    vague = [m.group(0) for m in ctx.P("vague").finditer(ctx.doc.text)]
    report.vague_count = len(vague)
    report.vague_examples = list(dict.fromkeys(vague))[:3]
    numbers = sum(1 for t in ctx.doc.tokens if t[0].isdigit())
    report.concrete_count = numbers + 2 * specific_elements
    o = ctx.opts
    report.vague = ctx.doc.n_words >= o.vague_min_words and report.vague_count >= o.vague_min_count \
        and report.concrete_count < report.vague_count


# elements whose presence makes an answer concrete (for the vagueness signal)
_SPECIFIC = ("complexity", "failure_modes", "observability", "scale", "result", "storage", "entities_apis", "tests")


def detect_structure(doc: Doc, category: str, elements: tuple[str, ...] | list[str], *,
                     options: StructureOptions = DEFAULT_OPTIONS, book: PhraseBook | None = None) -> StructureReport:
    """Booleans for `assumptions`, `outcome` and every element in `elements`, with where they were heard."""
    book = book or load_phrasebook()
    rules = load_rules(book)
    ctx = AnswerContext(doc=doc, category=category, opts=options, book=book)
    wanted = ["assumptions", "outcome"] + [e for e in elements if e not in ("assumptions", "outcome")]
    report = StructureReport(present={}, hits={})
    computed: dict[str, list[Hit]] = {}

    def element(e: str) -> list[Hit]:
        if e not in computed:
            computed[e] = _element_hits(ctx, rules[e], report) if e in rules else []
        return computed[e]

    for e in wanted:
        hits = element(e)
        report.present[e] = bool(hits)
        report.hits[e] = min(hits, key=lambda h: h.pos) if hits else None

    report.i_count, report.we_count = ownership_counts(ctx)
    report.measurable_result = bool(element("result"))
    report.qualitative_result = report.measurable_result or bool(ctx.hits("qualitative_result"))
    _buzzwords(ctx, report)
    _vagueness(ctx, report, sum(1 for e in _SPECIFIC if element(e)))
    return report
