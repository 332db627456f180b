# Parley bot image: espeak-ng (speech), libopus (Discord voice), libsodium (voice encryption), ffmpeg.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libopus0 libsodium23 ffmpeg \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 parley
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY question_bank ./question_bank
# EXTRAS="[scale]" adds Celery and the Redis client for transcription workers (compose.yaml)
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS}"
ENV PARLEY_DATA_DIR=/data PARLEY_BANK_DIR=/app/question_bank PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown parley /data
VOLUME ["/data"]
USER parley
# Fails fast with a clear message when DISCORD_TOKEN is not set.
CMD ["python", "-m", "bot", "run"]
