"""The real tiny.en model on real and synthesized speech: accuracy, fillers, threads, errors."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.speech import stt
from bot.speech.audio import SAMPLE_RATE, decode_file, resample_mono
from bot.speech.stt import DISFLUENCY_PROMPT, ModelNotFound, Transcriber, resolve_model
from tests.conftest import AUDIO, espeak
from tests.loop_lag import LoopTicker
from tests.wer import wer

pytestmark = pytest.mark.slow

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


def test_jfk_word_error_rate(transcriber: Transcriber, jfk_path: Path) -> None:
    t = transcriber.transcribe_sync(decode_file(jfk_path))
    score = wer(JFK, t.text)
    print(f"\njfk WER {score:.1%}: {t.text!r}")
    assert score <= 0.05  # issue 11's bar (measured: 0.0%)
    assert t.duration_s == pytest.approx(11.0, abs=0.01)
    # words come in order, inside the audio, with sane spans
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= 11.05 for w in t.words)
    assert all(w.text == w.text.strip() and w.text for w in t.words)
    assert all(0.0 <= w.probability <= 1.0 for w in t.words)


def test_each_stereo_channel_transcribes_to_its_speaker(transcriber: Transcriber) -> None:
    with wave.open(str(AUDIO / "stereo_diarization.wav")) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, channels)
    assert channels == 2
    scores = {}
    for idx, (side, ref) in enumerate((("left", LEFT), ("right", RIGHT))):
        mono = resample_mono(pcm[:, idx].astype(np.float32) / 32768.0, rate, SAMPLE_RATE)
        text = transcriber.transcribe_sync(mono).text
        scores[side] = wer(ref, text)
        print(f"\n{side} WER {scores[side]:.1%}: {text!r}")
    assert scores["left"] <= 0.25 and scores["right"] <= 0.25


def test_offset_shifts_word_times_not_duration(transcriber: Transcriber, jfk_path: Path) -> None:
    x = decode_file(jfk_path)
    base = transcriber.transcribe_sync(x)
    shifted = transcriber.transcribe_sync(x, offset_s=100.0)
    assert [w.text for w in shifted.words] == [w.text for w in base.words]
    for a, b in zip(base.words, shifted.words):
        assert b.start == pytest.approx(a.start + 100.0, abs=1e-6)
    assert shifted.duration_s == base.duration_s


def test_progress_reports_up_to_the_end(transcriber: Transcriber, jfk_path: Path) -> None:
    x = decode_file(jfk_path)
    long = np.concatenate([x, np.zeros(SAMPLE_RATE * 2, np.float32), x, np.zeros(SAMPLE_RATE * 2, np.float32), x])
    calls: list[tuple[float, float]] = []
    t = transcriber.transcribe_sync(long, progress=lambda done, total: calls.append((done, total)))
    total = len(long) / SAMPLE_RATE
    assert len(calls) >= 3  # several segments, then the final call
    assert all(tot == pytest.approx(total) for _, tot in calls)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[-1] == pytest.approx(total)
    assert wer(" ".join([JFK] * 3), t.text) <= 0.15


def test_silence_and_tiny_inputs_give_no_words(transcriber: Transcriber) -> None:
    assert transcriber.transcribe_sync(np.zeros(0, np.float32)).words == []
    assert transcriber.transcribe_sync(np.zeros(800, np.float32)).words == []
    rng = np.random.default_rng(3)
    hiss = (rng.standard_normal(SAMPLE_RATE * 20) * 0.003).astype(np.float32)
    t = transcriber.transcribe_sync(hiss)
    assert t.words == [], f"VAD should keep whisper from inventing text in silence, got {t.text!r}"
    assert t.duration_s == pytest.approx(20.0)


async def test_transcribe_runs_off_the_event_loop(transcriber: Transcriber, jfk_path: Path) -> None:
    """While a long answer transcribes, the loop keeps ticking (a behaviour check, not a timing target)."""
    x = np.tile(decode_file(jfk_path), 3)
    loop_thread = threading.get_ident()
    seen_threads: set[int] = set()
    original_cls = transcriber._pipeline_cls

    class Spy(original_cls):  # type: ignore[misc, valid-type]
        def transcribe(self, *a, **k):
            seen_threads.add(threading.get_ident())
            return super().transcribe(*a, **k)

    transcriber._pipeline_cls = Spy
    try:
        async with LoopTicker(0.02) as ticker:
            t0 = time.perf_counter()
            result = await transcriber.transcribe(x)
            elapsed = time.perf_counter() - t0
    finally:
        transcriber._pipeline_cls = original_cls
    gaps = ticker.gaps
    assert loop_thread not in seen_threads and seen_threads
    assert result.words
    assert len(gaps) >= 5, f"the loop ticked {len(gaps)} times in {elapsed:.2f} s"
    # a blocked loop shows one gap as long as the whole transcription
    assert max(gaps) < min(0.3, 0.5 * elapsed), f"longest loop stall {max(gaps):.3f} s of {elapsed:.2f} s"



async def test_concurrent_transcriptions_do_not_mix(transcriber: Transcriber, jfk_path: Path) -> None:
    """Peer groups transcribe several members at once: each result must match a solo run."""
    jfk = decode_file(jfk_path)
    with wave.open(str(AUDIO / "stereo_diarization.wav")) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    left = np.concatenate([np.zeros(SAMPLE_RATE * 3, np.float32), pcm[:, 0].astype(np.float32) / 32768.0])
    solo = [transcriber.transcribe_sync(x) for x in (jfk, left)]
    together = await asyncio.gather(transcriber.transcribe(jfk), transcriber.transcribe(left))
    for a, b in zip(solo, together):
        assert [w.text for w in a.words] == [w.text for w in b.words]
        for wa, wb in zip(a.words, b.words):
            assert wb.start == pytest.approx(wa.start, abs=0.05) and wb.end == pytest.approx(wa.end, abs=0.05)
    assert together[1].words[0].start > 2.5  # the 3 s lead-in stays on the clock


# ------------------------------------------------------------------ fillers

FILLER_ANSWERS = [
    "So, um, I would start with a token bucket, uh, per user, you know, stored in Redis.",
    "Um, the first thing, uh, I'd clarify is the scale. You know, how many requests per second.",
    "Uh, I think, um, we should make the consumer idempotent, you know, with a dedupe key.",
    "Well, um, the tradeoff is, uh, latency versus, you know, consistency.",
]
CLEAN_ANSWERS = [
    "I would put a queue between the API and the workers so that bursts do not overload the database.",
    "The result was that the error rate dropped from two percent to almost zero within a week.",
    "A hash map gives constant time lookups, so the whole pass is linear in the number of events.",
    "I owned the migration, and I decided to roll it out behind a feature flag to limit the risk.",
]
_FILLER_TOKENS = {"um", "umm", "uhm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "hm"}


def count_fillers(text: str) -> int:
    low = text.lower()
    tokens = re.findall(r"[a-z']+", low)
    return sum(t in _FILLER_TOKENS for t in tokens) + len(re.findall(r"\byou know\b", low))


def test_disfluency_prompt_keeps_fillers(transcriber: Transcriber, tmp_path: Path) -> None:
    said = {"with": 0, "without": 0}
    expected = 0
    for voice in ("en-us", "en-gb"):
        for i, answer in enumerate(FILLER_ANSWERS):
            x = decode_file(espeak(answer, tmp_path / f"{voice}-{i}.wav", voice=voice))
            n = count_fillers(answer)
            expected += n
            with_prompt = transcriber.transcribe_sync(x)
            without = transcriber.transcribe_sync(x, initial_prompt=None)
            # count at most what was said: a filler heard twice is not two survivors
            said["with"] += min(n, count_fillers(with_prompt.text))
            said["without"] += min(n, count_fillers(without.text))
    # the prompt must not invent fillers in fluent answers, nor cost accuracy there
    invented = 0
    errors = {"with": [], "without": []}
    for voice in ("en-us", "en-gb"):
        for i, answer in enumerate(CLEAN_ANSWERS):
            x = decode_file(espeak(answer, tmp_path / f"clean-{voice}-{i}.wav", voice=voice))
            text = transcriber.transcribe_sync(x).text
            invented += count_fillers(text)
            errors["with"].append(wer(answer, text))
            errors["without"].append(wer(answer, transcriber.transcribe_sync(x, initial_prompt=None).text))
    wer_with, wer_without = (float(np.mean(errors[k])) for k in ("with", "without"))
    print(f"\nfillers surviving: with the disfluency prompt {said['with']}/{expected} "
          f"({said['with'] / expected:.0%}), without {said['without']}/{expected} "
          f"({said['without'] / expected:.0%}); fluent answers: {invented} fillers invented, "
          f"WER {wer_with:.1%} with the prompt vs {wer_without:.1%} without")
    assert said["with"] >= said["without"]
    assert said["with"] >= 0.75 * expected
    assert invented <= 1
    assert wer_with <= wer_without + 0.05


def test_prompt_is_written_with_disfluencies() -> None:
    assert count_fillers(DISFLUENCY_PROMPT) >= 3


# ------------------------------------------------------------------ model resolution (no loading)


def test_default_model_is_the_bundled_tiny_en() -> None:
    path = Path(resolve_model(""))
    assert (path / "model.bin").exists()


def test_existing_model_folder_is_used_as_is() -> None:
    bundled = resolve_model("")
    assert resolve_model(bundled) == bundled


def test_folder_without_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no model.bin.*PARLEY_WHISPER_MODEL"):
        resolve_model(str(tmp_path))


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="does not exist.*PARLEY_WHISPER_MODEL"):
        resolve_model(str(tmp_path / "models" / "nope"))


def test_unknown_name() -> None:
    with pytest.raises(ModelNotFound, match="Unknown whisper model 'gigantic-v9'"):
        resolve_model("gigantic-v9")


def test_named_model_offline_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the network peer is faked: the hub cannot be reached."""
    import huggingface_hub

    def unreachable(*a, **k):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.raises(ModelNotFound, match="'base.en' is not on this machine.*PARLEY_WHISPER_MODEL"):
        resolve_model("base.en")


def test_transcriber_reports_missing_model_on_load(tmp_path: Path) -> None:
    t = Transcriber(Settings.from_env({}, whisper_model=str(tmp_path / "nowhere")))
    with pytest.raises(ModelNotFound):
        t.load()
    assert not t.loaded


def test_load_is_idempotent(transcriber: Transcriber) -> None:
    model = transcriber._model
    transcriber.load()
    asyncio.run(transcriber.ensure_loaded())
    assert transcriber._model is model and transcriber.load_seconds is not None


# This answer, in espeak-ng's Scottish voice at 150 wpm, sends greedy decoding with the
# disfluency prompt into a loop ("I'd say, I'd say, …" for the whole answer).
LOOPING_ANSWER = (
    "At a manufacturing company, my manager asked me to improve visibility into the production lines, "
    "and nobody could say what that meant. I was the only backend engineer on it, for one quarter. I "
    "interviewed the shift leads, wrote a one page proposal, and we built a small dashboard of machine "
    "downtime. People seemed to like it and it was a good learning experience."
)


def test_a_decoding_loop_is_caught_and_the_answer_recovered(transcriber: Transcriber, tmp_path: Path) -> None:
    audio = decode_file(espeak(LOOPING_ANSWER, tmp_path / "loop.wav", voice="en-gb-scotland", rate=150))
    result = transcriber.transcribe_sync(audio)
    assert wer(LOOPING_ANSWER, result.text) <= 0.35, result.text
    assert stt._compression_ratio(result.text) <= stt.LOOP_COMPRESSION_RATIO


@pytest.mark.parametrize(
    "text, n_words, seconds, broken",
    [
        ("I'd say, " * 40, 80, 20.0, True),          # a repetition loop
        ("I'd say,", 2, 25.0, True),                  # a long stretch of speech with two words
        ("So I would start with a hash map keyed by event id and a time window.", 15, 5.0, False),
        ("Okay.", 1, 1.5, False),                     # short segments may hold a single word
    ],
)
def test_broken_segments_are_recognised(text: str, n_words: int, seconds: float, broken: bool) -> None:
    assert stt._looks_broken(text, n_words, seconds) is broken


def test_a_collapsed_decode_around_a_pause_is_recovered(transcriber: Transcriber, tmp_path: Path) -> None:
    """The same voice with a thinking pause: the collapsed decode reported two words with a short,
    wrong time span, so only the VAD's speech regions reveal the lost speech."""
    from bot.analysis.timing import find_silences

    first, second = LOOPING_ANSWER.split(" I interviewed")
    second = "I interviewed" + second
    a = decode_file(espeak(first, tmp_path / "a.wav", voice="en-gb-scotland", rate=160))
    b = decode_file(espeak(second, tmp_path / "b.wav", voice="en-gb-scotland", rate=160))
    pause = np.zeros(int(5.5 * SAMPLE_RATE), dtype=np.float32)
    result = transcriber.transcribe_sync(np.concatenate([a, pause, b]))
    assert wer(LOOPING_ANSWER, result.text) <= 0.35, result.text
    gaps = find_silences(result, 4.0)
    start = len(a) / SAMPLE_RATE
    assert any(abs(g.start - start) < 1.0 and g.end - g.start > 4.0 for g in gaps), gaps
    assert all(g.end - g.start < 10 for g in gaps), gaps
