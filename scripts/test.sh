#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): lint, migrations, deploy check, pytest on SQLite
# (with the browser tests), again on a private PostgreSQL, the Redis tests on a private redis-server,
# and a backup/restore drill (scripts/backup-drill.sh) on both databases.
# Installs what is missing (venv + Python packages; postgresql, redis-server, chromium, gettext via apt).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

START=$SECONDS
STEP=""
TIMES=()
WORK=$(mktemp -d /tmp/lachan-test.XXXXXX)
chmod 755 "$WORK"

finish() {
    local rc=$?
    stop_private_redis
    stop_private_postgres
    rm -rf "$WORK"
    local total=$((SECONDS - START))
    echo
    echo "---- ${TIMES[*]:-}"
    if [ $rc -eq 0 ]; then
        echo "test.sh: TẤT CẢ ĐẠT / ALL PASSED in ${total}s"
    else
        echo "test.sh: THẤT BẠI / FAILED at step '${STEP}' (exit $rc) after ${total}s"
    fi
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
    STEP=$1
    shift
    local t0=$SECONDS
    log "[$STEP]"
    "$@"
    TIMES+=("$STEP $((SECONDS - t0))s;")
}

# pytest, where "no tests ran" (exit 5) is a failure too.
run_pytest() {
    local rc=0
    "$VENV/bin/pytest" -q -p no:cacheprovider "$@" || rc=$?
    if [ $rc -eq 5 ]; then
        echo "pytest: không có test nào / no tests collected (exit 5) — counted as a failure"
        return 1
    fi
    return $rc
}

# Hermetic environment: nothing from the caller's shell or .env leaks into the checks.
unset DATABASE_URL REDIS_URL TASKS_BACKEND SECRET_KEY ALLOWED_HOSTS CSRF_TRUSTED_ORIGINS LACHAN_DEBUG \
    LACHAN_HTTPS TWO_FACTOR_REQUIRED_ROLES OUTBOUND_ALLOWLIST LACHAN_BIND WEB_CONCURRENCY STATIC_ROOT MEDIA_ROOT
export LACHAN_DATA_DIR="$WORK/data"
export LACHAN_REQUIRE_SERVICES=1          # service-dependent tests fail instead of skipping
export LACHAN_CHROMIUM=/usr/bin/chromium  # browser tests drive Debian's chromium through Playwright
PYTEST_ARGS=(-n 2)

system_packages() { ensure_apt_packages postgresql redis-server chromium gettext; }
ruff_check() { "$VENV/bin/ruff" check .; }
migrations_check() { "$LACHAN" makemigrations --check --dry-run; }
deploy_check() {
    env LACHAN_DEBUG=0 LACHAN_HTTPS=1 ALLOWED_HOSTS=lachan.example.gov.vn \
        CSRF_TRUSTED_ORIGINS=https://lachan.example.gov.vn \
        SECRET_KEY="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        "$LACHAN" check --deploy --fail-level WARNING
}
pytest_sqlite() { run_pytest "${PYTEST_ARGS[@]}" -m "not redis"; }
pytest_postgres() {
    start_private_postgres "$WORK/pg"
    echo "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT"
    DATABASE_URL="$PG_URL" run_pytest "${PYTEST_ARGS[@]}" -m "not redis"
    stop_private_postgres
}
pytest_redis() {
    start_private_redis "$WORK/redis"
    echo "redis-server $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$REDIS_PORT"
    REDIS_URL="$REDIS_TEST_URL" run_pytest -m redis
    stop_private_redis
}

step venv ensure_venv
step apt system_packages
step ruff ruff_check
step migrations migrations_check
step check-deploy deploy_check
step pytest-sqlite pytest_sqlite
step pytest-postgres pytest_postgres
step pytest-redis pytest_redis
step backup-drill ./scripts/backup-drill.sh
STEP=done
