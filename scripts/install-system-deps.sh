#!/usr/bin/env bash
# Installs the system packages Parley needs (Debian/Ubuntu): espeak-ng for speech, libopus for
# Discord voice, libsodium for voice encryption, ffmpeg/sox for audio handling in tests, redis-server
# for the transcription-worker tests (make test-scale; the bot itself needs it only with PARLEY_TRANSCRIBE_URL),
# postgresql for the storage tests on Postgres (make test-scale).
set -euo pipefail
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v ffmpeg   >/dev/null 2>&1 || need+=(ffmpeg)
command -v sox      >/dev/null 2>&1 || need+=(sox)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# Postgres for the storage tests on Postgres (make test-scale); the bot needs it only with PARLEY_DATABASE_URL
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
ldconfig -p 2>/dev/null | grep -q 'libopus\.so\.0'   || need+=(libopus0)
ldconfig -p 2>/dev/null | grep -q 'libsodium\.so'    || need+=(libsodium23)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
