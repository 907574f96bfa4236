"""Settings of Online Desktop, read from the environment (see README.md, "Configuration").

The embedded default needs no variable at all: SQLite and Celery's filesystem transport under
var/, e-mail on the console. Production sets DJANGO_DEBUG=0 and points DATABASE_URL at
PostgreSQL and REDIS_URL at Redis.
"""

from pathlib import Path
from secrets import token_urlsafe

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")) or "").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", True)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set.")
    # Development only: a key made once per checkout, so sessions survive a restart and no
    # key is ever committed.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=0.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The address people reach the site at, for links in e-mails sent outside a request (tasks).
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")) or ""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER below
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "licensing",
    "accounts",
    "records",
    "syncengine",
    "invitations",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render with the site's templates too: the work areas' record picker is one of them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------

_database_url = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'online-desktop.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
try:
    _database = dj_database_url.parse(
        _database_url or "", conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
except (ValueError, KeyError):
    raise ImproperlyConfigured("DATABASE_URL is not a valid database URL.") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share the file: WAL lets readers and one writer work
    # at once, and IMMEDIATE transactions wait for the write lock instead of failing mid-way.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# allauth's rate limits count in the cache, so it must be shared by every process: Redis in
# production, the database in the embedded default (a per-process memory cache would let each
# process count on its own).

REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis, written to both: one query less on every page, and none
    # lost when Redis restarts.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes=("filesystem", "redis", "rediss", "amqp", "pyamqp"),
)
if CELERY_BROKER_URL == "filesystem://":
    # A real broker that needs no server, for the embedded default. It loses a task whose
    # worker main process dies; the sync engine's leases make that harmless (DESIGN.md, 6).
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # The transport polls its folder; its default (1 s) with a prefetch of 1 takes one task
        # a second: less than an edit a second brings when the outbox pushes at once.
        "polling_interval": 0.1,
    }
    # Not prefork: kombu's filesystem transport has no event loop, so Celery uses billiard's
    # blocking pool, whose children share one job pipe and wait for a job *holding its read
    # lock*: a child killed while idle (the OOM killer, say) leaves the lock held and every
    # replacement child blocks on it for ever, silently (found by tests/faults). Threads die
    # only with the main process, which a supervisor restarts. (Redis uses the prefork pool's
    # asynchronous variant: a pipe per child, no shared lock.)
    CELERY_WORKER_POOL = "threads"
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
else:
    CELERY_RESULT_BACKEND = (
        env_url("CELERY_RESULT_BACKEND", None, schemes=("redis", "rediss", "rpc"))
        or REDIS_URL
        or "rpc://"
    )
# The database, not the broker, is the truth about work: tasks record their outcome in rows;
# only the few tasks that answer a caller keep a result.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# A default for a task that names none; each task sets its own (and a soft limit below it).
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Accounts (the online ID) ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dashboard"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Online Desktop: "
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# allauth's defaults, plus our own action: a claim guesses at two numbers (licence page).
ACCOUNT_RATE_LIMITS = {
    "claim_agreement": "5/15m/user,20/1h/ip",
    # The invitation link: against guessing tokens and hammering account creation from it.
    "accept_invitation": "30/10m/ip",
}
# How long the link of a new ID (choose your password) stays valid.
SIGNUP_LINK_MAX_AGE_HOURS = env_int("SIGNUP_LINK_MAX_AGE_HOURS", 48, minimum=1)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Online Desktop"

# --- E-mail ---------------------------------------------------------------------------------

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Online Desktop <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages and time ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored in UTC; shown in the company's time zone (this one until a company is chosen).
USE_TZ = True
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Europe/Amsterdam")

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise looks there at start-up, collected or not
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
# Opt-in: both bind every subdomain of the customer's domain to HTTPS, for years.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")  # opt-in, see above
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # opt-in, see above
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- REST API -------------------------------------------------------------------------------


def _throttle_rate(name: str, default: str) -> str:
    """A rate as DRF reads it: calls per second, minute, hour or day, e.g. "1200/minute"."""
    rate = env_str(name, default) or default
    calls, _slash, period = rate.partition("/")
    if not calls.isdigit() or period[:1] not in ("s", "m", "h", "d"):
        raise ImproperlyConfigured(
            f"{name} must look like 1200/minute (per second/minute/hour/day)."
        )
    return rate


REST_FRAMEWORK = {
    # A personal API token first: its "Bearer" challenge makes an unauthenticated call a 401.
    # The session (with CSRF) serves the browser and the Swagger UI.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the Swagger UI at /api/v1/docs/ is the API's page for people.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api_auth.ApiRateThrottle",
        "portal.api_auth.ApiAnonymousRateThrottle",
    ],
    # Per token (or per signed-in ID in the browser); anonymous calls per address.
    "DEFAULT_THROTTLE_RATES": {
        "api": _throttle_rate("API_THROTTLE_RATE", "1200/minute"),
        "api_anonymous": _throttle_rate("API_ANONYMOUS_THROTTLE_RATE", "60/minute"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Online Desktop API",
    "DESCRIPTION": (
        "The company's records, read and written online. Authenticate with a personal API "
        "token (Authorization: Bearer od_...), made on Company settings -> API tokens. Writes "
        "need If-Match with the record's ETag."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Sync hosts -----------------------------------------------------------------------------

PAIRING_CODE_MINUTES = env_int("PAIRING_CODE_MINUTES", 15, minimum=1)
SYNC_HOST_HEARTBEAT_SECONDS = env_int("SYNC_HOST_HEARTBEAT_SECONDS", 30, minimum=1)
# A full report (people, sessions, API clients of every database) is heavier than a heartbeat.
SYNC_HOST_REPORT_SECONDS = env_int("SYNC_HOST_REPORT_SECONDS", 300, minimum=1)
# A host silent for longer counts as offline (and its runs wait for it).
SYNC_HOST_OFFLINE_AFTER_SECONDS = env_int("SYNC_HOST_OFFLINE_AFTER_SECONDS", 120, minimum=10)
# A host of a connected database silent for longer puts a banner on every page of its company.
SYNC_HOST_SILENT_MINUTES = env_int("SYNC_HOST_SILENT_MINUTES", 15, minimum=1)

# --- Sync engine ----------------------------------------------------------------------------

# A run's lease (and an outbox claim) lasts this long without a renewing write; then the
# reaper hands the run to another worker (DESIGN.md invariant 6).
# With the reaper every 15 s, a killed worker's run moves on within lease + 15 s (< 2 min); a
# step renews its lease with each write, and a step lasts SYNC_STEP_SECONDS, far less.
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 60, minimum=10)
# One task step of a run works this long, then re-queues the run for its next step.
SYNC_STEP_SECONDS = env_int("SYNC_STEP_SECONDS", 20, minimum=1)
# Rows per initial-sync chunk: an id range on the COPY path, a row count on the batched path.
SYNC_COPY_CHUNK = env_int("SYNC_COPY_CHUNK", 20_000, minimum=1)
SYNC_BATCH_CHUNK = env_int("SYNC_BATCH_CHUNK", 2_000, minimum=1)
SYNC_PULL_BATCH = env_int("SYNC_PULL_BATCH", 1_000, minimum=1)
SYNC_PUSH_BATCH = env_int("SYNC_PUSH_BATCH", 100, minimum=1)
# How long the initial sync waits for open desktop transactions before it tries again later,
# and how long an incremental pull waits before it reports the cursor as held back.
SYNC_MARK_TIMEOUT_SECONDS = env_int("SYNC_MARK_TIMEOUT_SECONDS", 30, minimum=0)
SYNC_MARK_WAIT_SECONDS = env_int("SYNC_MARK_WAIT_SECONDS", 2, minimum=0)
CONFLICT_RETENTION_DAYS = env_int("CONFLICT_RETENTION_DAYS", 7, minimum=1)
SYNC_MAX_PUSH_ATTEMPTS = env_int("SYNC_MAX_PUSH_ATTEMPTS", 10, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "syncengine-start-due-runs": {"task": "syncengine.start_due_runs", "schedule": 15.0},
    "syncengine-reap-runs": {"task": "syncengine.reap_runs", "schedule": 15.0},
    "syncengine-tick": {"task": "syncengine.tick", "schedule": 60.0},
    "syncengine-purge-conflicts": {"task": "syncengine.purge_conflicts", "schedule": 3600.0},
    "portal-notify-failed-first-syncs": {
        "task": "portal.notify_failed_first_syncs",
        "schedule": 60.0,
    },
}

# --- Invitations ----------------------------------------------------------------------------

# How long the link in an invitation works; a resent invitation starts the time again.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7, minimum=1)
