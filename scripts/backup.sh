#!/usr/bin/env bash
# Back up Lá Chắn: database (SQLite backup API or pg_dump -Fc), media, secret key, row counts.
#   scripts/backup.sh [DEST]     → DEST/lachan-YYYYmmdd-HHMMSS/  (default DEST: $LACHAN_DATA_DIR/backups)
# Uses the platform's configuration (environment, or .env in the repository). Safe while it runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$VENV/bin/python" ] || die "no .venv: run ./scripts/up.sh (or ensure the venv) first"
load_dotenv
umask 077
exec "$VENV/bin/python" "$ROOT/scripts/backup_restore.py" backup "$@"
