"""Django settings for Fengqiao, read from ``FENGQIAO_*`` environment variables only.

docs/configuration.md lists every variable. The defaults suit development and the test
suite; ``manage.py check --deploy`` refuses the development keys.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from fengqiao.environment import env_bool, env_int, env_list, env_str

# Lets generic classes such as ModelAdmin[Model] be subscripted at run time, as mypy sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Development-only keys. They are public (they are in this file), so the deploy check and the
# production server refuse them; docs/configuration.md says how to generate real ones.
DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEVELOPMENT_FIELD_KEY = "ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktMzJieXQ="  # 32 bytes, base64
DEVELOPMENT_LOOKUP_KEY = "development-only-lookup-hash-key"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Keys for personal data encrypted at rest: the first encrypts, all of them decrypt, so a key
# can be rotated by putting the new one first and re-saving.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_KEYS", [DEVELOPMENT_FIELD_KEY])
# Key of the keyed hash (HMAC) that finds an ID number or phone without decrypting anything.
LOOKUP_HASH_KEY = env_str("LOOKUP_KEY", DEVELOPMENT_LOOKUP_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "fengqiao.core",
    "fengqiao.audit",
    "fengqiao.org",
    "fengqiao.territory",
    "fengqiao.workdays",
    "fengqiao.cases",
    "fengqiao.bulletins",
    "fengqiao.doorplates",
    "fengqiao.residents",
    "fengqiao.disputes",
    "fengqiao.api",
    "fengqiao.webhooks",
    "fengqiao.stats",
    "fengqiao.ledgers",
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
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fengqiao" / "templates"],
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

# --- Database -----------------------------------------------------------------------------
# The embedded default is SQLite (WAL) under var/; a postgres:// URL switches to PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fengqiao.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; the pragmas run on every connection.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; "
            # Checkpoints belong to the background worker (core.checkpoint_sqlite); a web
            # process copies the log back itself only once it reaches 40 MB.
            "PRAGMA wal_autocheckpoint=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_SQLITE_NAME", "") or None}
    # The embedded database lives under var/, which a fresh checkout does not have yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# The cache is shared by every app worker: the residents' rate limits and one-time codes
# must hold across processes. A Redis URL in production; the database otherwise, so the
# embedded default needs no other service (``createcachetable`` makes its table).
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "fengqiao_cache",
        }
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django binds parameters on the client and never prepares; the few hot statements that
    # run on a server-binding cursor (case intake) are prepared once per connection. Django
    # turns preparing off entirely unless told; a transaction-pooling connection pooler that
    # cannot keep prepared statements needs FENGQIAO_DATABASE_PREPARED=0.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DATABASE_PREPARED", True) else None
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and login security -----------------------------------------------------------
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fengqiao.org.passwords.CharacterClassValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Lock the account being guessed, whatever address the guesses come from; a lock per IP
# would shut a whole township office (one NAT address) out after one person's typos.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Idle expiry: the session cookie is renewed on every request and dies after this much quiet.
SESSION_COOKIE_AGE = 60 * env_int("SESSION_IDLE_MINUTES", 30)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS (production behind TLS) ---------------------------------------------------------
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- REST API (/api/v1/) -------------------------------------------------------------------
# Systems present an API key (``Authorization: Token …`` or ``X-Api-Key``) and act as the staff
# account the key names; the web's own pages call it with their session. Errors are RFC 9457
# problem documents. See docs/api.md.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fengqiao.api.rest.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["fengqiao.api.rest.permissions.IsStaffAccount"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "fengqiao.api.rest.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fengqiao.api.rest.exceptions.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fengqiao API",
    "DESCRIPTION": "The platform's REST API: territory, households and persons (masked), "
    "departments, categories, cases with their workflow, disputes, bulletins. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names of their own (not hashes) in the schema.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "fengqiao.cases.choices.CaseStatus",
        "CaseLevelEnum": "fengqiao.cases.choices.Level",
        "CaseChannelEnum": "fengqiao.cases.choices.Channel",
        "CaseUrgencyEnum": "fengqiao.cases.choices.Urgency",
        "ReporterKindEnum": "fengqiao.cases.choices.ReporterKind",
        "RequestKindEnum": "fengqiao.cases.choices.RequestKind",
        "RequestStatusEnum": "fengqiao.cases.choices.RequestStatus",
        "EventKindEnum": "fengqiao.cases.choices.EventKind",
        "AreaLevelEnum": "fengqiao.territory.choices.AreaLevel",
        "AreaKindEnum": "fengqiao.territory.choices.AreaKind",
        "DepartmentKindEnum": "fengqiao.org.choices.DepartmentKind",
        "DisputeStatusEnum": "fengqiao.disputes.choices.DisputeStatus",
        "BulletinKindEnum": "fengqiao.bulletins.choices.BulletinKind",
        "BulletinUrgencyEnum": "fengqiao.bulletins.choices.BulletinUrgency",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fengqiao.api.rest.schema.add_problem_responses",
    ],
    # The documentation pages load their scripts from us, never from a CDN (government
    # intranets): drf-spectacular-sidecar ships Swagger UI and Redoc as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Language and time -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "fengqiao" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "fengqiao" / "static",
    # Front-end packages installed by the set-up from the npm registry, served by us (no CDN).
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Rosters can be large spreadsheets; they stream to a temporary file, never into memory.
ROSTER_MAX_UPLOAD_BYTES = env_int("ROSTER_MAX_UPLOAD_MB", 50) * 1024 * 1024

# --- Background work ----------------------------------------------------------------------
# The embedded default needs no broker service: Celery's filesystem transport under var/.
# Production sets a redis:// or amqp:// URL.
CELERY_BROKER_URL = env_str("BROKER_URL", "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR),
        "data_folder_out": str(_BROKER_DIR),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The transport does not create its folders: a fresh checkout has none.
    for _folder in ("processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# The site's public address: the base of the links printed in doorplates' QR codes and sent
# in text messages. Blank: the address a request came to (printing from the staff pages).
PUBLIC_URL = env_str("PUBLIC_URL", "")
# The TrueType CJK font embedded in generated PDFs (plates, agreements): Debian's
# fonts-wqy-microhei, installed by the set-up (`make print-deps`).
PDF_FONT_PATH = env_str("PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# --- Dashboards ------------------------------------------------------------------------------
# The territory map's tile source, a Leaflet URL template such as a county GIS server's
# ``https://gis.example.gov.cn/tiles/{z}/{x}/{y}.png``. Blank: no tiles (places on a plain
# background), which needs no network at all.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")

# --- Ledgers (台账, exports to Excel) -------------------------------------------------------
# Up to this many rows an export is written in the request; more go to a background job with
# a progress bar, its file kept under MEDIA_ROOT/ledgers/ for this many days (docs/ledgers.md).
LEDGERS_SYNC_MAX_ROWS = env_int("LEDGERS_SYNC_MAX_ROWS", 10_000)
LEDGERS_RETENTION_DAYS = env_int("LEDGERS_RETENTION_DAYS", 7)

# --- Residents (码上办) ------------------------------------------------------------------
# The SMS gateway: a dotted path to a backend class (fengqiao.residents.sms). The console
# backend prints the message and lets the page show the code: for demos only (a deploy check
# says so).
RESIDENTS_SMS_BACKEND = env_str("SMS_BACKEND", "fengqiao.residents.sms.ConsoleSmsBackend")
RESIDENTS_SMS_OPTIONS: dict[str, object] = {}
RESIDENTS_RATING_REMINDER_HOURS = env_int("RATING_REMINDER_HOURS", 24)
# Reverse proxies in front whose X-Forwarded-For is trusted (for residents' rate limits by IP).
RESIDENTS_PROXY_COUNT = env_int("PROXY_COUNT", 0)

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Doorplate tokens and tracking links are keys: no log line may carry one.
    "filters": {"redact_tokens": {"()": "fengqiao.residents.logging.RedactTokensFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Periodic work, run by `celery beat` (embedded in the worker by bin/serve).
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "cases.sweep_deadlines",
        "schedule": env_int("SWEEP_SECONDS", 300),
    },
    "sweep-dispute-deadlines": {
        "task": "disputes.sweep_deadlines",
        "schedule": env_int("SWEEP_SECONDS", 300),
    },
    "remind-unrated": {
        "task": "residents.remind_unrated",
        "schedule": env_int("RATING_REMINDER_SWEEP_SECONDS", 1800),
    },
    # Outbound webhooks: case events → deliveries, and overdue retries (docs/webhooks.md).
    "dispatch-webhooks": {
        "task": "webhooks.dispatch",
        "schedule": env_int("WEBHOOKS_DISPATCH_SECONDS", 10),
    },
    # The moves' appended tally changes folded into the tally (docs/metrics.md section 9).
    "fold-tally": {"task": "stats.fold_tally", "schedule": env_int("TALLY_FOLD_SECONDS", 60)},
    # Export files older than LEDGERS_RETENTION_DAYS are deleted (they hold personal data).
    "expire-exports": {"task": "ledgers.expire_exports", "schedule": 3600},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    CELERY_BEAT_SCHEDULE["checkpoint-sqlite"] = {
        "task": "core.checkpoint_sqlite",
        "schedule": env_int("SQLITE_CHECKPOINT_SECONDS", 10),
    }
    CELERY_BEAT_SCHEDULE["analyze-sqlite"] = {
        "task": "core.analyze_sqlite",
        "schedule": 3600,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
