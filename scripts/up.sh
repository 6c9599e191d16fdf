#!/usr/bin/env bash
# Lá Chắn on this machine with demo data, in the foreground (Ctrl+C stops it). Safe to run again.
# Needs: Debian/Ubuntu (or Python >= 3.11 with venv), internet access to PyPI on the first run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv
load_dotenv
# Demo defaults; anything already set in the environment or .env wins. 2FA stays as in production
# (TOTP for coordinators); TWO_FACTOR_REQUIRED_ROLES= in .env turns it off for a quick look.
export OUTBOUND_ALLOWLIST="${OUTBOUND_ALLOWLIST-127.0.0.0/8,::1/128}"          # demo sites run on loopback
export LACHAN_BIND="${LACHAN_BIND:-127.0.0.1:8000}"
export LACHAN_DEMO_SITES_PORT="${LACHAN_DEMO_SITES_PORT:-8701}"                  # demo sites: this port and the next 4

log "lachan migrate"
"$LACHAN" migrate --noinput
log "lachan collectstatic"
"$LACHAN" collectstatic --noinput -v 0
log "lachan demo load"
"$LACHAN" demo load
log "lachan demo_sites load"
"$LACHAN" demo_sites load
log "lachan demo_sites (loopback demo websites for the website watch)"
"$LACHAN" demo_sites &
DEMO_SITES_PID=$!
trap 'kill "$DEMO_SITES_PID" 2>/dev/null || true; wait "$DEMO_SITES_PID" 2>/dev/null || true' EXIT
log "lachan up --demo"
"$LACHAN" up --demo
