#!/usr/bin/env bash
# Backup/restore drill in throwaway places: load the demo data, back it up with scripts/backup.sh,
# restore with scripts/restore.sh somewhere new and compare — on SQLite and on a private
# PostgreSQL cluster. Touches nothing of the real installation. Run by scripts/test.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x "$LACHAN" ] || die "no .venv: run ./scripts/up.sh or ./scripts/test.sh first"

DRILL=$(mktemp -d /tmp/lachan-drill.XXXXXX)
chmod 755 "$DRILL"
cleanup() { stop_private_postgres; rm -rf "$DRILL"; }
trap cleanup EXIT
unset DATABASE_URL REDIS_URL TASKS_BACKEND SECRET_KEY MEDIA_ROOT STATIC_ROOT
export TASKS_BACKEND=db

ORM_COUNTS='from lachan.organizations.models import Unit; from lachan.accounts.models import User; from lachan.inventory.models import Host, Website; from auditlog.models import LogEntry; print(f"units={Unit.objects.count()} users={User.objects.count()} hosts={Host.objects.count()} websites={Website.objects.count()} auditlog={LogEntry.objects.count()}")'
orm_counts() { "$LACHAN" shell -c "$ORM_COUNTS" 2>/dev/null | grep '^units='; }
run() { echo "\$ $*"; "$@" 2>&1 | grep -v '^AXES:'; return "${PIPESTATUS[0]}"; }
quiet() { local out; out=$("$@" 2>&1) || { echo "$out"; return 1; }; }

drill() {  # label; DATABASE_URL / LACHAN_DATA_DIR set by the caller for the source
    local label=$1
    quiet "$LACHAN" migrate --noinput
    quiet "$LACHAN" demo load
    mkdir -p "$LACHAN_DATA_DIR/media/evidence"
    echo "bằng chứng mẫu / sample evidence" >"$LACHAN_DATA_DIR/media/evidence/drill.txt"
    before=$(orm_counts)
    run ./scripts/backup.sh "$DRILL/backups-$label"
    b=$(ls -d "$DRILL/backups-$label"/lachan-*)
    echo "$ ls $b"; ls "$b"
}

echo "### SQLite"
export LACHAN_DATA_DIR="$DRILL/sqlite-source"
drill sqlite
before_sqlite=$before
(
    export LACHAN_DATA_DIR="$DRILL/sqlite-restored"
    run ./scripts/restore.sh "$b"
    after=$(orm_counts)
    echo "ORM counts, source:   $before_sqlite"
    echo "ORM counts, restored: $after"
    [ "$before_sqlite" = "$after" ] || die "SQLite drill: counts differ"
    cmp "$DRILL/sqlite-source/secret_key" "$LACHAN_DATA_DIR/secret_key"
    cmp "$DRILL/sqlite-source/media/evidence/drill.txt" "$LACHAN_DATA_DIR/media/evidence/drill.txt"
    echo "secret_key and media identical"
)

echo
echo "### PostgreSQL"
start_private_postgres "$DRILL/pg"
echo "private cluster: PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT"
export DATABASE_URL="$PG_URL" LACHAN_DATA_DIR="$DRILL/pg-source"
drill pg
before_pg=$before
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres lachan_restore
(
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/lachan_restore" LACHAN_DATA_DIR="$DRILL/pg-restored"
    run ./scripts/restore.sh "$b"
    after=$(orm_counts)
    echo "ORM counts, source (lachan):           $before_pg"
    echo "ORM counts, restored (lachan_restore): $after"
    [ "$before_pg" = "$after" ] || die "PostgreSQL drill: counts differ"
    cmp "$DRILL/pg-source/secret_key" "$LACHAN_DATA_DIR/secret_key"
    cmp "$DRILL/pg-source/media/evidence/drill.txt" "$LACHAN_DATA_DIR/media/evidence/drill.txt"
    echo "secret_key and media identical"
    echo "\$ ./scripts/restore.sh $b    # again: the database is no longer empty"
    if ./scripts/restore.sh "$b" >"$DRILL/again.log" 2>&1; then die "restore over data without --force succeeded"; fi
    tail -n 1 "$DRILL/again.log"
    run ./scripts/restore.sh "$b" --force
    [ "$(orm_counts)" = "$before_pg" ] || die "PostgreSQL drill: counts differ after --force"
)
echo
echo "backup drill: OK (SQLite and PostgreSQL)"
