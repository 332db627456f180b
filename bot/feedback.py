"""Feedback from an `Analysis`: the top fixes, what went well, and its text and embed renderings.

No discord import: `feedback_dict` returns plain data (title, description, colour, fields) that the
adapter in `bot/discord_io/` turns into an embed.
"""

from __future__ import annotations

from typing import Any

from bot.analysis.scoring import FlagCode
from bot.models import STRUCTURE_ELEMENTS, Analysis, Flag, Question, category_label
from bot.text_safety import neutralize_mentions, safe_excerpt

# Flags that say the same thing as a stronger one: shown only when the stronger one is absent.
_SHADOWED_BY: dict[str, tuple[str, ...]] = {
    FlagCode.NO_MEASURABLE_RESULT: (FlagCode.MISSING_OUTCOME,),
    FlagCode.MISSING_RESULT: (FlagCode.MISSING_OUTCOME, FlagCode.NO_MEASURABLE_RESULT),
    FlagCode.ASSUMPTIONS_LATE: (FlagCode.MISSING_ASSUMPTIONS,),
    FlagCode.MISSING_SCOPE: (FlagCode.MISSING_ASSUMPTIONS,),
    FlagCode.MISSING_REQUIREMENTS: (FlagCode.MISSING_ASSUMPTIONS,),
    FlagCode.MISSING_OWNERSHIP: (FlagCode.TEAM_NOT_I,),
    # the "land the answer" advice already asks for these
    FlagCode.MISSING_COMPLEXITY: (FlagCode.MISSING_OUTCOME,),
    FlagCode.MISSING_TESTS: (FlagCode.MISSING_OUTCOME,),
    FlagCode.MISSING_TRADEOFFS: (FlagCode.MISSING_OUTCOME,),
}
_MAX_SILENCE_FIXES = 2  # more than two pauses read as one habit, not separate fixes


def mmss(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60:02d}:{s % 60:02d}"


def top_fixes(analysis: Analysis, n: int = 3) -> list[Flag]:
    """The `n` most important flags, with duplicates of the same advice folded together.

    Flags arrive ordered by importance (severity, then a fixed priority). A silence at the very
    start is covered by `slow_start`; several long pauses count as one habit (the longest shown).
    """
    codes = {f.code for f in analysis.flags}
    out: list[Flag] = []
    silences_taken = 0
    for f in analysis.flags:
        if any(c in codes for c in _SHADOWED_BY.get(f.code, ())):
            continue
        if f.code == FlagCode.LONG_SILENCE:
            if FlagCode.SLOW_START in codes and (f.at_s or 0.0) <= 0.01:
                continue
            if silences_taken >= _MAX_SILENCE_FIXES:
                continue
            silences_taken += 1
        out.append(f)
        if len(out) >= n:
            break
    return out


def strengths(analysis: Analysis, limit: int = 4) -> list[str]:
    """What went well, most telling first (computed during analysis; rebuilt from structure if absent)."""
    if analysis.strengths:
        return list(analysis.strengths[:limit])
    present = [e for e, ok in analysis.structure.items() if ok]
    return [STRUCTURE_ELEMENTS.get(e, e).capitalize() for e in present][:limit]


def fix_line(f: Flag, indent: str = "     ", *, for_discord: bool = False) -> str:
    """The fix, then the moment it refers to (quoted) and what a stronger sentence would have said.

    The quote is the candidate's own words: in Discord its mentions are broken and markdown escaped.
    """
    stamp = f"[{mmss(f.at_s)}] " if f.at_s is not None else ""
    lines = [f"{stamp}{neutralize_mentions(f.message) if for_discord else f.message}"]
    if f.quote:
        quote = safe_excerpt(f.quote, 200) if for_discord else f.quote
        lines.append(f"{indent}You said: \u201c{quote}\u201d")
    if f.suggestion:
        lines.append(f"{indent}Stronger: {f.suggestion}")
    return "\n".join(lines)


def render_text(analysis: Analysis, question: Question) -> str:
    """Readable terminal feedback: score, what went well, top three fixes, follow-up, missed key points."""
    lines: list[str] = []
    head = f"Score {analysis.score}/100  ·  {question.id} ({category_label(question.category).lower()})"
    if analysis.duration_s is not None:
        head += f"  ·  {mmss(analysis.duration_s)}"
    lines.append(head)
    if analysis.summary:
        lines.append(analysis.summary)
    m = analysis.metrics
    if m.get("words_per_minute") is not None:
        lines.append(
            f"Pace {m['words_per_minute']:.0f} wpm  ·  first word after {m.get('time_to_first_word_s') or 0:.1f} s"
            f"  ·  fillers {m.get('filler_words', 0)}  ·  long pauses {len(analysis.silences)}"
        )
    elif m.get("filler_words"):
        lines.append(f"Fillers {m['filler_words']}")
    lines.append("")
    good = strengths(analysis)
    lines.append("What went well")
    lines.extend(f"  + {g}" for g in good) if good else lines.append("  + You gave it a go; now add structure.")
    lines.append("")
    fixes = top_fixes(analysis, 3)
    lines.append("Top fixes")
    if fixes:
        lines.extend(f"  {i}. {fix_line(f)}" for i, f in enumerate(fixes, 1))
    else:
        lines.append("  Nothing major. Push for depth: more numbers, sharper tradeoffs.")
    lines.append("")
    if analysis.follow_up:
        lines.append(f"Follow-up: {analysis.follow_up}")
    if analysis.key_points_missed:
        lines.append("Key points missed: " + "; ".join(analysis.key_points_missed))
    return "\n".join(lines).rstrip() + "\n"


def score_colour(score: int) -> int:
    """Green for strong answers, amber in between, red for weak ones (RGB int)."""
    if score >= 75:
        return 0x2E9E5B
    if score >= 50:
        return 0xE0A526
    return 0xD64545


def feedback_dict(analysis: Analysis, question: Question) -> dict[str, Any]:
    """Data for an embed: title, description, colour, fields (name, value, inline), footer.

    Field values stay under Discord's 1024-character limit; the adapter only maps keys.
    """
    def clip(text: str, limit: int = 1024) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    fields: list[dict[str, Any]] = []
    good = strengths(analysis)
    fields.append({"name": "What went well", "value": clip("\n".join(f"• {g}" for g in good) or "• You made a start."), "inline": False})
    fixes = top_fixes(analysis, 3)
    fields.append({
        "name": "Top fixes",
        "value": clip("\n".join(f"{i}. {clip(fix_line(f, '   ', for_discord=True), 330)}" for i, f in enumerate(fixes, 1)) or "Nothing major: push for more depth."),
        "inline": False,
    })
    if analysis.follow_up:
        fields.append({"name": "Follow-up", "value": clip(analysis.follow_up), "inline": False})
    if analysis.key_points_missed:
        fields.append({"name": "Key points missed", "value": clip("\n".join(f"• {k}" for k in analysis.key_points_missed)), "inline": False})
    m = analysis.metrics
    if m.get("words_per_minute") is not None:
        fields.append({"name": "Pace", "value": f"{m['words_per_minute']:.0f} wpm", "inline": True})
        fields.append({"name": "Long pauses", "value": str(len(analysis.silences)), "inline": True})
    fields.append({"name": "Fillers", "value": str(m.get("filler_words", 0)), "inline": True})
    structure = " ".join(("✅" if ok else "▫️") + e.replace("_", " ") for e, ok in analysis.structure.items())
    fields.append({"name": "Structure", "value": clip(structure), "inline": False})
    return {
        "title": clip(f"{analysis.score}/100 · {question.id}", 256),
        "description": clip(analysis.summary, 4096),
        "colour": score_colour(analysis.score),
        "fields": fields,
        "footer": f"{category_label(question.category).lower()} · {question.difficulty}",
    }
