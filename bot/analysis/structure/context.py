"""What a rule or a check can ask of an answer: hits of a family, what is near a hit, negation.

One `AnswerContext` per analysed answer; it caches family hits so rules that share a family
scan the text once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from bot.analysis.lexicon import Doc
from bot.analysis.structure.options import StructureOptions
from bot.analysis.structure.phrases import PhraseBook


@dataclass
class Hit:
    element: str
    pos: int
    frac: float
    time: float | None
    text: str


@dataclass
class AnswerContext:
    doc: Doc
    category: str
    opts: StructureOptions
    book: PhraseBook
    _cache: dict[tuple[str, bool], list[Hit]] = field(default_factory=dict)
    memo: dict[str, object] = field(default_factory=dict)  # answer-level facts computed once by checks

    @cached_property
    def long_answer(self) -> bool:
        return self.doc.n_words >= self.opts.long_answer_words

    def P(self, family: str) -> re.Pattern[str]:
        return self.book[family]

    def W(self, words: str) -> frozenset[str]:
        return self.book.word_set(words)

    # ------------------------------------------------------------ hits
    def hit(self, element: str, pos: int, text: str) -> Hit:
        return Hit(element, pos, self.doc.frac(pos), self.doc.time_at(pos), text)

    def hits(self, family: str, *, negatable: bool = True) -> list[Hit]:
        key = (family, negatable)
        if key not in self._cache:
            out = []
            for m in self.P(family).finditer(self.doc.text):
                if negatable and self.negated(m.start()):
                    continue
                out.append(self.hit(family, m.start(), m.group(0)))
            self._cache[key] = out
        return self._cache[key]

    # ------------------------------------------------------------ positions
    def token(self, pos: int) -> int:
        return self.doc.token_at(pos)

    def end_token(self, h: Hit) -> int:
        """Index of the first token after the hit's own words."""
        end = h.pos + len(h.text)
        i = self.doc.token_at(end) if end < len(self.doc.text) else len(self.doc.tokens)
        if i < len(self.doc.tokens) and self.doc.starts[i] < end:
            i += 1
        return i

    def near(self, pos: int, family: str, before: int, after: int, *, same_sentence: bool = False) -> bool:
        lo, hi = self.doc.window(pos, before, after, same_sentence=same_sentence)
        return bool(self.P(family).search(self.doc.span_text(lo, hi)))

    def after(self, h: Hit, family: str, n_tokens: int) -> bool:
        """`family` occurs in the `n_tokens` tokens after the hit (the hit's own words excluded)."""
        i = self.end_token(h)
        return bool(self.P(family).search(self.doc.span_text(i, min(len(self.doc.tokens), i + n_tokens))))

    def sentence_of(self, i: int) -> int:
        return self.doc.sentence_of[i] if self.doc.sentence_of else 0

    def sentence_span(self, pos: int) -> tuple[int, int]:
        return self.doc.window(pos, self.opts.sentence_window, self.opts.sentence_window)

    def sentence_initial(self, pos: int) -> bool:
        """The token at `pos` opens its sentence (after fillers like "so", "okay")."""
        doc, i = self.doc, self.doc.token_at(pos)
        s, lead = self.sentence_of(i), self.W("sent_lead")
        j = i - 1
        while j >= 0 and doc.sentence_of[j] == s and doc.tokens[j] in lead:
            j -= 1
        return j < 0 or doc.sentence_of[j] != s or j in doc.comma_after

    # ------------------------------------------------------------ negation
    def negated(self, pos: int) -> bool:
        """True when a negation closely precedes the token at `pos` (and is not inside a condition).

        A match that opens its own clause with a subject ("I was the lead") is never negated by a word
        before it: English puts the negation after the subject, so an earlier negator belongs to the
        previous clause (whisper often drops the full stop in between).
        """
        doc, o = self.doc, self.opts
        i = doc.token_at(pos)
        if doc.tokens[i] in self.W("clause_starters"):
            return False
        near, far, conds = self.W("negators_near"), self.W("negators_far"), self.W("conditionals")
        sent = self.sentence_of(i)
        for back in range(1, o.negation_lookback + 1):
            j = i - back
            if j < 0 or (doc.sentence_of and doc.sentence_of[j] != sent):
                break
            t = doc.tokens[j]
            if t in ("but", "and", "because", "so", "though", "although", "since") or j in doc.comma_after:
                break  # a new clause: the negation before it does not reach this far
            reaches = (t in near and back <= o.negation_near) or (t in far and (
                back <= o.negation_far or (back <= o.negation_far_with_or and " or " in f" {doc.span_text(j, i)} ")))
            if reaches:
                if t in ("not", "no") and j + 1 < len(doc.tokens) and doc.tokens[j + 1] in ("only", "just", "too", "even"):
                    continue
                cond = doc.tokens[max(0, j - o.negation_condition_lookback):j]
                if any(c in conds for c in cond) or " ".join(cond).endswith("so that"):
                    continue  # "if the consumer doesn't ack, we retry"
                return True
        return False
