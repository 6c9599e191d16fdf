"""All settings in one module, read from environment variables (see .env.example)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("LACHAN_DEBUG", False)
DATA_DIR = Path(env("LACHAN_DATA_DIR", str(PROJECT_DIR / "var")))


def _secret_key():
    """SECRET_KEY from the environment; otherwise a random key kept in DATA_DIR/secret_key (never in the repo).

    The file is created atomically (written aside, then hard-linked into place), so processes starting
    together on a fresh machine all end up with the same key and never read a half-written file."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import contextlib
        import secrets
        import tempfile

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(64))
            with contextlib.suppress(FileExistsError):  # another process won the race: use its key
                os.link(tmp, key_file)
        finally:
            os.unlink(tmp)
    key = key_file.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{key_file} is empty: delete it or set SECRET_KEY")
    return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "treebeard",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "lachan.core",
    "lachan.organizations",
    "lachan.accounts",
    "lachan.inventory",
    "lachan.intel",
    "lachan.vulns",
    "lachan.directives",
    "lachan.monitoring",
    "lachan.incidents",
    "lachan.notify",
    "lachan.oncall",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lachan.core.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lachan.accounts.middleware.TwoFactorRequiredMiddleware",
    "lachan.core.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lachan.urls"
# Widget templates come from the project templates too (core/widgets/…).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "lachan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lachan.core.context_processors.navigation",
            ],
        },
    },
]

# Database: a SQLite file by default, anything dj-database-url understands otherwise.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'lachan.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": int(env("PASSWORD_MIN_LENGTH", "10"))}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Two-factor: roles listed here must have a confirmed TOTP device before using the site.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "coordinator")
OTP_TOTP_ISSUER = "Lá Chắn"

# Login throttling (django-axes): lock a username+IP after N failures for a cool-off period.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["lachan.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("LACHAN_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))

# Upload limits (bytes). Imports are read in memory and validated before anything is written.
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "50000"))
# Choice lists longer than this become a search box (forms and list filters).
AUTOCOMPLETE_THRESHOLD = int(env("AUTOCOMPLETE_THRESHOLD", "100"))

# Security
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
HTTPS = env_bool("LACHAN_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Threat-intelligence feeds (lachan.intel).
INTEL_CASE_CLOSE_DAYS = int(env("INTEL_CASE_CLOSE_DAYS", "30"))  # close a case after N days without a sighting
INTEL_UNMAPPED_KEPT = int(env("INTEL_UNMAPPED_KEPT", "10000"))  # unmapped addresses queued per import
INTEL_BAD_ROWS_KEPT = int(env("INTEL_BAD_ROWS_KEPT", "200"))  # bad-row reasons kept per import
INTEL_INDICATOR_DAYS = int(env("INTEL_INDICATOR_DAYS", "90"))  # indicator (IoC) expiry
INTEL_MATCH_DOCUMENTATION = env_bool("INTEL_MATCH_DOCUMENTATION", True)  # documentation ranges registered by a unit match
INTEL_UPLOAD_MAX_BYTES = int(env("INTEL_UPLOAD_MAX_BYTES", str(2 * 1024**3)))  # feed upload page

# Advisory feeds fetched on a schedule where the network allows (air-gapped: leave empty, upload files):
# comma-separated URLs of NVD JSON 2.0 / CVE 5 / CISA KEV files, through the outbound guard.
VULNS_ADVISORY_FEEDS = env_list("VULNS_ADVISORY_FEEDS", "")
VULNS_FEED_FETCH_HOURS = int(env("VULNS_FEED_FETCH_HOURS", "24"))
VULNS_FEED_MAX_BYTES = int(env("VULNS_FEED_MAX_BYTES", str(512 * 1024**2)))

# Outbound fetch guard: extra networks that may be fetched despite being private (demo/tests: loopback).
OUTBOUND_ALLOWLIST = env_list("OUTBOUND_ALLOWLIST", "")

# Jobs (see lachan/core/jobs.py): Django Tasks API through the django-tasks backport.
# Database backend by default (jobs in the same database), RQ/Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL", "")
TASKS_BACKEND = env("TASKS_BACKEND", "rq" if REDIS_URL else "db")
TASK_QUEUES = ["default"]
if TASKS_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}
elif TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r}: use db, rq or immediate")
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES
}
# Finished job results older than this are deleted by the periodic job prune_task_results (database backend).
TASK_RESULTS_KEEP_DAYS = int(env("TASK_RESULTS_KEEP_DAYS", "14"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lachan.core.api.permissions.ScopedPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "lachan.core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_THROTTLE_ANON", "60/min"), "user": env("API_THROTTLE_USER", "6000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lá Chắn API",
    "DESCRIPTION": "REST API của Lá Chắn. Xác thực: `Authorization: Token <khóa>`.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

DJANGO_TABLES2_TEMPLATE = "core/table.html"
DJANGO_TABLES2_PAGE_RANGE = 7

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "lachan@localhost")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): the mail relay of the agency.
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS (port 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # implicit TLS (port 465)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Website monitor (lachan.monitoring, `lachan monitor`).
MONITOR_INTERVAL_SECONDS = int(env("MONITOR_INTERVAL_SECONDS", "300"))  # default check interval of a new watched site
MONITOR_DOWN_CONFIRMATIONS = int(env("MONITOR_DOWN_CONFIRMATIONS", "3"))  # failed checks in a row before DOWN
MONITOR_HISTORY_DAYS = int(env("MONITOR_HISTORY_DAYS", "30"))  # checks older than this are purged
MONITOR_LEASE_SECONDS = int(env("MONITOR_LEASE_SECONDS", "300"))  # a claimed site is free again after this
MONITOR_CONCURRENCY = int(env("MONITOR_CONCURRENCY", "200"))  # checks in flight per monitor process
MONITOR_PER_HOST = int(env("MONITOR_PER_HOST", "4"))  # connections per host per monitor process
MONITOR_TLS_WARN_DAYS = int(env("MONITOR_TLS_WARN_DAYS", "14"))  # certificate expiring within N days: a finding
MONITOR_RECHECK_SECONDS = int(env("MONITOR_RECHECK_SECONDS", "60"))  # re-check of a suspected finding or a failure
MONITOR_JITTER = float(env("MONITOR_JITTER", "0.1"))  # ± fraction of the interval, fixed per site
MONITOR_SLOW_MS = int(env("MONITOR_SLOW_MS", "5000"))  # a home page slower than this makes the site DEGRADED
MONITOR_CHECK_TIMEOUT = float(env("MONITOR_CHECK_TIMEOUT", "90"))  # whole check (all pages) at most, seconds
MONITOR_WRITE_BATCH = int(env("MONITOR_WRITE_BATCH", "200"))  # results written per transaction
MONITOR_DNS_NAMESERVERS = env_list("MONITOR_DNS_NAMESERVERS", "")  # empty: the system's resolvers
MONITOR_AUTO_INCIDENT = env_bool("MONITOR_AUTO_INCIDENT", True)  # confirmed defacement/injection/script/cloaking alert → incident

# Notifications (lachan.notify).
NOTIFY_MAX_ATTEMPTS = int(env("NOTIFY_MAX_ATTEMPTS", "5"))  # a delivery is failed after this many attempts
NOTIFY_RETRY_BASE_SECONDS = int(env("NOTIFY_RETRY_BASE_SECONDS", "60"))  # backoff: base × 2^(attempt-1)…
NOTIFY_RETRY_MAX_SECONDS = int(env("NOTIFY_RETRY_MAX_SECONDS", "3600"))  # … at most this
NOTIFY_SENDING_LEASE_SECONDS = int(env("NOTIFY_SENDING_LEASE_SECONDS", "600"))  # a stuck claim is retried after
NOTIFY_HTTP_TIMEOUT = float(env("NOTIFY_HTTP_TIMEOUT", "10"))  # webhook connect/read timeout, seconds
NOTIFY_MAX_ATTACHMENT_BYTES = int(env("NOTIFY_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))  # per send, total
NOTIFY_WEBHOOK_SECRET = env("NOTIFY_WEBHOOK_SECRET", "")  # HMAC key of webhooks given as plain addresses
NOTIFY_TELEGRAM_BOT_TOKEN = env("NOTIFY_TELEGRAM_BOT_TOKEN", "")
NOTIFY_TELEGRAM_API_URL = env("NOTIFY_TELEGRAM_API_URL", "")  # empty: https://api.telegram.org
NOTIFY_QUIET_HOURS_BREAKTHROUGH = env("NOTIFY_QUIET_HOURS_BREAKTHROUGH", "critical")  # severity that ignores quiet hours
