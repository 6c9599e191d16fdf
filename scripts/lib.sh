# shellcheck shell=bash
# Shared by scripts/up.sh, scripts/test.sh, scripts/backup.sh and scripts/restore.sh (sourced, not run).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
LACHAN="$VENV/bin/lachan"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'LỖI / ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "cần quyền root hoặc sudo / need root or sudo for: $*"
    fi
}

# Install the Debian packages that are missing; apt-get update only when something is missing.
ensure_apt_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "thiếu gói / missing packages: ${missing[*]} (no apt-get here)"
    log "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The Python that builds the venv: $PYTHON, else python3; must be >= 3.11 and have venv + ensurepip.
find_python() {
    PY=${PYTHON:-python3}
    command -v "$PY" >/dev/null 2>&1 || ensure_apt_packages python3 python3-venv
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$PY là $("$PY" -V 2>&1); cần Python >= 3.11 / Python >= 3.11 needed (set PYTHON=...)"
    if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        # Debian ships venv/ensurepip apart from the interpreter.
        ensure_apt_packages python3-venv
        "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1 || die "$PY has no working venv module"
    fi
}

# .venv with the package and its dev extras; pip runs again only when pyproject.toml changed.
ensure_venv() {
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
        find_python
        log "python3 -m venv .venv ($("$PY" -V 2>&1))"
        "$PY" -m venv --clear "$VENV"
    fi
    local want stamp="$VENV/.lachan-installed"
    want=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$LACHAN" ]; then
        log "pip install -e \".[dev]\""
        (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -e ".[dev]")
        echo "$want" >"$stamp"
    fi
}

# Environment for operator commands: .env in the repository (KEY=value lines), when present.
load_dotenv() {
    if [ -f "$ROOT/.env" ]; then
        set -a
        # shellcheck disable=SC1091
        . "$ROOT/.env"
        set +a
    fi
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- private, throwaway PostgreSQL cluster (tests, backup drill) -------------------------------------
# start_private_postgres DIR → sets PG_BIN PG_PORT PG_URL (database "lachan", user postgres, trust on 127.0.0.1)
start_private_postgres() {
    local dir=$1 run=()
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    PG_PORT=$(free_port)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then  # postgres refuses to run as root
        chown postgres:postgres "$dir"
        run=(runuser -u postgres --)
    fi
    PG_RUN=("${run[@]}")
    PG_DIR=$dir
    "${run[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; die "initdb failed"; }
    "${run[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$dir/server.log"; die "PostgreSQL did not start"; }
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres lachan
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/lachan"
}

stop_private_postgres() {
    if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

# --- private, throwaway Redis --------------------------------------------------------------------
# start_private_redis DIR → sets REDIS_PID REDIS_PORT REDIS_TEST_URL
start_private_redis() {
    local dir=$1 i
    mkdir -p "$dir"
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
        --logfile "$dir/redis.log" --daemonize no >/dev/null 2>&1 </dev/null &
    REDIS_PID=$!
    for i in $(seq 1 100); do
        [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
        kill -0 "$REDIS_PID" 2>/dev/null || { cat "$dir/redis.log"; die "redis-server died"; }
        sleep 0.1
    done
    [ "$i" -lt 100 ] || die "redis-server did not answer"
    REDIS_TEST_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

stop_private_redis() {
    if [ -n "${REDIS_PID:-}" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
}
