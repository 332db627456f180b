"""Embeds for peer practice groups: the lobby, each turn, an answer's feedback, the question and
challenge cards shown to the interviewer, and the group's summary.

Rendering only: the numbers come from `bot.practice.group.GroupSession` and `bot.feedback`;
names typed by members are escaped and never ping anyone.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.feedback import fix_line, score_colour, strengths, top_fixes
from bot.models import Question, category_label
from bot.practice.group import GroupSession, Phase, Turn
from bot.ratings import CRITERIA
from bot.text_safety import escape_markdown, neutralize_mentions, safe_excerpt

CONSENT = (
    "While you're in this group, Parley listens to your voice in this channel to transcribe your "
    "answers and to notice when people talk over each other. The audio itself is not kept: your "
    "transcripts, scores and the (anonymous) peer ratings go to your history. Joining means you're "
    "fine with that; `/group leave` stops it at any time."
)
COLOUR = discord.Colour.teal()


def member_name(text: str) -> str:
    """A member's display name, safe to show: markdown escaped, no mentions, 64 characters."""
    return escape_markdown(neutralize_mentions(text))[:64] or "someone"


def lobby_embed(session: GroupSession) -> discord.Embed:
    cfg = session.config
    what = category_label(cfg.category).lower() if cfg.category else "any category"
    e = discord.Embed(
        title="Peer practice group",
        description=(
            f"{cfg.rounds} round{'s' if cfg.rounds != 1 else ''}, {what}. Everyone answers once per round; "
            f"the others rate each answer anonymously.\n\n**Before you join:** {CONSENT}"
        ),
        colour=COLOUR,
    )
    members = session.active_members
    lines = [f"{i}. {member_name(m.name)}{' (interviewer)' if m.user_id == session.interviewer_id else ''}"
             for i, m in enumerate(members, 1)]
    e.add_field(name=f"Members ({len(members)}/{cfg.max_members})", value="\n".join(lines) or "nobody yet",
                inline=False)
    state = {Phase.LOBBY: "waiting for the owner to press Begin", Phase.ENDED: "ended"}.get(
        session.phase, f"round {session.round_no} of {cfg.rounds}")
    e.set_footer(text=f"Status: {state}")
    return e


def turn_embed(session: GroupSession, turn: Turn) -> discord.Embed:
    answerer = session.name_of(turn.answerer_id)
    e = discord.Embed(title=f"Turn {turn.number}: {member_name(answerer)} answers", colour=COLOUR)
    if turn.interviewer_id is not None:
        e.description = (f"{member_name(session.name_of(turn.interviewer_id))} is the interviewer and asks "
                         "the question (press **Question card** to see it).")
    else:
        e.description = f"**{category_label(turn.question.category)}**: {turn.question.prompt}"
    e.add_field(name="Time", value=f"{round(session.config.turn_seconds)} s, with a warning near the end")
    e.set_footer(text="Press Done when you finish, or say \"that's my answer\". "
                      "Voice not getting through? Use Type answer.")
    return e


def feedback_embed(session: GroupSession, turn: Turn) -> discord.Embed:
    name = member_name(session.name_of(turn.answerer_id))
    a = turn.analysis
    if a is None:
        return discord.Embed(
            title=f"Turn {turn.number}: nothing to score for {name}",
            description=f"{turn.error or 'no answer'}. The group moves on.", colour=discord.Colour.light_grey(),
        )
    e = discord.Embed(title=f"Turn {turn.number}: {name} scored {a.score}/100",
                      description=safe_excerpt(a.summary, 600), colour=discord.Colour(score_colour(a.score)))
    good = strengths(a, 3)
    if good:
        e.add_field(name="Went well", value="\n".join(f"• {safe_excerpt(s, 200)}" for s in good), inline=False)
    fixes = top_fixes(a, 3)
    if fixes:
        e.add_field(name="To work on", value="\n".join(f"• {fix_line(f, '  ', for_discord=True)[:420]}" for f in fixes),
                    inline=False)
    over = [(session.name_of(u), s) for u, s in turn.crosstalk_s.items() if s >= 0.5]
    if over:
        e.add_field(name="Talked over", value=", ".join(f"{member_name(n)} ({s:.0f} s)" for n, s in over),
                    inline=False)
    e.set_footer(text=f"Question {turn.question.id} · ended: {turn.end_reason}")
    return e


def summary_embed(summary: dict[str, Any]) -> discord.Embed:
    e = discord.Embed(title="Group summary", colour=COLOUR)
    s = summary.get("strongest")
    head = f"{summary.get('answers', 0)} answers over {summary.get('rounds_played', 0)} round(s)."
    if s:
        peer = f", peers {s['peer_overall']}/5" if s.get("peer_overall") is not None else ""
        head += f"\n**Strongest answer:** {member_name(s['name'])} on `{s['question_id']}` ({s['score']}/100{peer})."
    ender = summary.get("ended_by_id")
    if isinstance(ender, int):
        head += f"\nEnded by <@{ender}>."  # rendered as their name by Discord; the summary keeps the id
    e.description = head
    for m in summary.get("members", [])[:25]:
        score = f"{m['score']}/100" if m["score"] is not None else "no scored answer"
        lines = [f"Score {score} · {m['answers']} answer(s) · talk time {round(m['talk_share'] * 100)}%"]
        pr = m["peer_ratings"]
        if pr["count"]:
            lines.append(" · ".join(f"{c} {pr[c]}" for c in CRITERIA) + f" ({pr['count']} peer rating(s))")
        if m["crosstalk_count"]:
            lines.append(f"Talked over others {m['crosstalk_count']}× ({m['crosstalk_s']:.0f} s)")
        if m["top_flags"]:
            lines.append("Work on: " + "; ".join(safe_excerpt(f["message"], 120) for f in m["top_flags"]))
        for pb in m.get("pushback", [])[:3]:
            lines.append(pushback_summary_line(pb))
        value = "\n".join(lines)[:1024]
        e.add_field(name=member_name(m["name"]) + (" (left)" if m["left"] else ""), value=value, inline=False)
    e.set_footer(text="Each member's answers are in their history. Peer ratings are anonymous.")
    return e




VERDICT_WORDS = {
    "updated": "updated the position", "defended": "defended it with a reason", "rigid": "came across as rigid",
    "no_reply": "no reply", "off_topic": "didn't address it",
}


def pushback_summary_line(pb: dict[str, Any]) -> str:
    """One challenged answer in the group summary: the verdict and the decision it questioned."""
    verdict = VERDICT_WORDS.get(pb.get("verdict", ""), str(pb.get("verdict", "")))
    why = " (talked over the challenge)" if pb.get("talked_over") else ""
    return f"Pushback, turn {pb['turn']}: {verdict}{why} on {safe_excerpt(pb['decision'], 90)!r}"


def pushback_embed(session: GroupSession, turn: Turn) -> discord.Embed:
    """The challenge after an answer and how the reply held up, with the moment quoted."""
    pb = turn.pushback
    assert pb is not None
    name = member_name(session.name_of(turn.answerer_id))
    e = discord.Embed(title=f"Turn {turn.number}: how {name} handled the pushback", colour=COLOUR)
    e.description = "\n".join(safe_excerpt(line, 400) for line in pb.lines)[:4000]
    j = pb.judgement
    if j is not None:
        e.set_footer(text=f"Verdict: {VERDICT_WORDS.get(j.verdict, j.verdict)} ({j.why})")
    return e


def question_card_embed(q: Question) -> discord.Embed:
    """The question, its follow-ups and key points, shown only to the turn's interviewer."""
    e = discord.Embed(title=f"Question card · {category_label(q.category)} · {q.difficulty}",
                      description=q.prompt, colour=COLOUR)
    if q.follow_ups:
        e.add_field(name="Follow-ups", value="\n".join(f"• {f}" for f in q.follow_ups[:4]), inline=False)
    if q.key_points:
        e.add_field(name="A good answer covers",
                    value="\n".join(f"• {k.label}" for k in q.key_points[:6]), inline=False)
    if q.challenges:  # pushback for the human interviewer, from the bank
        e.add_field(name="Push back once they commit to a choice",
                    value="\n".join(f"• {c}" for c in q.challenges[:3])[:1024], inline=False)
    e.set_footer(text="Only you can see this card.")
    return e


def challenge_card_embed(answerer_name: str, decision: str, challenge: str, reply_seconds: float) -> discord.Embed:
    """Pushback for the member in the interviewer's seat: the decision and the challenge to put to it,
    shown only to them."""
    name = member_name(answerer_name)
    e = discord.Embed(title=f"Challenge card · push back on {name}'s answer",
                      description=safe_excerpt(challenge, 1000), colour=COLOUR)
    e.add_field(name="They committed to", value=f"“{safe_excerpt(decision, 900)}”", inline=False)
    e.add_field(name="How to ask it",
                value=(f"Put the challenge to {name} in your own words now, then let them answer. I'm already "
                       f"listening for their reply: it ends when they press Done or go quiet, or after "
                       f"{round(reply_seconds)} s."), inline=False)
    e.set_footer(text="Only you can see this card.")
    return e
