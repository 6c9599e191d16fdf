#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the configured installation, then verify that
# every table has the row count recorded at backup time. Stop the platform first.
#   scripts/restore.sh BACKUP_DIR [--force]     (--force: replace a database that already holds data)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: scripts/restore.sh BACKUP_DIR [--force]"
[ -x "$VENV/bin/python" ] || die "no .venv: run ./scripts/up.sh (or ensure the venv) first"
load_dotenv
(cd "$1" && sha256sum --quiet -c SHA256SUMS) || die "checksums of $1 do not match: damaged backup"
echo "checksums OK ($1/SHA256SUMS)"
umask 077
exec "$VENV/bin/python" "$ROOT/scripts/backup_restore.py" restore "$@"
