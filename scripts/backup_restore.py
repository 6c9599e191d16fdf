"""Backup and restore of a Lá Chắn installation; run through scripts/backup.sh and scripts/restore.sh.

A backup is a directory (mode 700) holding:
  db.sqlite3     SQLite: an online, consistent copy made with SQLite's backup API (WAL-safe), or
  db.pgdump      PostgreSQL: pg_dump -Fc, taken in the same snapshot as the row counts
  media.tar.gz   MEDIA_ROOT (uploaded files)
  secret_key     LACHAN_DATA_DIR/secret_key, unless SECRET_KEY comes from the environment
  counts.json    rows per table at backup time; restore checks the restored database against it
  MANIFEST.json  what, when, from where; SHA256SUMS: checksums of the files above

Configuration is the platform's own (DATABASE_URL, LACHAN_DATA_DIR, MEDIA_ROOT, SECRET_KEY).
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

SECRET_FROM_ENV = bool(os.environ.get("SECRET_KEY"))


def load_settings():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
    if not SECRET_FROM_ENV:
        # Importing the settings would otherwise create a secret_key file; the tool does not need one.
        os.environ["SECRET_KEY"] = "backup-tool-placeholder"
    from django.conf import settings

    db = settings.DATABASES["default"]
    return {
        "engine": "sqlite" if db["ENGINE"].endswith("sqlite3") else "postgresql" if "postgresql" in db["ENGINE"] else db["ENGINE"],
        "db": db,
        "data_dir": Path(settings.DATA_DIR),
        "media_root": Path(settings.MEDIA_ROOT),
    }


def say(*parts):
    print(*parts, flush=True)


# --- database helpers --------------------------------------------------------------------------------


def pg_env(db):
    env = dict(os.environ)
    env.update({"PGHOST": db.get("HOST") or "", "PGPORT": str(db.get("PORT") or ""), "PGUSER": db.get("USER") or "",
                "PGDATABASE": db["NAME"]})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def pg_connect(db, **kwargs):
    import psycopg

    return psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None, user=db.get("USER") or None,
                           password=db.get("PASSWORD") or None, dbname=db["NAME"], **kwargs)


def sqlite_counts(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def pg_counts(cur):
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [r[0] for r in cur.fetchall()]
    counts = {}
    for t in tables:
        cur.execute(f'SELECT count(*) FROM "{t}"')
        counts[t] = cur.fetchone()[0]
    return counts


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- backup ------------------------------------------------------------------------------------------


def backup(args):
    cfg = load_settings()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    parent = Path(args.dest or cfg["data_dir"] / "backups")
    target = parent / f"lachan-{stamp}"
    parent.mkdir(parents=True, exist_ok=True)
    target.mkdir(mode=0o700)
    say(f"backup → {target}")
    files = []

    if cfg["engine"] == "sqlite":
        src = Path(cfg["db"]["NAME"])
        if not src.exists():
            sys.exit(f"no database at {src}")
        out = target / "db.sqlite3"
        source = sqlite3.connect(src)
        dest = sqlite3.connect(out)
        with dest:
            source.backup(dest)  # consistent online copy, also while the platform runs (WAL)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (the platform turns WAL back on)
        dest.close()
        source.close()
        counts = sqlite_counts(out)
        files.append(out)
        say(f"  database: SQLite {src} → db.sqlite3 ({out.stat().st_size} bytes, {len(counts)} tables)")
    elif cfg["engine"] == "postgresql":
        out = target / "db.pgdump"
        # Count rows and dump in one snapshot, so the counts describe exactly what is in the dump.
        with pg_connect(cfg["db"], autocommit=False) as con, con.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            counts = pg_counts(cur)
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                            "--file", str(out)], env=pg_env(cfg["db"]), check=True)
            con.rollback()
        files.append(out)
        say(f"  database: PostgreSQL {cfg['db']['NAME']}@{cfg['db'].get('HOST')} → db.pgdump "
            f"({out.stat().st_size} bytes, {len(counts)} tables)")
    else:
        sys.exit(f"unsupported database engine {cfg['engine']}")
    (target / "counts.json").write_text(json.dumps(counts, indent=1, sort_keys=True))
    files.append(target / "counts.json")

    media = cfg["media_root"]
    out = target / "media.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        if media.is_dir():
            tar.add(media, arcname=".")
    files.append(out)
    n_media = sum(1 for p in media.rglob("*") if p.is_file()) if media.is_dir() else 0
    say(f"  media: {media} → media.tar.gz ({n_media} files)")

    key_file = cfg["data_dir"] / "secret_key"
    if SECRET_FROM_ENV:
        say("  secret key: from the SECRET_KEY environment variable — keep it in your secret store (not copied)")
    elif key_file.exists():
        shutil.copy2(key_file, target / "secret_key")
        os.chmod(target / "secret_key", 0o600)
        files.append(target / "secret_key")
        say(f"  secret key: {key_file} → secret_key")
    else:
        say("  secret key: none yet")

    manifest = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": cfg["engine"],
        "database": cfg["db"]["NAME"],
        "media_root": str(media),
        "secret_key_from_env": SECRET_FROM_ENV,
        "rows": sum(counts.values()),
        "lachan_version": _version(),
        "git_commit": _git_commit(),
    }
    (target / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
    files.append(target / "MANIFEST.json")
    (target / "SHA256SUMS").write_text("".join(f"{sha256(f)}  {f.name}\n" for f in files))
    say(f"  {sum(counts.values())} rows in {len(counts)} tables; checksums in SHA256SUMS")
    say(f"OK {target}")


def _version():
    try:
        from importlib.metadata import version

        return version("lachan")
    except Exception:
        return None


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return None


# --- restore -----------------------------------------------------------------------------------------


def safe_extract(tar, dest):
    """Extract regular files and folders only, never outside ``dest``."""
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 (and Debian's patched 3.11)
        tar.extractall(dest, filter="data")  # noqa: S202 -- the data filter refuses .., absolute paths, devices
        return
    root = Path(dest).resolve()
    for member in tar.getmembers():
        path = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or (path != root and root not in path.parents):
            sys.exit(f"refusing suspicious archive member {member.name!r}")
    tar.extractall(dest)  # noqa: S202 -- members checked above


def restore(args):
    cfg = load_settings()
    src = Path(args.backup).resolve()
    manifest = json.loads((src / "MANIFEST.json").read_text())
    expected = json.loads((src / "counts.json").read_text())
    if manifest["engine"] != cfg["engine"]:
        sys.exit(f"backup is {manifest['engine']}, this installation uses {cfg['engine']} "
                 "(convert with `lachan dumpdata`/`loaddata` instead)")
    say(f"restore {src} (made {manifest['created']}, {manifest['rows']} rows)")

    if cfg["engine"] == "sqlite":
        dest = Path(cfg["db"]["NAME"])
        if dest.exists() and sqlite_counts(dest) and not args.force:
            sys.exit(f"{dest} already holds data: stop the platform and add --force to replace it")
        dest.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{dest}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(f"file:{src / 'db.sqlite3'}?mode=ro", uri=True)
        target = sqlite3.connect(dest)
        with target:
            source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        target.close()
        source.close()
        actual = sqlite_counts(dest)
        say(f"  database: db.sqlite3 → {dest}")
    else:
        with pg_connect(cfg["db"], autocommit=True) as con, con.cursor() as cur:
            has_data = bool(pg_counts(cur))
        if has_data and not args.force:
            sys.exit(f"database {cfg['db']['NAME']} is not empty: stop the platform and add --force to replace it")
        cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               "--dbname", cfg["db"]["NAME"]]
        if has_data:
            cmd += ["--clean", "--if-exists"]
        subprocess.run([*cmd, str(src / "db.pgdump")], env=pg_env(cfg["db"]), check=True)
        with pg_connect(cfg["db"], autocommit=True) as con, con.cursor() as cur:
            actual = pg_counts(cur)
        say(f"  database: db.pgdump → PostgreSQL {cfg['db']['NAME']}@{cfg['db'].get('HOST')}")

    media = cfg["media_root"]
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src / "media.tar.gz") as tar:
        safe_extract(tar, media)
    say(f"  media: media.tar.gz → {media}")

    key_src = src / "secret_key"
    key_dest = cfg["data_dir"] / "secret_key"
    if key_src.exists():
        if key_dest.exists() and key_dest.read_bytes() != key_src.read_bytes() and not args.force:
            sys.exit(f"{key_dest} differs from the backup's key: add --force to replace it")
        key_dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(key_src, key_dest)
        os.chmod(key_dest, 0o600)
        say(f"  secret key: secret_key → {key_dest}")
    elif manifest.get("secret_key_from_env"):
        say("  secret key: came from SECRET_KEY in the environment — set the same value here")

    bad = {t: (expected.get(t), actual.get(t)) for t in sorted(set(expected) | set(actual))
           if expected.get(t) != actual.get(t)}
    say(f"  verify: {len(actual)} tables, {sum(actual.values())} rows restored; "
        f"{len(expected)} tables, {sum(expected.values())} rows in the backup")
    if bad:
        for t, (want, got) in bad.items():
            say(f"    MISMATCH {t}: backup {want}, restored {got}")
        sys.exit("restore verification FAILED")
    say("OK counts match table by table. Next: `lachan migrate` (if the code is newer), then start the platform.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("backup")
    b.add_argument("dest", nargs="?", help="Folder that receives lachan-YYYYmmdd-HHMMSS/ (default: DATA_DIR/backups)")
    r = sub.add_parser("restore")
    r.add_argument("backup", help="A lachan-YYYYmmdd-HHMMSS folder made by backup.sh")
    r.add_argument("--force", action="store_true", help="Replace a database/secret key that already holds data")
    args = parser.parse_args()
    {"backup": backup, "restore": restore}[args.action](args)


if __name__ == "__main__":
    main()
