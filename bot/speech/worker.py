"""A Celery transcription worker: `python -m bot.speech.worker` (or `celery -A bot.speech.worker worker`).

Reads the same environment as the bot (`PARLEY_TRANSCRIBE_URL`, `PARLEY_WHISPER_*`). Each pool
process loads the whisper model once, when it starts (`worker_process_init`), and then transcribes
chunks with the bot's own `Transcriber`, so words, timestamps and hesitations are the same as
in-process. A chunk it cannot decode, or one from another wire version, is refused with one log
line and a `ChunkRefused` result; it is acknowledged, never retried, and the worker carries on.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from typing import Any

from celery.signals import worker_process_init

from bot.config import Settings
from bot.speech.remote import QUEUE, TASK_NAME, ChunkRefused, decode_chunk, encode_transcript, make_app
from bot.speech.stt import Transcriber

log = logging.getLogger("parley.worker")

SETTINGS = Settings.from_env()
if not SETTINGS.transcribe_url:
    sys.exit("PARLEY_TRANSCRIBE_URL is not set: a transcription worker needs the redis:// URL the bot uses")
app = make_app(SETTINGS.transcribe_url)
_transcriber: Transcriber | None = None


def _model() -> Transcriber:
    global _transcriber
    if _transcriber is None:
        t = Transcriber(SETTINGS)
        t.load()
        _transcriber = t
        log.info("worker %s: whisper model loaded in %.2f s", os.getpid(), t.load_seconds or 0.0)
    return _transcriber


@worker_process_init.connect
def _load_model(**_: Any) -> None:
    """Each pool process loads the model once, before it takes its first chunk."""
    _model()


@app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, throws=(ChunkRefused,))
def transcribe_chunk(self: Any, msg: dict[str, Any]) -> dict[str, Any]:
    """One chunk (see `bot.speech.remote.encode_chunk`) → its words, hesitations and who did it."""
    # A chunk that took a worker longer than the visibility timeout is handed out again; when the
    # first run has finished meanwhile, its stored result is the answer (no second transcription).
    done = self.AsyncResult(self.request.id)
    if done.state == "SUCCESS" and isinstance(done.result, dict):
        log.info("chunk %s was already transcribed; returning the stored result", self.request.id)
        return dict(done.result)
    try:
        samples, offset_s = decode_chunk(msg)
    except ChunkRefused as e:
        log.error("refused a chunk: %s", e)
        raise
    t0 = time.perf_counter()
    transcript = _model().transcribe_sync(samples, offset_s=offset_s)
    return encode_transcript(transcript, worker=f"{socket.gethostname()}:{os.getpid()}",
                             seconds=round(time.perf_counter() - t0, 4))


def main(argv: list[str] | None = None) -> None:
    """Start a worker on the transcription queue; extra arguments go to `celery worker`."""
    args = ["worker", "--queues", QUEUE, "--pool", "prefork", "--concurrency", "1",
            "--loglevel", SETTINGS.log_level, "--hostname", "parley@%h", *(sys.argv[1:] if argv is None else argv)]
    app.worker_main(args)


if __name__ == "__main__":
    main()
