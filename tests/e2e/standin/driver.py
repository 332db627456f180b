"""Drive a mock round the way a person would, through the stand-in only.

Every step waits for something observable on the wire (a message, a SPEAKING update, RTP)
with a bound, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import numpy as np

from . import DiscordStandIn, StoredMessage
from .world import User

HUMAN_REACTION_S = 0.3  # the quickest a person presses a button they have just been shown


@dataclass
class Utterance:
    """One thing the bot said: between its SPEAKING on and off, with the audio it sent."""
    start: float
    end: float
    audio48: np.ndarray  # float mono, 48 kHz

    @property
    def seconds(self) -> float:
        return len(self.audio48) / 48000


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def overlap(expected: str, heard: str) -> float:
    """Share of the expected content words (4+ letters) that were heard."""
    want = {w for w in words(expected) if len(w) >= 4}
    return len(want & words(heard)) / max(1, len(want))


def answer_lines(transcript_file_text: str) -> str:
    """Only what was heard from the member: the "Answer …:" lines of the attached transcript
    (its question lines would otherwise share words with any on-topic answer)."""
    return "\n".join(line.split(":", 1)[1] for line in transcript_file_text.splitlines()
                     if line.startswith("Answer") and ":" in line)


def button_id(message: StoredMessage, label: str) -> str:
    for b in message.buttons():
        if (b.get("label") or "").lower() == label.lower():
            return b["custom_id"]
    raise AssertionError(f"no {label!r} button on message {message.id}: "
                         f"{[b.get('label') for b in message.buttons()]}")


def has_enabled_button(label: str):
    def pred(m: StoredMessage) -> bool:
        return any((b.get("label") or "").lower() == label.lower() and not b.get("disabled")
                   for b in m.buttons())
    return pred


def embed_title(m: StoredMessage) -> str:
    return " ".join(e.get("title") or "" for e in m.embeds)


async def press(s: DiscordStandIn, member: User, message: StoredMessage, label: str, *,
                attempts: int = 3) -> dict:
    """Press the button `label` like a person: when Discord reports "This interaction failed"
    (no response within its 3 s deadline, e.g. the bot had not registered the buttons of a
    message it had only just posted), press again. Returns the acknowledged interaction."""
    for attempt in range(1, attempts + 1):
        # A person sees a message before pressing its button. This is part of the simulated
        # user, not a wait for the bot: discord.py registers a message's buttons only after the
        # REST call that posted it returns, a window of milliseconds no human click can hit.
        await asyncio.sleep(HUMAN_REACTION_S)
        current = s.rest.messages.get(message.id, message)
        record = await s.gateway.click(member, current, button_id(current, label))
        try:
            await s.events.wait_for("interaction_response", lambda d: d["interaction"]["id"] == record["id"],
                                    timeout=s.rest.ack_deadline_s + 1.0, what=f"a response to {label!r}")
            return record
        except TimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


async def wait_speech_finished(s: DiscordStandIn, *, after: float, timeout: float, what: str) -> Utterance:
    """The next thing the bot says after `after`: its SPEAKING on (op 5, sent before each clip),
    audio, then SPEAKING off."""
    on = await s.events.wait_for("bot_speaking", lambda d: d["speaking"] != 0, timeout=timeout, after=after,
                                 what=f"SPEAKING on for {what}")
    off = await s.events.wait_for("bot_speaking", lambda d: d["speaking"] == 0, timeout=timeout,
                                  after=on.at, what=f"the end of {what} (SPEAKING off)")
    utterance = Utterance(on.at, off.at, spoken(s, on.at, off.at))
    if utterance.seconds < 0.2:
        raise AssertionError(f"the bot announced {what} but sent almost no audio ({utterance.seconds:.2f} s)")
    return utterance


def spoken(s: DiscordStandIn, start: float, end: float) -> np.ndarray:
    packets = [p for p in s.voice.bot_packets(start - 0.05) if p.at <= end + 0.1]
    if not packets:
        return np.zeros(0, dtype=np.float32)
    pcm = b"".join(p.pcm for p in packets)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, 2).mean(axis=1) / 32768.0


def utterances_between(s: DiscordStandIn, start: float, end: float) -> list[Utterance]:
    """Every SPEAKING on→off window of the bot within [start, end]."""
    out: list[Utterance] = []
    opened: float | None = None
    for ev in s.events.find("bot_speaking", after=start):
        if ev.at > end:
            break
        if ev.data["speaking"] and opened is None:
            opened = ev.at
        elif not ev.data["speaking"] and opened is not None:
            out.append(Utterance(opened, ev.at, spoken(s, opened, ev.at)))
            opened = None
    return out


async def start_mock_round(s: DiscordStandIn, member: User, *, question_id: str, timeout: float
                           ) -> tuple[StoredMessage, float]:
    """`/mock start question:<id>`, accept the consent notice; returns (question card, time)."""
    t0 = time.monotonic()
    # the scenarios that use this end at the last answer (the candidate's questions have their own)
    await s.gateway.slash_command(member, "mock", "start", {"question": question_id, "your_questions": False})
    consent = await s.wait_message(has_enabled_button("Start recording"), timeout=timeout,
                                   what="the consent notice with 'Start recording'", after=t0)
    t_accept = time.monotonic()
    await press(s, member, consent, "Start recording")
    card = await s.wait_message(has_enabled_button("Done"), timeout=timeout,
                                what="the question card with a Done button", after=t_accept)
    return card, t_accept


def latest_with_enabled(s: DiscordStandIn, label: str) -> StoredMessage:
    found = [m for m in s.messages() if has_enabled_button(label)(m)]
    if not found:
        raise AssertionError(f"no message with an enabled {label!r} button")
    return max(found, key=lambda m: m.id)
