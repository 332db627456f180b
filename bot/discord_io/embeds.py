"""Embeds for mock rounds: consent notice, question card, final feedback, transcript file.

Rendering only: the numbers and wording of the analysis come from `bot.analysis` /
`bot.feedback`; this module fits them into Discord's limits (title 256, description 4096,
field 1024, 25 fields, 6000 in all) and never pings anyone with echoed user text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord

from bot.analysis.scoring import FlagCode
from bot.feedback import feedback_dict, fix_line, top_fixes
from bot.models import Analysis, Flag, Question, Transcript, category_label
from bot.text_safety import neutralize_mentions, safe_excerpt

if TYPE_CHECKING:  # pragma: no cover
    from bot.practice.round import AnswerResult, RoundSummary

COLOR_INFO = discord.Colour.blurple()
COLOR_CONSENT = discord.Colour.gold()
COLOR_GOOD = discord.Colour.green()
COLOR_OK = discord.Colour.orange()
COLOR_LOW = discord.Colour.red()
COLOR_MUTED = discord.Colour.light_grey()

CONSENT_TITLE = "Before we start: what Parley records"
# Shown under the round's own notice; the wording the brief requires, in our words.
CONSENT_DETAILS = (
    "• While you answer, I listen to **your voice only** (nobody else in the channel) and turn it "
    "into text.\n"
    "• The audio itself is **not kept**: it is thrown away once transcribed, unless you opted in "
    "to keeping recordings.\n"
    "• Your **transcripts and scores are stored** so you can follow your progress.\n"
    "• `/privacy delete` erases everything stored about you, at any time."
)

def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def score_colour(score: int | None) -> discord.Colour:
    if score is None:
        return COLOR_MUTED
    return COLOR_GOOD if score >= 75 else COLOR_OK if score >= 50 else COLOR_LOW


def consent_embed(notice: str, *, already_accepted: bool = False) -> discord.Embed:
    """The notice shown before anything is recorded; `notice` is the round's own text."""
    e = discord.Embed(title=CONSENT_TITLE, description=_cut(notice, 2000), colour=COLOR_CONSENT)
    e.add_field(name="Your data", value=CONSENT_DETAILS, inline=False)
    e.set_footer(text=("You accepted this before in this server, so the round starts now."
                       if already_accepted else
                       "Press “Start recording” to begin, or “Cancel” to stop here."))
    return e


def question_embed(question: Question, index: int, total: int, *, follow_up: str = "",
                   why: str = "") -> discord.Embed:
    """The card for the question being asked (controls are attached as a view); `why` says why a
    tailored round chose it (bot.practice.tailoring)."""
    title = f"Question {index} of {total} · {category_label(question.category)} · {question.difficulty}"
    e = discord.Embed(title=_cut(title, 256), description=_cut(question.prompt, 4000), colour=COLOR_INFO)
    if why:
        e.add_field(name="Why this question", value=_cut(neutralize_mentions(why), 1024), inline=False)
    if follow_up:
        e.add_field(name="Follow-up", value=_cut(follow_up, 1024), inline=False)
    e.add_field(
        name="How to answer",
        value=("Answer out loud and think aloud as you go. When you're finished, press **Done** "
               "or say “that's my answer”. A long pause also ends the answer."),
        inline=False,
    )
    e.set_footer(text=f"id: {question.id} · aim for about {fmt_time(question.target_seconds)}")
    return e


def _flag_line(flag: Flag) -> str:
    at = f"`{fmt_time(flag.at_s)}` " if flag.at_s is not None else ""
    return f"• {at}{neutralize_mentions(flag.message)}"


def _lines_within(lines: Iterable[str], limit: int) -> str:
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _audio_line(audio: dict[str, int]) -> str:
    """The answer's own audio statistics, when something was lost or unusable ("" otherwise)."""
    expected, received = audio.get("rtp_expected", 0), audio.get("rtp_received", 0)
    lost = max(0, expected - received)
    failed = audio.get("dave_failed", 0) + audio.get("corrupt_opus", 0)
    if expected <= 0 or (lost == 0 and failed == 0):
        return ""
    return (f"Audio: {received} of {expected} voice packets arrived ({100 * lost / expected:.0f}% lost)"
            + (f", {failed} could not be decrypted or decoded" if failed else "") + ".")


def _answer_field(result: AnswerResult) -> tuple[str, str]:
    q = result.question
    name = f"{result.index}. {category_label(q.category)}: {q.id}"
    a = result.analysis
    if a is None:
        why = "skipped" if result.skipped else "no answer heard"
        return _cut(name, 256), f"_{why}_"
    parts = [f"**Score {a.score}/100**" + (f" · {fmt_time(a.duration_s)} long" if a.duration_s else "")
             + (" · typed" if result.end_reason == "typed" else "")]
    if a.summary:
        parts.append(_cut(neutralize_mentions(a.summary), 300))
    loss = _audio_line(result.audio)  # before the flags: they fill what room is left
    if loss:
        parts.append(loss)
    flagged = sorted(a.flags, key=lambda f: (f.at_s is None, f.at_s or 0.0))
    if flagged:
        parts.append(_lines_within((_flag_line(f) for f in flagged), 1024 - sum(len(p) + 1 for p in parts)))
    fa = result.follow_up_analysis
    if result.follow_up and fa is not None:
        parts.append(_cut(f"Follow-up score {fa.score}/100", 100))
    return _cut(name, 256), _cut("\n".join(parts), 1024)


def feedback_embed(summary: RoundSummary) -> discord.Embed:
    """One embed for the whole round: overall score, each answer with flags and their times,
    and the top fixes across the round."""
    avg = summary.average_score
    interrupted = summary.status == "interrupted"
    title = "Mock round feedback" + (" (partial)" if interrupted else "")
    if avg is not None:
        title += f": {avg}/100"
    answered = len(summary.analyses)
    lines = [f"{answered} of {summary.questions_total or len(summary.answers)} questions answered."]
    if interrupted:
        lines.append(_interrupted_line(summary.reason))
    e = discord.Embed(title=title, description="\n".join(lines), colour=score_colour(avg))
    for result in summary.answers[:20]:
        name, value = _answer_field(result)
        e.add_field(name=name, value=value, inline=False)
    retry = summary.extras.get("retry")
    if retry:
        e.add_field(name=f"Question {retry['index']} compared with your last try",
                    value=_lines_within((neutralize_mentions(line) for line in retry["lines"]), 1024), inline=False)
    for pb in summary.extras.get("pushback", [])[:3]:
        over = ", talked over the challenge" if pb.get("talked_over") else ""
        e.add_field(name=_cut(f"Pushback on question {pb['index']}: {pb['verdict'].replace('_', ' ')}{over}", 256),
                    value=_lines_within((neutralize_mentions(line) for line in pb["lines"]), 1024), inline=False)
    own = summary.extras.get("candidate_questions")
    if own:
        e.add_field(name="Your questions for the interviewer",
                    value=_lines_within((f"• {neutralize_mentions(line)}" for line in own["lines"]), 1024),
                    inline=False)
    fixes: list[Flag] = []
    seen: set[str] = set()
    for a in summary.analyses:
        for f in top_fixes(a, 3):
            if f.code == FlagCode.POOR_AUDIO:  # the network's fault, not a fix for the candidate
                continue
            if f.code not in seen:
                seen.add(f.code)
                fixes.append(f)
    fixes.sort(key=lambda f: -f.severity)
    if fixes:
        e.add_field(name="Top fixes for next time",
                    value=_lines_within((f"• {_cut(fix_line(f, '  ', for_discord=True), 420)}" for f in fixes[:3]), 1024),
                    inline=False)
    elif summary.analyses:
        e.add_field(name="Top fixes for next time", value="Nothing major: keep practising this way.",
                    inline=False)
    e.set_footer(text="Full transcript attached. /privacy delete erases your stored answers.")
    while len(e) > 6000 and len(e.fields) > 1:
        e.remove_field(len(e.fields) - 2)
    return e


def _interrupted_line(reason: str) -> str:
    return {
        "user_left": "You left the voice channel, so I stopped; everything you said so far is saved.",
        "disconnected": "I was disconnected from voice, so the round stopped; your answers so far are saved.",
        "moved": "I was moved out of the voice channel, so the round stopped; your answers so far are saved.",
        "ended": "The round was ended early; here is what you answered.",
    }.get(reason, "The round stopped early; your answers so far are saved.")


def _answer_text(transcript: Transcript | None, analysis: Analysis | None, typed: bool = False) -> str:
    """What was answered: the spoken words; for an answer finished by typing, what was analysed
    (the words heard first, then the typed text)."""
    if typed and analysis is not None and analysis.transcript:
        return analysis.transcript
    if transcript is not None and transcript.text:
        return transcript.text
    if analysis is not None and analysis.transcript:
        return analysis.transcript
    return "(nothing heard)"


def transcript_text(summary: RoundSummary) -> str:
    """Plain-text transcript of the round, question by question (attached as a file)."""
    out = [f"Parley mock round — {summary.user_name or summary.user_id}", ""]
    for r in summary.answers:
        out.append(f"Q{r.index} [{r.question.id}] {r.question.prompt}")
        out.append(f"Answer ({r.end_reason}): {_answer_text(r.transcript, r.analysis, r.end_reason == 'typed')}")
        if r.follow_up:
            out.append(f"Follow-up: {r.follow_up}")
            how = " (typed)" if r.follow_up_end_reason == "typed" else ""
            out.append(f"Answer{how}: {_answer_text(r.follow_up_transcript, r.follow_up_analysis, bool(how))}")
        if r.analysis is not None:
            out.append(f"Score: {r.analysis.score}/100")
        out.append("")
    return "\n".join(out)


def transcript_file(summary: RoundSummary) -> discord.File:
    data = transcript_text(summary).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=f"parley-round-{summary.session_id or 'transcript'}.txt")


def analysis_embed(analysis: Analysis, question: Question) -> discord.Embed:
    """One answer's feedback, from `bot.feedback.feedback_dict` (plain data → embed)."""
    d = feedback_dict(analysis, question)
    e = discord.Embed(title=_cut(d["title"], 256), description=_cut(neutralize_mentions(d["description"]), 4096),
                      colour=discord.Colour(int(d["colour"])))
    for f in d["fields"][:25]:
        e.add_field(name=_cut(f["name"], 256), value=_cut(neutralize_mentions(f["value"]), 1024),
                    inline=bool(f.get("inline")))
    if d.get("footer"):
        e.set_footer(text=_cut(d["footer"], 2048))
    return e


def notice_embed(text: str, *, title: str = "", colour: discord.Colour | None = None) -> discord.Embed:
    """A short message as an embed (errors, fallbacks)."""
    return discord.Embed(title=_cut(title, 256) or None, description=_cut(text, 4000),
                         colour=colour or COLOR_INFO)


def answer_excerpt(text: str, limit: int = 300) -> str:
    return safe_excerpt(text, limit)

