"""Named checks and generators that rules refer to (`checks = ["load_estimate"]`).

A check is `(ctx, hit) -> bool`: keep the hit. A generator is `(ctx) -> list[Hit]`: hits that no
single family can find (a question asked early, the share of "I" in a story). Each encodes one class
of error in the words of its docstring; which categories and elements use it is said in the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.analysis.structure.context import AnswerContext, Hit

Check = Callable[[AnswerContext, Hit], bool]
Generator = Callable[[AnswerContext], list[Hit]]
CHECKS: dict[str, Check] = {}
GENERATORS: dict[str, Generator] = {}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__] = fn
    return fn


def generator(fn: Generator) -> Generator:
    GENERATORS[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------ framing the problem
def _early_question_shape(ctx: AnswerContext, lo: int, hi: int) -> bool:
    toks, k = ctx.doc.tokens, lo
    while k < hi and toks[k] in ctx.W("lead"):
        k += 1
    return k + 1 < hi and toks[k] in ctx.W("aux") and toks[k + 1] in ctx.W("subj")


@check
def not_meta_question(ctx: AnswerContext, h: Hit) -> bool:
    """A question about the interview itself (the language, drawing, the clock) pins nothing down."""
    i = ctx.token(h.pos)
    lo, hi = ctx.sentence_span(h.pos)
    sentence = ctx.doc.span_text(lo, hi)
    asked = ctx.sentence_of(i) in ctx.doc.questions or _early_question_shape(ctx, lo, hi)
    return not (asked and ctx.P("meta_q").search(sentence) and not ctx.P("problem_cue").search(sentence))


@check
def not_talked_about(ctx: AnswerContext, h: Hit) -> bool:
    """Mentioning assumptions without making one: "normally you'd clarify the requirements, but I'll just start"."""
    if not (ctx.P("meta_assume").fullmatch(h.text) or ctx.P("meta_assume").match(h.text)):
        return True
    i = ctx.token(h.pos)
    lo, hi = ctx.sentence_span(h.pos)
    nlo, nhi = ctx.doc.window(h.pos, 14, 20, same_sentence=False)
    return not (ctx.P("not_making").search(ctx.doc.span_text(lo, hi)) or ctx.P("not_making").search(ctx.doc.span_text(max(lo, i), nhi)))


def _in_condition(ctx: AnswerContext, pos: int, *, any_if: bool) -> bool:
    doc, i = ctx.doc, ctx.token(pos)
    s = ctx.sentence_of(i)
    for back in range(0, 9):
        j = i - back
        if j < 0 or (doc.sentence_of and doc.sentence_of[j] != s) or (back and j in doc.comma_after):
            return False
        t = doc.tokens[j]
        if back and (t in ("but", "so", "because", "then") or (t in ("and", "or") and doc.tokens[j + 1] in ("i", "we", "then", "you"))):
            return False  # a new main clause; "when A and the data is B" is still one condition
        if t in ctx.W("solution_cond") or (t == "if" and (any_if or (j > 0 and doc.tokens[j - 1] == "even"))):
            rest = " ".join(doc.tokens[j + 1:j + 4])
            return not re.match(r"(?:we|i)(?:'re| are| am|'m)? (?:talking|dealing|assum|understand|look)|(?:i|we) (?:understand|get it|read)", rest)
    return False


@check
def not_in_solution_condition(ctx: AnswerContext, h: Hit) -> bool:
    """A condition inside the solution ("once the lease expires we renew it", "even if two writers collide")."""
    return not _in_condition(ctx, h.pos, any_if=False)


@check
def not_in_algorithm_branch(ctx: AnswerContext, h: Hit) -> bool:
    """In code any "if" is a branch of the algorithm ("if the count hits zero, stop")."""
    return not _in_condition(ctx, h.pos, any_if=True)


@check
def not_solution_step(ctx: AnswerContext, h: Hit) -> bool:
    """Framing openers also open solution steps: "let's start by sorting", "we treat each bracket as a push"."""
    if not ctx.P("weak_frame").fullmatch(h.text):
        return True
    i = ctx.token(h.pos)
    return not ctx.P("solution_step").search(ctx.doc.span_text(i, min(len(ctx.doc.tokens), i + len(h.text.split()) + 5)))


@check
def not_algorithm_state(ctx: AnswerContext, h: Hit) -> bool:
    """An "assume" about the algorithm's own state ("then I assume the leftmost bar is the tallest
    so far") is a step of the solution, not a constraint on the input."""
    if "assum" not in h.text:
        return True
    i = ctx.token(h.pos) + len(h.text.split())
    return not ctx.P("algorithm_state").match(ctx.doc.span_text(i, min(len(ctx.doc.tokens), i + 10)))


@check
def not_chosen_guarantee(ctx: AnswerContext, h: Hit) -> bool:
    """A guarantee the speaker picks or a tool gives ("at-least-once delivery is what I'd pick") is not a requirement."""
    if not ctx.P("guarantee_words").match(h.text):
        return True
    doc, i = ctx.doc, ctx.token(h.pos)
    lo, _ = doc.window(h.pos, 4, 0)
    if ctx.P("choosing_before").search(doc.span_text(lo, i)):
        return False
    j = ctx.token(h.pos + len(h.text) - 1) + 1
    _, hi = doc.window(h.pos, 0, len(h.text.split()) + 6)
    return not (ctx.P("choice_after").match(doc.span_text(j, hi)) or ctx.P("choice_after").search(doc.span_text(j, min(hi, j + 5))))


@check
def not_buzzword_list(ctx: AnswerContext, h: Hit) -> bool:
    """Adjectives strung together ("scalable, highly available, microservices") constrain nothing without a figure.
    A short announcement ("first, the requirements") is judged by the sentence that fills it in."""
    lo, hi = ctx.sentence_span(h.pos)
    if hi - lo <= ctx.opts.announcement_max_tokens and hi < len(ctx.doc.tokens):
        hi = ctx.sentence_span(ctx.doc.starts[hi])[1]
    span = ctx.doc.span_text(lo, hi)
    return not (len(ctx.P("buzz_list").findall(span)) >= 3 and not ctx.P("concrete").search(span))


@check
def load_estimate(ctx: AnswerContext, h: Hit) -> bool:
    """A scale mention that assumes a load: a rate, or a sizeable count ("2 threads" is a design detail)."""
    if ctx.P("rate").search(h.text):
        return True
    if ctx.P("size_only").search(h.text):
        return False
    m = re.search(r"\d[\d.]*", h.text)
    if m is None:
        return True  # "thousands of devices", "a few hundred"
    try:
        return float(m.group(0).rstrip(".")) >= ctx.opts.load_estimate_min_count
    except ValueError:
        return False


@check
def not_in_anecdote(ctx: AnswerContext, h: Hit) -> bool:
    """A count inside a story of what once happened ("back at my first job a bad migration wiped
    out about two thousand rows") is the past, not the load the answer is framed by; a rate
    stays a load estimate wherever it is said."""
    if ctx.P("rate").search(h.text):
        return True
    lo, hi = ctx.sentence_span(h.pos)
    return not ctx.P("reminiscence").search(ctx.doc.span_text(lo, hi))


def _worked_example(ctx: AnswerContext, pos: int) -> bool:
    w = ctx.opts.worked_example_window
    return ctx.near(pos, "worked_example", w, w, same_sentence=True)


@check
def not_worked_example(ctx: AnswerContext, h: Hit) -> bool:
    """Numbers in a worked example ("take the array 4 100 3 200") show the algorithm, not a constraint."""
    return not _worked_example(ctx, h.pos)


@check
def rate_or_not_worked_example(ctx: AnswerContext, h: Hit) -> bool:
    return bool(ctx.P("rate").search(h.text)) or not _worked_example(ctx, h.pos)


@check
def not_design_part_needed(ctx: AnswerContext, h: Hit) -> bool:
    """"we need a queue here" names a part of the design, not something the system must do."""
    if not ctx.P("needs_a").match(h.text):
        return True
    i = ctx.token(h.pos) + len(h.text.split())
    return not ctx.P("design_part").search(ctx.doc.span_text(max(0, i - 1), min(len(ctx.doc.tokens), i + 3)))


@generator
def early_questions(ctx: AnswerContext) -> list[Hit]:
    """A question put to the interviewer early on (clarifying before solving).

    Either whisper wrote a "?" or the sentence opens like a question ("are the sizes fixed ...").
    Rhetorical questions answered at once, proposals ("should I use a heap?") and the algorithm
    asking itself ("is the heap bigger than k? if so, pop") are left out.
    """
    doc, out = ctx.doc, []
    lead, aux, subj, wh = ctx.W("lead"), ctx.W("aux"), ctx.W("subj"), ctx.W("wh")
    for lo, hi in doc.sentences():
        k = lo
        while k < hi and doc.tokens[k] in lead:
            k += 1
        if hi - k < ctx.opts.min_question_tokens:
            continue
        pos = doc.starts[k]
        if doc.frac(pos) > ctx.opts.early_frac:
            break
        first, second = doc.tokens[k], doc.tokens[k + 1]
        sentence = doc.span_text(k, hi)
        proposal = ctx.P("proposal_q").search(sentence)
        asked = doc.sentence_of[lo] in doc.questions and not proposal
        inverted = first in aux and second in subj and not proposal \
            and not re.match(r"(?:should|could|can|shall) (?:i|we) (?:use|try|do|go|just|pick|add|put|make|store|keep)\b", sentence)
        if ctx.P("rhetorical_q").search(sentence):
            continue
        if first in wh and not ctx.P("scenario_q").search(sentence):
            continue
        if (asked or inverted) and (ctx.P("solution_step").search(sentence) or ctx.P("per_step").search(sentence)) \
                and not ctx.P("problem_cue").search(sentence):
            continue
        if asked or inverted:
            out.append(ctx.hit("assumptions", pos, doc.span_text(k, min(hi, k + 6))))
    return out


# ------------------------------------------------------------------ behavioral scene
@check
def scoped_ownership(ctx: AnswerContext, h: Hit) -> bool:
    """"I owned the billing service" sets a scope; the bare action "I built the API" does only as a scene-setting opener."""
    if h.text not in ctx.W("bare_ownership"):
        return True
    return h.frac <= ctx.opts.ownership_scene_frac and ctx.near(h.pos, "story_scene", 0, ctx.opts.scene_after, same_sentence=True)


@check
def opener_with_scene(ctx: AnswerContext, h: Hit) -> bool:
    """A story opening on the speaker's action sets the scene only with a place, time or stakes beside it,
    or when it takes something over and says what it was ("I inherited a job that finance ran nightly")."""
    o = ctx.opts
    return ctx.near(h.pos, "story_scene", 0, o.scene_after, same_sentence=True) or bool(
        ctx.P("owning_opener").match(h.text) and ctx.near(h.pos, "relative", 0, o.relative_after, same_sentence=True))


@check
def person_opener_with_scene(ctx: AnswerContext, h: Hit) -> bool:
    """"my lead wanted ..." sets the scene only with the system or the stakes beside it."""
    o = ctx.opts
    return ctx.near(h.pos, "story_scene", o.person_scene_before, o.scene_after) or \
        ctx.near(h.pos, "system_named", o.person_scene_before, o.scene_after)


# ------------------------------------------------------------------ landing the answer
@check
def result_after_the_scene(ctx: AnswerContext, h: Hit) -> bool:
    """Numbers in the opening set the scene; a result comes after the action, unless the story starts
    with what the speaker changed ("I cut our build time in half, and here's how")."""
    if h.frac >= ctx.opts.result_from_frac or not ctx.long_answer:
        return True
    lo, _ = ctx.doc.window(h.pos, 6, 0)
    return bool(ctx.P("agent_change").search(ctx.doc.span_text(lo, ctx.token(h.pos) + 1)))


@check
def not_a_trait(ctx: AnswerContext, h: Hit) -> bool:
    """"I always delivered on time" is a trait, not this story's result."""
    i = ctx.token(h.pos)
    return not any(t in ctx.W("trait_adverbs") for t in ctx.doc.tokens[max(0, i - 3):i])


def _not_put_off(ctx: AnswerContext, h: Hit) -> bool:
    o = ctx.opts
    lo, hi = ctx.doc.window(h.pos, o.check_context_before, o.check_context_after)
    return not ctx.P("deferred").search(ctx.doc.span_text(lo, hi))


@check
def complexity_given(ctx: AnswerContext, h: Hit) -> bool:
    """Saying "complexity" is not giving one: it needs its value, and not put off ("I'll think about it later")."""
    if not _not_put_off(ctx, h):
        return False
    return not ctx.P("generic_complexity").fullmatch(h.text) or ctx.after(h, "complexity_value", ctx.opts.complexity_value_after)


@check
def test_made(ctx: AnswerContext, h: Hit) -> bool:
    """A test needs its case; "obviously I'd write tests" promised in passing is not a check made."""
    if not _not_put_off(ctx, h):
        return False
    o, doc = ctx.opts, ctx.doc
    if not ctx.P("generic_test").fullmatch(h.text):
        return True  # already names a case ("edge cases", "an empty list", "send it twice")
    slo, _ = doc.window(h.pos, o.test_case_before, 25)
    if ctx.P("promise").search(doc.span_text(slo, min(len(doc.tokens), ctx.token(h.pos) + 3))) \
            and not ctx.after(h, "test_case", o.test_promise_case_after):
        return False
    if ctx.after(h, "test_clause", o.test_clause_after):
        return True  # "a test where two requests arrive together", "check what happens if ..."
    return ctx.after(h, "test_case", o.test_case_after) or bool(ctx.P("test_case").search(doc.span_text(slo, ctx.token(h.pos))))


def _committed(ctx: AnswerContext) -> bool:
    """The speaker commits to a choice somewhere (not "we'd have to weigh ...")."""
    if "committed" not in ctx.memo:
        o = ctx.opts
        cands = ctx.hits("decision_proposal") + [h for h in ctx.hits("imperative_choice") if ctx.sentence_initial(h.pos)] \
            + ctx.hits("strong_decision")
        ctx.memo["committed"] = any(not ctx.after(h, "deliberating", o.deliberating_after) and not ctx.P("deliberating").search(h.text)
                                    for h in cands)
    return bool(ctx.memo["committed"])


def _weighed(ctx: AnswerContext) -> bool:
    """The answer weighs a real tradeoff somewhere (not only "instead of")."""
    if "weighed" not in ctx.memo:
        weak = ctx.P("weak_tradeoff")
        ctx.memo["weighed"] = any(not weak.fullmatch(m.group(0)) for m in ctx.P("tradeoff_mark").finditer(ctx.doc.text))
    return bool(ctx.memo["weighed"])


def _weighed_after(ctx: AnswerContext, h: Hit) -> bool:
    lo, hi = ctx.doc.window(h.pos, 0, ctx.opts.weighed_after, same_sentence=False)
    weak = ctx.P("weak_tradeoff")
    return any(not weak.fullmatch(m.group(0)) for m in ctx.P("tradeoff_mark").finditer(ctx.doc.span_text(lo, hi)))


@check
def late_or_stated_up_front(ctx: AnswerContext, h: Hit) -> bool:
    """A bare committed choice lands from the middle of the answer on; "my pick would be X" lands anywhere."""
    return h.frac >= ctx.opts.decision_late_frac or bool(ctx.P("strong_noun").match(h.text))


@check
def reasoned_or_weighed(ctx: AnswerContext, h: Hit) -> bool:
    """A choice with its reason close by, or a real tradeoff right after it."""
    o = ctx.opts
    return ctx.near(h.pos, "reason", o.strong_reason_before, o.strong_reason_after) or _weighed_after(ctx, h)


@check
def takes_a_side(ctx: AnswerContext, h: Hit) -> bool:
    """"my answer is: it depends" takes no side, nor does "you pick consistency or availability"
    (a dilemma named, not settled); "I would not shard on A or B" turns both down, and does."""
    n = ctx.opts.no_side_after
    if ctx.after(h, "no_side", n):
        return False
    negated = any(t in ctx.W("negators_near") or t in ctx.W("negators_far") for t in h.text.split())
    return negated or not ctx.after(h, "open_choice", n)


@check
def conclusion_lands(ctx: AnswerContext, h: Hit) -> bool:
    """A sign-off after a plain list of parts lands nothing; a summary lands when a reason, a commitment
    or a weighed tradeoff goes with it."""
    n = ctx.opts.conclusion_after
    return ctx.after(h, "reason_or_tradeoff", n) or (_committed(ctx) and _weighed(ctx)) \
        or (not ctx.P("sign_off").match(h.text) and ctx.after(h, "first_person_choice", n))


@check
def landing_committed(ctx: AnswerContext, h: Hit) -> bool:
    """"the tradeoff is ..." names a tradeoff without taking a side: it lands only with a commitment somewhere."""
    committed = _committed(ctx) or bool(ctx.P("first_person_trade").search(ctx.doc.text))
    return committed or not ctx.P("uncommitted_landing").match(h.text)


@check
def strong_or_reasoned_tradeoff(ctx: AnswerContext, h: Hit) -> bool:
    """"instead of" is a contrast, not a tradeoff, unless a reason stands beside it (its own words left out):
    "it replays the stored reply instead of running the job twice" is a mechanism."""
    if not ctx.P("weak_tradeoff").fullmatch(h.text):
        return True
    n = ctx.opts.reason_beside
    lo, hi = ctx.doc.window(h.pos, n, n, same_sentence=False)
    i, j = ctx.token(h.pos), ctx.token(h.pos + len(h.text) - 1) + 1
    return any(ctx.P(f).search(ctx.doc.span_text(lo, i)) or ctx.P(f).search(ctx.doc.span_text(j, hi)) for f in ("reason", "weighing"))


# ------------------------------------------------------------------ ownership
def _generic_i(ctx: AnswerContext, pos: int) -> bool:
    i = ctx.token(pos)
    nxt = ctx.doc.tokens[i + 1] if i + 1 < len(ctx.doc.tokens) else ""
    return nxt in ("think", "guess", "mean", "believe", "remember", "feel", "suppose", "know", "was")


def _subjectless_actions(ctx: AnswerContext) -> int:
    """Terse stories drop the subject: "Traced the slow call. Found a missing index. Added it."."""
    doc, n = ctx.doc, 0
    past, not_actions, lead = ctx.W("irregular_past"), ctx.W("not_actions"), ctx.W("clause_lead")
    for k, t in enumerate(doc.tokens):
        if not (t in past or (t.endswith("ed") and len(t) >= 5 and t not in not_actions)):
            continue
        j = k - 1
        while j >= 0 and doc.tokens[j] in lead and doc.sentence_of[j] == doc.sentence_of[k] and j not in doc.comma_after:
            j -= 1
        if j < 0 or doc.sentence_of[j] != doc.sentence_of[k] or j in doc.comma_after:
            n += 1
    return n


def ownership_counts(ctx: AnswerContext) -> tuple[int, int]:
    """(first-person actions, team mentions) in the answer."""
    if "ownership" not in ctx.memo:
        i_hits = [m for m in ctx.P("i_action").finditer(ctx.doc.text) if not _generic_i(ctx, m.start())]
        i_count = len(i_hits)
        we_count = sum(1 for _ in ctx.P("we_action").finditer(ctx.doc.text))
        if i_count < 2 and we_count <= 1:
            i_count += _subjectless_actions(ctx)  # only where every subject is left out
        first = ctx.hit("ownership", i_hits[0].start(), i_hits[0].group(0)) if i_hits else None
        ctx.memo["ownership"] = (i_count, we_count, first)
    i_count, we_count, _ = ctx.memo["ownership"]  # type: ignore[misc]
    return i_count, we_count


@generator
def ownership_claimed(ctx: AnswerContext) -> list[Hit]:
    """First-person actions outweigh "we" / "the team": the speaker says what they did."""
    i_count, we_count = ownership_counts(ctx)
    o = ctx.opts
    if i_count >= o.ownership_min_i and i_count >= o.ownership_i_share_of_we * we_count:
        first = ctx.memo["ownership"][2]  # type: ignore[index]
        return [first] if first is not None else [ctx.hit("ownership", 0, "")]
    return []
