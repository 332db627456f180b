"""Delivery: long silences, pace, fillers and speaking ratio.

All times are seconds from the start of the audio (the `Word` timestamps whisper gives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Silence, Transcript

# A pause shorter than this still counts as "speaking" for the speaking ratio (breaths, commas).
SHORT_PAUSE_S = 1.0
TOO_FAST_WPM = 190.0
TOO_SLOW_WPM = 100.0
_EPS = 1e-6


def find_silences(transcript: Transcript, threshold_s: float, start_s: float = 0.0) -> list[Silence]:
    """Every gap of at least `threshold_s` from `start_s` to the last word, the wait before the first included.

    An answer with no words at all is one silence spanning the whole audio (if long enough).
    Overlapping or out-of-order word times (whisper sometimes emits them) never produce a
    negative gap: the running end only moves forward.
    """
    words = sorted(transcript.words, key=lambda w: (w.start, w.end))
    if not words:
        end = transcript.duration_s
        return [Silence(start_s, end)] if end - start_s >= threshold_s - _EPS else []
    out: list[Silence] = []
    cursor = start_s
    for w in words:
        if w.start - cursor >= threshold_s - _EPS:
            out.append(Silence(cursor, w.start))
        cursor = max(cursor, w.end)
    return out


# ---------------------------------------------------------------- fillers
_SIMPLE_FILLERS = {"um", "umm", "ummm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mhm", "eh"}
_DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "what", "which", "some", "any", "every", "each",
    "one", "same", "different", "other", "another", "no", "all", "of", "whatever", "certain", "right",
    "that's", "particular", "similar", "new", "weird", "special", "specific", "main",
}
# "like" is a verb or a preposition after these words, not a filler.
_LIKE_NOT_FILLER_BEFORE = {
    "i", "i'd", "you", "we", "we'd", "they", "they'd", "would", "do", "does", "did", "don't", "didn't",
    "doesn't", "to", "really", "looks", "look", "looked", "looking", "seems", "seem", "seemed", "sounds",
    "sound", "sounded", "feel", "feels", "felt", "something", "things", "stuff", "much", "more", "less",
    "exactly", "just", "not", "nothing", "anything", "kind", "sort", "is", "was", "it's", "be", "act",
    "acts", "behave", "behaves", "works", "treat", "also", "might", "may", "could", "should", "will",
    "she", "he", "people", "users", "customers", "i'll", "you'd", "would've", "most", "least", "lot",
}
_LIKE_NOT_FILLER_AFTER = {"to", "this", "that", "so"}
_YOU_KNOW_NOT_FILLER_BEFORE = {"do", "did", "if", "don't", "didn't", "as", "what", "how", "would", "you'd", "let", "might", "may", "whether"}
_YOU_KNOW_NOT_FILLER_AFTER = {"what", "how", "that", "the", "about", "if", "whether", "when", "where", "why", "who", "which", "it", "this", "him", "her", "them"}
_I_MEAN_NOT_FILLER_BEFORE = {"what", "which", "by", "you", "do", "that's", "if"}
_WORD_RX = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")


@dataclass(frozen=True)
class FillerHit:
    text: str
    index: int  # index of the word in the token list


def _tokens_with_commas(text: str) -> tuple[list[str], set[int]]:
    toks: list[str] = []
    comma_after: set[int] = set()
    for raw in text.lower().replace("\u2019", "'").split():
        parts = _WORD_RX.findall(raw)
        toks.extend(parts)
        if parts and re.search(r"[,.;:?!\u2014-]$", raw):
            comma_after.add(len(toks) - 1)
    return toks, comma_after


def find_fillers(text: str) -> list[FillerHit]:
    """Filler words and phrases, with care for the common false positives.

    "like" counts only as a discourse filler ("it was, like, slow", "like 50 requests"), never as
    a verb ("I would like to") or comparison ("looks like a queue"); "kind of"/"sort of" only as
    hedges ("it's kind of slow"), not "what kind of database"; "you know"/"I mean" only when they
    are not part of the sentence ("do you know", "what I mean is").
    """
    toks, comma_after = _tokens_with_commas(text)
    hits: list[FillerHit] = []
    n = len(toks)
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i > 0 else ""
        nxt = toks[i + 1] if i + 1 < n else ""
        if t in _SIMPLE_FILLERS:
            hits.append(FillerHit(t, i))
        elif t == "know" and prev == "you":
            before = toks[i - 2] if i > 1 else ""
            if before in _YOU_KNOW_NOT_FILLER_BEFORE or (nxt in _YOU_KNOW_NOT_FILLER_AFTER and i not in comma_after):
                continue
            hits.append(FillerHit("you know", i - 1))
        elif t == "mean" and prev == "i":
            before = toks[i - 2] if i > 1 else ""
            if before in _I_MEAN_NOT_FILLER_BEFORE or nxt in ("that", "it") and i not in comma_after:
                continue
            hits.append(FillerHit("i mean", i - 1))
        elif t == "of" and prev in ("kind", "sort"):
            before = toks[i - 2] if i > 1 else ""
            if before in _DETERMINERS:
                continue
            hits.append(FillerHit(f"{prev} of", i - 1))
        elif t == "like":
            if _is_filler_like(toks, i, comma_after):
                hits.append(FillerHit("like", i))
    return hits


def _is_filler_like(toks: list[str], i: int, comma_after: set[int]) -> bool:
    prev = toks[i - 1] if i > 0 else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if prev == "like" or nxt in _SIMPLE_FILLERS or prev in _SIMPLE_FILLERS:
        return True
    if nxt == "i" and i + 2 < len(toks) and toks[i + 2] in ("said", "mentioned"):
        return False  # "like I said": a discourse phrase, not a tic
    comma_around = (i - 1) in comma_after or i in comma_after
    if comma_around and prev not in ("would", "i'd", "don't", "didn't"):
        return True
    if nxt.isdigit() or nxt in ("maybe", "around", "roughly", "literally", "super", "really", "basically"):
        # "took like 5 minutes", "was like really slow": an approximating or emphasis tic
        return prev not in _LIKE_NOT_FILLER_BEFORE or prev in ("was", "is", "it's", "be")
    if prev in ("and", "so", "but", "or", "because", "then") and nxt not in _LIKE_NOT_FILLER_AFTER:
        return True
    return False


# ---------------------------------------------------------------- metrics
@dataclass
class TimingReport:
    words_per_minute: float | None
    articulation_wpm: float | None  # pace with long silences taken out (for too fast/too slow)
    time_to_first_word_s: float | None
    speaking_ratio: float | None
    speaking_span_s: float | None
    silences: list[Silence]
    filler_hits: list[FillerHit]
    word_count: int
    hesitation_sounds: int = 0  # voiced stretches between words that the transcript left out

    @property
    def filler_words(self) -> int:
        return len(self.filler_hits) + self.hesitation_sounds

    def metrics(self) -> dict[str, float | int | None]:
        return {
            "words_per_minute": None if self.words_per_minute is None else round(self.words_per_minute, 1),
            "time_to_first_word_s": None if self.time_to_first_word_s is None else round(self.time_to_first_word_s, 2),
            "filler_words": self.filler_words,
            "hesitation_sounds": self.hesitation_sounds,
            "speaking_ratio": None if self.speaking_ratio is None else round(self.speaking_ratio, 3),
        }


def _count_words(text: str) -> int:
    return len(_WORD_RX.findall(text.lower()))


def text_timing(text: str) -> TimingReport:
    """A typed answer has no timing: only fillers are counted."""
    return TimingReport(None, None, None, None, None, [], find_fillers(text), _count_words(text))


def transcript_timing(transcript: Transcript, threshold_s: float, start_s: float = 0.0) -> TimingReport:
    words = sorted(transcript.words, key=lambda w: (w.start, w.end))
    silences = find_silences(transcript, threshold_s, start_s)
    fillers = find_fillers(transcript.text)
    if not words:
        return TimingReport(None, None, None, 0.0, 0.0, silences, fillers, 0)
    first, last_end = words[0].start, max(w.end for w in words)
    span = max(0.0, last_end - first)
    n = sum(1 for w in words if _WORD_RX.search(w.text.lower())) or len(words)
    wpm = n / (span / 60.0) if span >= 1.0 else None
    long_gap_total = sum(s.duration_s for s in silences if s.start > start_s + _EPS or s.start > first)
    art_span = span - long_gap_total
    art_wpm = n / (art_span / 60.0) if art_span >= 1.0 else None
    # speaking time: words plus the short pauses between them
    speaking = 0.0
    cursor = first
    for w in words:
        gap = w.start - cursor
        if 0 < gap < SHORT_PAUSE_S:
            speaking += gap
        speaking += max(0.0, w.end - max(w.start, cursor)) if w.end > cursor else 0.0
        cursor = max(cursor, w.end)
    total = max(transcript.duration_s - start_s, last_end - start_s, 1e-9)
    ratio = max(0.0, min(1.0, speaking / total))
    return TimingReport(wpm, art_wpm, first - start_s, ratio, span, silences, fillers, n, len(transcript.hesitations))
