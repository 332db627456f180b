"""Long-lived services built once at start-up and handed to every front end."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bank import Bank, load_bank
from bot.config import Settings
from bot.practice.engine import PracticeEngine
from bot.speech.stt import Transcriber
from bot.speech.tts import Speaker
from bot.storage import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    bank: Bank
    transcriber: Transcriber
    speaker: Speaker
    engine: PracticeEngine

    @classmethod
    async def create(cls, settings: Settings, *, load_model: bool = True) -> Services:
        """Open the database and bank; load the model in a thread when `load_model`."""
        bank = load_bank(settings.bank_dir)
        db = await Database.for_settings(settings).open()
        transcriber = _transcriber(settings)
        if load_model:
            await transcriber.ensure_loaded()
        speaker = Speaker(settings)
        engine = PracticeEngine(settings=settings, bank=bank, transcriber=transcriber, db=db)
        return cls(settings, db, bank, transcriber, speaker, engine)

    async def close(self) -> None:
        await self.db.close()


def _transcriber(settings: Settings) -> Transcriber:
    """In this process by default; on Celery workers when PARLEY_TRANSCRIBE_URL is set."""
    if settings.transcribe_url:
        from bot.speech.remote import RemoteTranscriber

        return RemoteTranscriber(settings)
    return Transcriber(settings)
