"""Settings: `check --deploy` is clean under production settings (and bites without them), every
environment variable read by settings.py is documented in .env.example, the jobs backend switch."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import lachan

PACKAGE = Path(lachan.__file__).resolve().parent
SETTINGS = PACKAGE / "settings.py"
ENV_EXAMPLE = PACKAGE.parent / ".env.example"

PRODUCTION = {
    "LACHAN_DEBUG": "0",
    "LACHAN_HTTPS": "1",
    "ALLOWED_HOSTS": "lachan.example.gov.vn",
    "CSRF_TRUSTED_ORIGINS": "https://lachan.example.gov.vn",
}


def _lachan(args, env, tmp_path):
    # A clean environment: nothing of the test run leaks in (e.g. DJANGO_ALLOW_ASYNC_UNSAFE, set for the
    # browser tests, is itself a deploy-check error).
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    clean |= {"LACHAN_DATA_DIR": str(tmp_path), "SECRET_KEY": secrets.token_urlsafe(50), **env}
    return subprocess.run([sys.executable, "-m", "lachan.cli", *args], env=clean, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    done = _lachan(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_complains_without_https(tmp_path):
    done = _lachan(["check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION, "LACHAN_HTTPS": "0"}, tmp_path)
    assert done.returncode != 0
    assert "security.W008" in done.stderr + done.stdout  # SECURE_SSL_REDIRECT


def _settings_env_vars():
    source = SETTINGS.read_text()
    return set(re.findall(r"""\b(?:env|env_bool|env_list|os\.environ\.get|getenv)\(\s*["']([A-Z0-9_]+)["']""", source))


def test_every_environment_variable_of_settings_is_documented_in_env_example():
    documented = set(re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    names = _settings_env_vars()
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL"} <= names  # the regex still finds them
    missing = names - documented
    assert not missing, f"document in .env.example: {sorted(missing)}"
    for name in ("WEB_CONCURRENCY", "LACHAN_BIND", "LACHAN_PASSWORD"):  # read by the commands
        assert name in documented


def _settings_with(monkeypatch, tmp_path, **env):
    for name in ("REDIS_URL", "TASKS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LACHAN_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_jobs_use_the_database_by_default_and_redis_when_redis_url_is_set(monkeypatch, tmp_path):
    assert _settings_with(monkeypatch, tmp_path)["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    with_redis = _settings_with(monkeypatch, tmp_path, REDIS_URL="redis://10.0.0.5:6379/2")
    assert with_redis["TASKS"]["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert with_redis["RQ_QUEUES"]["default"]["URL"] == "redis://10.0.0.5:6379/2"
    with pytest.raises(ImproperlyConfigured):
        _settings_with(monkeypatch, tmp_path, TASKS_BACKEND="celery")


def test_secret_key_file_is_created_once_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _settings_with(monkeypatch, tmp_path)["SECRET_KEY"]
    assert _settings_with(monkeypatch, tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
