"""Audio-quality honesty: lost or undecryptable audio is not the candidate's silence."""

from __future__ import annotations

from bot.models import Analysis, Flag, Silence
from bot.practice.audio_quality import POOR_AUDIO, PoorStretch, excuse_poor_audio, stretches
from tests.unit.practice.listening_helpers import feed, make, silence, speech


def test_marks_group_into_stretches_and_scattered_ones_do_not_count() -> None:
    marks = [(2.0 + 0.02 * i, 1) for i in range(100)] + [(9.0, 1), (9.5, 1)] + [(12.0, 30)]
    got = stretches(marks)
    assert [(round(p.start, 2), round(p.end, 2), p.bad_frames) for p in got] == [
        (1.7, 4.3, 100), (11.7, 12.9, 30)]
    assert got[0].bad_share > 0.7


def _analysis(silences: list[Silence], flags: list[Flag]) -> Analysis:
    return Analysis("q", "coding", "text", 20.0, {}, silences, {}, flags, 70, "", "")


def test_a_silence_inside_a_poor_stretch_is_not_blamed_one_outside_still_is() -> None:
    inside, outside = Silence(5.0, 10.0), Silence(14.0, 19.0)
    a = _analysis([inside, outside], [Flag("long_silence", "5.0 s of silence", 5.0, 2),
                                      Flag("long_silence", "5.0 s of silence", 14.0, 2),
                                      Flag("missing_outcome", "no outcome", None, 2)])
    got = excuse_poor_audio(a, [PoorStretch(4.5, 9.0, 200)])
    assert got.silences == [outside]
    assert [(f.code, f.at_s) for f in got.flags] == [
        ("long_silence", 14.0), ("missing_outcome", None), (POOR_AUDIO, 4.5)]
    assert "audio was poor" in got.flags[-1].message and "0:04–0:09" in got.flags[-1].message
    assert excuse_poor_audio(a, []) is a


def test_undecryptable_audio_neither_nudges_nor_ends_the_answer(open_listeners) -> None:
    lst, ev, _, clock = make(long_silence_s=4.0, end_silence_s=6.0)
    open_listeners.append(lst)
    feed(lst, clock, speech(2.0))
    for _ in range(400):           # 8 s of frames that arrive but cannot be decrypted
        clock.t += 0.02
        lst.mark_poor_audio(1, at=clock.t - 0.02)
        lst.tick(clock.t)
    feed(lst, clock, speech(1.0, seed=1))
    assert not ev.long_silences and not ev.ends, "a gap the network made is not the user's pause"
    (p,) = lst.poor_stretches()
    assert p.bad_frames == 400 and 1.5 < p.start < 2.1 and 9.9 < p.end < 10.5
    # a real pause afterwards is still the user's
    feed(lst, clock, silence(5.0))
    assert len(ev.long_silences) == 1
