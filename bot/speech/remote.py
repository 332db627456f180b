"""Transcription on a pool of Celery workers (Redis as broker and result backend).

Chosen by `PARLEY_TRANSCRIBE_URL=redis://host:port/db`; without it the bot transcribes in its own
process (`bot.speech.stt.Transcriber`) exactly as before. `RemoteTranscriber` has the same
interface, so the listener, rounds and daily answers do not know where the model runs: each chunk
cut at a pause is sent as 16 kHz int16 PCM, a worker (`bot.speech.worker`) transcribes it with the
same model and options, and words with timestamps (and hesitations) come back. The caller keeps
the order: it waits for one chunk before it sends the next.

Faults, and what the bot sees:
- a worker dies mid-chunk: late acknowledgement (`acks_late`, `reject_on_worker_lost`) puts the
  chunk back on the queue and another worker transcribes it; the caller just waits a little longer
  (at once when a pool process dies, after `VISIBILITY_TIMEOUT_S` when the whole worker is gone);
- no worker answers within `PARLEY_TRANSCRIBE_TIMEOUT_S`, or the broker stays unreachable that
  long: `TranscriptionUnavailable`; the chunk carries the same bound as its expiry, so a worker
  that starts later drops it instead of doing work nobody waits for;
- a chunk a worker cannot decode, or one from another wire version: `ChunkRefused`, at once, never
  retried (the worker logs why and carries on).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from typing import Any

import numpy as np

from bot.config import Settings
from bot.models import Transcript, Word
from bot.speech.stt import SAMPLE_RATE, ProgressFn, Transcriber

log = logging.getLogger(__name__)

# Bump when the message or the result changes shape: a worker refuses chunks of another version.
WIRE_VERSION = 1
TASK_NAME = "parley.transcribe"
QUEUE = "parley.transcribe"
# The longest chunk a worker accepts: the longest answer (PARLEY_MAX_ANSWER_S 600) and a margin.
MAX_CHUNK_S = 660.0
# A chunk taken by a worker whose whole process then vanished (not just a pool child) goes back on
# the queue after this long; shorter than the default wait bound so it is transcribed within it.
VISIBILITY_TIMEOUT_S = 12
_RETRY_PAUSE_S = 0.25  # between attempts to reach a broker that is down
# Once a chunk found no worker, the next ones must be taken by a worker within this long (until one
# answers again): an answer's pending chunks must not each wait the full bound (ten chunks, five
# minutes) for a fleet that is down. An idle worker takes a chunk within milliseconds, and one that
# has taken it still gets the full bound to finish.
DEGRADED_WAIT_S = 3.0


class TranscriptionUnavailable(RuntimeError):
    """No worker transcribed the chunk within the bound (no worker running, or the broker down)."""


class ChunkRefused(ValueError):
    """A worker refused the chunk (audio it cannot decode, or another wire version); never retried."""


def make_app(url: str) -> Any:
    """The Celery app both sides use: same serializer, queue and delivery guarantees."""
    try:
        from celery import Celery
    except ImportError:
        raise RuntimeError("PARLEY_TRANSCRIBE_URL is set but Celery is not installed: "
                           "pip install 'parley[scale]' (or unset PARLEY_TRANSCRIBE_URL to transcribe in this process)") from None
    app = Celery("parley", broker=url, backend=url)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_default_queue=QUEUE,
        task_acks_late=True,               # acknowledge after the chunk is transcribed …
        task_reject_on_worker_lost=True,   # … and put it back when the worker died doing it
        task_track_started=True,           # STARTED (with the worker's pid) is visible to the caller
        worker_prefetch_multiplier=1,      # a worker holds one chunk at a time: no chunk waits behind a busy one
        result_expires=600,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        # a chunk held by a worker process that vanished (the whole worker, not just a pool child) is
        # put back after VISIBILITY_TIMEOUT_S; the surviving workers look every 2 s (kombu's default
        # sweep is every 100 s, past any wait bound)
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S, "socket_connect_timeout": 2,
                                  "unacked_restore_interval": 2, "unacked_restore_throttle": 1},
        redis_socket_connect_timeout=2,
        redis_retry_on_timeout=True,
        result_backend_always_retry=True,
        result_backend_max_retries=3,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
    )
    return app


# ---------------------------------------------------------------------------------- the wire
def encode_chunk(samples: np.ndarray, offset_s: float) -> dict[str, Any]:
    """16 kHz float32 samples → the JSON message: int16 little-endian PCM in base64 (half the bytes
    of float32, and what the listener already stores)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    return {"v": WIRE_VERSION, "rate": SAMPLE_RATE, "format": "s16le", "offset_s": float(offset_s),
            "pcm": base64.b64encode(pcm).decode("ascii")}


def decode_chunk(msg: Any) -> tuple[np.ndarray, float]:
    """The message → (float32 samples, offset_s); `ChunkRefused` saying what is wrong with it."""
    if not isinstance(msg, dict):
        raise ChunkRefused(f"a chunk must be a JSON object, not {type(msg).__name__}")
    if msg.get("v") != WIRE_VERSION:
        raise ChunkRefused(f"chunk of wire version {msg.get('v')!r} but this worker speaks version {WIRE_VERSION}: "
                           "run the bot and its workers from the same Parley release")
    if msg.get("rate") != SAMPLE_RATE or msg.get("format") not in ("s16le", "f32le"):
        raise ChunkRefused(f"audio must be {SAMPLE_RATE} Hz s16le or f32le, not {msg.get('rate')!r} Hz {msg.get('format')!r}")
    offset = msg.get("offset_s")
    if not isinstance(offset, int | float) or not np.isfinite(offset) or offset < 0:
        raise ChunkRefused(f"offset_s must be a non-negative number, not {offset!r}")
    try:
        raw = base64.b64decode(str(msg.get("pcm", "")), validate=True)
    except ValueError:
        raise ChunkRefused("the pcm field is not base64") from None
    width = 2 if msg["format"] == "s16le" else 4
    if len(raw) % width:
        raise ChunkRefused(f"{len(raw)} bytes is not a whole number of {msg['format']} samples")
    if len(raw) // width > MAX_CHUNK_S * SAMPLE_RATE:
        raise ChunkRefused(f"a chunk of {len(raw) // width / SAMPLE_RATE:.0f} s is longer than {MAX_CHUNK_S:.0f} s")
    if width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    else:
        samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if not np.all(np.isfinite(samples)) or (samples.size and float(np.max(np.abs(samples))) > 1.0):
            raise ChunkRefused("f32le samples must be finite and within [-1, 1]")
    return samples, float(offset)


def encode_transcript(t: Transcript, **extra: Any) -> dict[str, Any]:
    return {"v": WIRE_VERSION, "duration_s": t.duration_s, "hesitations": [list(h) for h in t.hesitations],
            "words": [[w.text, w.start, w.end, w.probability] for w in t.words], **extra}


def decode_transcript(msg: dict[str, Any]) -> Transcript:
    words = [Word(text=str(a), start=float(b), end=float(c), probability=float(d)) for a, b, c, d in msg["words"]]
    return Transcript(words=words, duration_s=float(msg["duration_s"]),
                      hesitations=[(float(a), float(b)) for a, b in msg["hesitations"]])


# ---------------------------------------------------------------------------------- the bot side
class RemoteTranscriber(Transcriber):
    """A `Transcriber` whose model runs on Celery workers. Blocking calls wait at most
    `settings.transcribe_timeout_s` per chunk; `transcribe` runs them in a thread like the local one."""

    def __init__(self, settings: Settings, *, app: Any = None) -> None:
        super().__init__(settings)
        if not settings.transcribe_url:
            raise ValueError("RemoteTranscriber needs PARLEY_TRANSCRIBE_URL")
        self.app = app or make_app(settings.transcribe_url)
        self.timeout_s = float(settings.transcribe_timeout_s)
        self.available: bool | None = None  # None until the first check or chunk
        self.model_path = f"workers at {_safe_url(settings.transcribe_url)}"
        self.last_worker: str | None = None  # "host:pid" that transcribed the last chunk (logs, tests)
        self.sent = 0  # chunks sent (and re-sent after a broker outage): the broker's message count
        self.sent_audio_s = 0.0

    @property
    def loaded(self) -> bool:
        return True  # nothing to load in this process

    def load(self) -> None:
        """Check the broker and the workers once; never raises (the bot starts without them)."""
        self.check()

    async def ensure_loaded(self) -> None:
        await asyncio.to_thread(self.check)

    def check(self, timeout_s: float = 2.0) -> bool:
        """Is the broker reachable and does a worker answer a ping? Logs the answer; never raises."""
        url = _safe_url(self.settings.transcribe_url)
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout_s)
            replies = self.app.control.ping(timeout=timeout_s, limit=1)  # returns at the first answer
        except Exception as e:  # kombu/redis connection errors
            self._set_available(False, f"the broker at {url} is unreachable ({type(e).__name__})")
            return False
        if not replies:
            self._set_available(False, f"no transcription worker answers on {url}")
            return False
        self._set_available(True, f"transcription workers answer on {url}")
        return True

    def _drop_backend(self) -> None:
        """Celery's Redis result consumer gives up for good once a reconnect fails ("the Celery
        application must be restarted"); it is per thread, so drop this thread's and the next
        attempt builds a new one."""
        local = getattr(self.app, "_local", None)
        if local is not None and hasattr(local, "backend"):
            del local.backend

    def _set_available(self, ok: bool, why: str) -> None:
        if ok and self.available is not True:
            log.info("transcription is available: %s", why)
        elif not ok and self.available is not False:
            log.warning("transcription is unavailable: %s; answers are heard again as soon as it returns", why)
        self.available = ok

    def transcribe_sync(self, samples: np.ndarray, *, offset_s: float = 0.0,
                        progress: ProgressFn | None = None, initial_prompt: Any = None) -> Transcript:
        """Send one chunk and wait for its words (blocking; call from a thread).

        Raises `TranscriptionUnavailable` when no worker takes the chunk within the bound (`timeout_s`,
        or `DEGRADED_WAIT_S` while workers are known to be missing) or the one that took it does
        not finish within `timeout_s`; `ChunkRefused` when a worker refuses the chunk. Keeps trying
        while the broker is down, within the same bound.
        """
        from celery.exceptions import TimeoutError as CeleryTimeout

        msg = encode_chunk(samples, offset_s)
        total = np.asarray(samples).size / SAMPLE_RATE
        start = time.monotonic()
        deadline = start + self.timeout_s
        # a worker must take the chunk by then (its expiry); one that has taken it gets the full bound
        pickup = self.timeout_s if self.available is not False else min(self.timeout_s, DEGRADED_WAIT_S)
        last_error = "no worker answered"
        while True:
            left = min(deadline, start + pickup) - time.monotonic()
            if left <= 0:
                self._set_available(False, last_error)
                raise TranscriptionUnavailable(f"no transcription worker answered within {pickup:g} s ({last_error})")
            res = None
            try:
                res = self.app.send_task(TASK_NAME, args=(msg,), expires=left, queue=QUEUE)
                self.sent += 1
                self.sent_audio_s += total
                try:
                    out = res.get(timeout=max(0.05, left), interval=0.02, propagate=True, disable_sync_subtasks=False)
                except CeleryTimeout:
                    if res.state != "STARTED":  # no worker took it in time: it expires in the queue
                        self._set_available(False, "no worker takes chunks")
                        raise TranscriptionUnavailable(f"no transcription worker took the chunk within {pickup:g} s") from None
                    out = res.get(timeout=max(0.05, deadline - time.monotonic()), interval=0.02,
                                  propagate=True, disable_sync_subtasks=False)
            except CeleryTimeout:
                raise TranscriptionUnavailable(f"the worker transcribing the chunk did not finish within {self.timeout_s:g} s") from None
            except TranscriptionUnavailable:
                raise
            except ChunkRefused as e:
                log.warning("a worker refused a chunk of %.1f s: %s", total, e)
                raise
            except Exception as e:
                if not _lost_connection(e):
                    raise_failed(e)
                last_error = f"the broker is unreachable ({type(e).__name__})"
                self._set_available(False, last_error)
                self._drop_backend()
                time.sleep(min(_RETRY_PAUSE_S, max(0.0, deadline - time.monotonic())))
                continue
            finally:
                _release(res)
            self._set_available(True, "a worker answered")
            self.last_worker = out.get("worker")
            if progress:
                progress(total, total)
            return decode_transcript(out)


def _lost_connection(e: BaseException) -> bool:
    """Did this fail because Redis could not be reached (kombu, redis-py or Celery's own wrapper)?"""
    from kombu.exceptions import OperationalError

    seen: BaseException | None = e
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OperationalError | ConnectionError | OSError) or "ConnectionError" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def raise_failed(e: BaseException) -> None:
    """A failure on the worker's side, said in our terms; never retried."""
    if type(e).__name__ == "ChunkRefused":  # rebuilt from the stored result by name
        raise ChunkRefused(str(e)) from None
    raise TranscriptionUnavailable(f"the worker failed on this chunk: {type(e).__name__}: {e}") from None


def _release(res: Any) -> None:
    """Stop listening for a result now, while the broker is known; without this the result's
    `__del__` does it at some later garbage collection, and prints a traceback if Redis is gone."""
    if res is None or res.backend is None:
        return
    try:
        res.backend.remove_pending_result(res)
    except Exception:  # the broker is down: nothing to unsubscribe from
        pass
    res.backend = None


def _safe_url(url: str) -> str:
    """The URL without its password, for logs."""
    from urllib.parse import urlsplit

    p = urlsplit(url)
    host = p.hostname or ""
    return f"{p.scheme}://{host}{':' + str(p.port) if p.port else ''}{p.path}"
