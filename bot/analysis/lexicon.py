"""Text normalisation for spoken answers.

Whisper tiny.en writes what it hears: lowercase or not, numbers as digits or words, odd
punctuation, homophones ("sequel" for SQL, "cash" for cache). Every detector in this package
works on one normalised form, a `Doc`:

* lowercase word tokens joined by single spaces (punctuation removed, hyphens split),
* runs of number words collapsed to digits ("ten thousand" → "10000", "1.5 million" → "1500000";
  a lone "one" stays a word because it is usually a pronoun),
* a few spoken/technical spellings unified ("no sequel" → "nosql", "o(n)" → "o of n"),
* for each token, the index of the source word it came from, so a match can be mapped back to
  a position in the answer (fraction of the way through) and, for audio, a timestamp.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}

# What the recogniser writes -> what the speaker meant, with why each entry exists: mishearings.toml.
MISHEARINGS_PATH = Path(__file__).with_name("mishearings.toml")


def _load_mishearings(path: Path = MISHEARINGS_PATH) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    words = {e["heard"]: e["means"] for e in data.get("word", [])}
    pairs: dict[tuple[str, str], str] = {}
    triples: dict[tuple[str, str, str], str] = {}
    for e in data.get("pair", []):
        a, b = e["heard"].split()
        pairs[(a, b)] = e["means"]
    for e in data.get("triple", []):
        a, b, c = e["heard"].split()
        triples[(a, b, c)] = e["means"]
    return words, pairs, triples


UNIGRAM_MAP, BIGRAM_MAP, TRIGRAM_MAP = _load_mishearings()
# "rights" is almost always "writes" in a backend answer, unless it is about permissions.
_RIGHTS_KEEP_AFTER = {"access", "update", "admin", "user", "edit", "human", "equal", "voting", "delete", "the", "no"}

_TOKEN_RX = re.compile(r"[a-z0-9]+(?:'[a-z]+)?(?:\.[0-9]+)?|%|\$")
_DIGITS_RX = re.compile(r"^\d+(?:\.\d+)?$")
_DIGIT_UNIT_RX = re.compile(r"^(\d+(?:\.\d+)?)(k|m|b|x|ms|s|gb|mb|tb|kb|pb|qps|rps|tps|hz|th|st|nd|rd|min|h)$")
_SUFFIX_SCALE = {"k": 1000, "m": 1_000_000, "b": 1_000_000_000}
_THOUSANDS_RX = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PER_UNIT_RX = re.compile(r"(?<=[a-z0-9])/(?=(?:s|sec|second|min|minute|hour|h|day|d)\b)")
_BIGO_RX = re.compile(r"\bo\s*\(")
_SENT_END_RX = re.compile(r"[.?!;:]+[\"')\]]*$")


@dataclass
class Doc:
    """A normalised answer: tokens, their source words, optional times, sentence breaks, commas."""

    text: str
    tokens: list[str]
    starts: list[int]  # char offset of each token in `text`
    source: list[int]  # index of the source word each token came from
    n_source: int  # number of source words
    times: list[float] | None = None  # start time of each source word (audio answers)
    sentence_of: list[int] = field(default_factory=list)  # sentence number of each token
    comma_after: set[int] = field(default_factory=set)  # token indexes followed by a comma
    questions: set[int] = field(default_factory=set)  # sentence numbers that end with "?"

    def sentences(self) -> list[tuple[int, int]]:
        """Token ranges [lo, hi) of each sentence, in order."""
        out: list[tuple[int, int]] = []
        lo = 0
        for k in range(1, len(self.tokens) + 1):
            if k == len(self.tokens) or self.sentence_of[k] != self.sentence_of[lo]:
                out.append((lo, k))
                lo = k
        return out

    @property
    def n_words(self) -> int:
        return self.n_source

    def token_at(self, char_pos: int) -> int:
        """Index of the token that contains (or starts right after) `char_pos`."""
        i = bisect.bisect_right(self.starts, char_pos) - 1
        return max(0, min(i, len(self.tokens) - 1))

    def frac(self, char_pos: int) -> float:
        """How far into the answer `char_pos` is, 0.0 (start) to 1.0 (end), by source words."""
        if not self.tokens:
            return 0.0
        src = self.source[self.token_at(char_pos)]
        return src / max(1, self.n_source - 1) if self.n_source > 1 else 0.0

    def time_at(self, char_pos: int) -> float | None:
        if self.times is None or not self.tokens:
            return None
        return self.times[self.source[self.token_at(char_pos)]]

    def window(self, char_pos: int, before: int, after: int, *, same_sentence: bool = True) -> tuple[int, int]:
        """Token range [lo, hi) around the token at `char_pos`, clipped to its sentence."""
        i = self.token_at(char_pos)
        lo, hi = max(0, i - before), min(len(self.tokens), i + after + 1)
        if same_sentence and self.sentence_of:
            s = self.sentence_of[i]
            while lo < i and self.sentence_of[lo] != s:
                lo += 1
            while hi > i + 1 and self.sentence_of[hi - 1] != s:
                hi -= 1
        return lo, hi

    def span_text(self, lo: int, hi: int) -> str:
        if lo >= hi:
            return ""
        end = self.starts[hi - 1] + len(self.tokens[hi - 1])
        return self.text[self.starts[lo]:end]


# Compounds whisper splits as "X -Y" that the detectors and the bank spell as two words.
_SPACED_COMPOUND_RX = re.compile(r"^(?:deadletter|oncall|pileup|roundtrip|writeahead|readreplica|fanout|followup)s?\b")
_LEAST_ONE = {"one", "one.", "one,", "one?", "one!", "one's", "one's.", "one's,", "one;", "one:"}
_SPLIT_THOUSANDS_RX = re.compile(r"^,\d{3}(?:,\d{3})*s?[.,?!]?$")
_PLURAL_THOUSANDS_RX = re.compile(r"^(\d{1,3}(?:,\d{3})+)s([.,?!]?)$")  # "10,000s" of events: the number, not seconds
_PLAIN_RX = re.compile(r"^([a-z]+(?:'[a-z]+)?)([,.?!;:]?)$")
_KEEP_S = ("let's", "it's", "that's", "what's", "there's", "here's", "he's", "she's", "who's", "where's")


def _split_raw(raw: str) -> tuple[list[str], bool, bool]:
    """One source word → (normalised sub-tokens, ends a sentence, followed by a comma)."""
    s = raw.strip().lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    m = _PLAIN_RX.match(s)
    if m:  # fast path: a plain word with at most one trailing mark (most of any answer)
        tok, mark = m.groups()
        if tok.endswith("'s") and tok not in _KEEP_S:
            tok = tok[:-2]
        if not _DIGIT_UNIT_RX.match(tok):
            mapped = UNIGRAM_MAP.get(tok, tok)
            return mapped.split(), mark in (".", "?", "!", ";", ":"), mark == ","
    ends_sentence = bool(_SENT_END_RX.search(s)) and not _DIGITS_RX.match(s.rstrip(".?!;:"))
    comma = s.endswith(",")
    s = _THOUSANDS_RX.sub("", s)
    s = _BIGO_RX.sub("o of ", s)
    s = s.replace("^2", " squared").replace("\u00b2", " squared").replace("^3", " cubed")
    s = _PER_UNIT_RX.sub(" per ", s)
    s = s.replace("&", " and ").replace("+", " plus ")
    out: list[str] = []
    dollars = False
    for tok in _TOKEN_RX.findall(s):
        if tok == "$":
            dollars = True
            continue
        if tok == "%":
            out.append("percent")
            continue
        if tok in ("th", "st", "nd", "rd") and out and _DIGITS_RX.match(out[-1]):
            continue  # "99.9th": the ordinal suffix after a decimal

        tok = tok.rstrip(".")
        if tok.endswith("'s") and tok not in ("let's", "it's", "that's", "what's", "there's", "here's", "he's", "she's", "who's", "where's"):
            tok = tok[:-2]  # possessive: "kafka's" → "kafka"
        m = _DIGIT_UNIT_RX.match(tok)
        if m:
            num, unit = m.groups()
            if unit in _SUFFIX_SCALE:
                out.append(_fmt(float(num) * _SUFFIX_SCALE[unit]))
            elif unit in ("th", "st", "nd", "rd"):
                out.append(num)
            else:
                out.extend([num, {"s": "seconds", "h": "hours", "min": "minutes", "x": "x"}.get(unit, unit)])
            continue
        mapped = UNIGRAM_MAP.get(tok, tok)
        out.extend(mapped.split())
    if dollars and out:
        out.append("dollars")
    return out, ends_sentence, comma


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _is_numberish(tok: str) -> bool:
    return tok in UNITS or tok in TENS or tok in SCALES or bool(_DIGITS_RX.match(tok))


def _collapse_numbers(toks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Merge runs of number words into digits; keep a lone "one" as a word."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(toks)
    while i < n:
        tok, src = toks[i]
        starts_run = _is_numberish(tok) or (
            tok in ("a", "half") and i + 1 < n and toks[i + 1][0] in SCALES
        ) or (tok == "half" and i + 2 < n and toks[i + 1][0] == "a" and toks[i + 2][0] in SCALES)
        if not starts_run:
            out.append((tok, src))
            i += 1
            continue
        total, current, j, last_kind, used = 0.0, 0.0, i, "", 0
        frac_mult = 1.0
        while j < n:
            t = toks[j][0]
            if t == "half" and j == i:
                frac_mult, last_kind = 0.5, "half"
                j += 1
                if j < n and toks[j][0] == "a":
                    j += 1
                continue
            if t == "a" and j == i:
                current, last_kind = 1.0, "a"
                j += 1
                continue
            if _DIGITS_RX.match(t):
                if last_kind:
                    break
                current, last_kind = float(t), "digit"
            elif t in UNITS:
                if last_kind in ("unit", "digit", "point_done"):
                    break
                if last_kind == "tens" and UNITS[t] >= 10:
                    break
                current += UNITS[t]
                last_kind = "unit"
            elif t in TENS:
                if last_kind in ("unit", "tens", "digit"):
                    break
                current += TENS[t]
                last_kind = "tens"
            elif t in SCALES:
                if not last_kind and j == i:
                    break
                scale = SCALES[t]
                if scale == 100:
                    current = (current or 1.0) * 100
                else:
                    total += (current or 1.0) * scale
                    current = 0.0
                last_kind = "scale"
            elif t == "point" and last_kind in ("unit", "digit", "tens") and j + 1 < n and toks[j + 1][0] in UNITS:
                d = UNITS[toks[j + 1][0]]
                if d >= 10:
                    break
                current += d / 10
                j += 2
                last_kind = "point_done"
                continue
            elif t == "and" and last_kind == "scale" and j + 1 < n and (toks[j + 1][0] in UNITS or toks[j + 1][0] in TENS):
                pass
            else:
                break
            used += 1
            j += 1
        if used == 0 or (j - i == 1 and tok in ("one", "zero")):
            out.append((tok, src))
            i += 1
            continue
        out.append((_fmt((total + current) * frac_mult), src))
        i = j
    return out


def _merge_bigrams(toks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(toks):
        if toks[i][0] == "rights" and (i == 0 or toks[i - 1][0] not in _RIGHTS_KEEP_AFTER):
            out.append(("writes", toks[i][1]))
            i += 1
            continue
        if i + 2 < len(toks):
            m = TRIGRAM_MAP.get((toks[i][0], toks[i + 1][0], toks[i + 2][0]))
            if m is not None:
                parts = m.split()  # the last part keeps the last word's position ("once" stays where it was said)
                out.extend((part, toks[i + 2][1] if k == len(parts) - 1 else toks[i][1]) for k, part in enumerate(parts))
                i += 3
                continue
        if i + 1 < len(toks):
            m = BIGRAM_MAP.get((toks[i][0], toks[i + 1][0]))
            if m is not None:
                for part in m.split():
                    out.append((part, toks[i][1]))
                i += 2
                continue
        out.append(toks[i])
        i += 1
    return out


_PERCENTILE_RX = re.compile(r"^(?:50|75|90|95|99|99\.9|99\.99|999|9999)$")


def _join_percentiles(toks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """ "p 99" (and "p ninety nine") → "p99", the bank's spelling; "p 1" stays (a severity level)."""
    out: list[tuple[str, int]] = []
    for tok, src in toks:
        if out and out[-1][0] == "p" and _PERCENTILE_RX.match(tok):
            out[-1] = ("p" + tok, out[-1][1])
            continue
        out.append((tok, src))
    return out


def build_doc(words: Sequence[str], times: Sequence[float] | None = None) -> Doc:
    """Normalise a sequence of source words (transcript words or whitespace-split text)."""
    toks: list[tuple[str, int]] = []
    breaks: set[int] = set()  # source indexes that end a sentence
    qmarks: set[int] = set()  # source indexes that end a question
    commas: set[int] = set()
    words = list(words)
    last = 0
    for idx in range(1, len(words)):  # whisper writes "10 ,000" (and "10 , 000"): glue the thousands back on
        w = words[idx].strip()
        if w == "," and idx + 1 < len(words) and re.fullmatch(r"\d{3}s?[.,?!]?", words[idx + 1].strip()) \
                and words[last].strip()[-1:].isdigit():
            words[idx + 1] = "," + words[idx + 1].strip()
            words[idx] = ""
            continue
        if _SPLIT_THOUSANDS_RX.match(w) and words[last].strip()[-1:].isdigit():
            words[last] = words[last].rstrip() + w
            words[idx] = ""
        else:
            last = idx
    for idx, w in enumerate(words):
        m = _PLURAL_THOUSANDS_RX.match(w.strip())
        if m:
            words[idx] = m.group(1) + m.group(2)
    last = -1
    for idx in range(len(words)):  # whisper splits sub-words as "tran -sactions" and compounds as "trade -off": glue them back
        w = words[idx].strip()
        if last >= 0 and len(w) > 1 and w[0] == "-" and w[1].isalpha() and words[last].strip()[-1:].isalpha():
            head = words[last].rstrip()
            joined = (head + w[1:]).lower()
            # a compound the rules spell as two words keeps its hyphen ("dead -letter" reads as "dead-letter")
            glue = "-" if _SPACED_COMPOUND_RX.match(joined) else ""
            words[last] = head + glue + w[1:]
            words[idx] = ""
        elif w:
            last = idx
    for idx in range(1, len(words)):  # "at least, one" / "at least one's": whisper's "at least once"
        w = words[idx].strip().lower().replace("\u2019", "'")
        if w in _LEAST_ONE and words[idx - 1].strip().lower() in ("least", "least,") \
                and (w.startswith("one'") or words[idx - 1].strip().endswith(",")) \
                and idx >= 2 and words[idx - 2].strip().lower() == "at":
            words[idx - 1] = words[idx - 1].strip().rstrip(",")
            words[idx] = "once" + w[len(w.rstrip(",.?!;:")):]
    for idx, raw in enumerate(words):
        sub, ends, comma = _split_raw(raw)
        toks.extend((t, idx) for t in sub)
        if ends:
            breaks.add(idx)
            if raw.rstrip().rstrip("\"')]").endswith("?"):
                qmarks.add(idx)
        if comma:
            commas.add(idx)
    toks = _join_percentiles(_collapse_numbers(_merge_bigrams(toks)))
    tokens = [t for t, _ in toks]
    source = [s for _, s in toks]
    starts: list[int] = []
    pos = 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1
    sentence_of: list[int] = []
    sent = 0
    comma_after: set[int] = set()
    questions: set[int] = set()
    for k, s in enumerate(source):
        sentence_of.append(sent)
        last_of_source = k + 1 == len(source) or source[k + 1] != s
        if last_of_source and s in qmarks:
            questions.add(sent)
        if last_of_source and s in breaks:
            sent += 1
        if last_of_source and s in commas:
            comma_after.add(k)
    return Doc(
        text=" ".join(tokens), tokens=tokens, starts=starts, source=source, n_source=len(words),
        times=list(times) if times is not None else None, sentence_of=sentence_of, comma_after=comma_after,
        questions=questions,
    )


def doc_from_text(text: str) -> Doc:
    return build_doc(text.split())


def rx(*alternatives: str) -> re.Pattern[str]:
    """Compile alternatives as one word-bounded pattern over normalised text."""
    return re.compile(r"(?<![a-z0-9'])(?:" + "|".join(alternatives) + r")(?![a-z0-9'])")


_STEM_SUFFIXES = ("ations", "ation", "ities", "ency", "ence", "ance", "ings", "ing", "ies", "ied", "ion", "ions",
                  "ers", "er", "es", "ed", "ly", "s", "y", "e")


def _stem_word(w: str) -> str:
    for suf in _STEM_SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


def trigger_pattern(trigger: str) -> re.Pattern[str]:
    """A key-point trigger phrase → regex tolerant of plurals and light inflection."""
    doc = doc_from_text(trigger)
    parts: list[str] = []
    for k, w in enumerate(doc.tokens):
        if w in _NUMBER_TWINS:
            parts.append(_NUMBER_TWINS[w])
        elif w == "o" and k + 1 < len(doc.tokens) and doc.tokens[k + 1] != "of":
            parts.append(r"o(?: of)?")  # "o one" also matches "o of one" / "O(1)"
        elif len(w) <= 3 or not w.isalpha():
            parts.append(re.escape(w) + r"(?:s|es)?")
        else:
            parts.append(re.escape(_stem_word(w)) + r"[a-z]{0,6}")
    if not parts:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![a-z0-9])" + r" ".join(parts) + r"(?![a-z0-9])")


_NUMBER_TWINS = {"one": r"(?:one|1)", "1": r"(?:one|1)", "zero": r"(?:zero|0)", "0": r"(?:zero|0)"}


def any_match(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(p.search(text) for p in patterns)
