"""Settings, driven only by environment variables.

Modes (one code base):
- embedded (nothing set): SQLite in WAL mode, in-process channel layer, Celery tasks eager with an in-process beat
  (see ``manage.py run_embedded``). Dev-only defaults are marked DEV-ONLY below.
- services (``DATABASE_URL`` / ``REDIS_URL`` set): PostgreSQL, channels-redis, Celery worker + beat on Redis.

``GROUPCHAT_ENV=production`` turns on the deploy hardening and refuses to start without real secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GROUPCHAT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


GROUPCHAT_ENV = env("GROUPCHAT_ENV", "dev")  # dev | test | production
PRODUCTION = GROUPCHAT_ENV == "production"
REDIS_URL = env("REDIS_URL")
SERVICES_MODE = bool(env("DATABASE_URL"))
EMBEDDED_MODE = not SERVICES_MODE

# --- secrets -------------------------------------------------------------------------------------------------------
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # DEV-ONLY
# Field-encryption keys (Fernet, urlsafe base64, 32 bytes), newest first; older keys still decrypt (rotation).
_DEV_FIELD_KEYS = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="  # DEV-ONLY (32 bytes: Fernet refuses other lengths)
_DEV_HMAC_KEY = "dev-only-blind-index-key"  # DEV-ONLY
# Ed25519 private key (urlsafe base64 of the 32-byte seed) signing compliance packages and log seals (compliance/).
_DEV_SIGNING_KEY = "ZGV2LW9ubHktc2lnbmluZy1rZXktbm90LTQtcHJvZCE="  # DEV-ONLY: anyone can forge with it

SECRET_KEY = env("SECRET_KEY")
FIELD_ENCRYPTION_KEYS = env_list("GROUPCHAT_FIELD_KEYS")
BLIND_INDEX_KEY = env("GROUPCHAT_HMAC_KEY")
SIGNING_KEY = env("GROUPCHAT_SIGNING_KEY")

if PRODUCTION:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("GROUPCHAT_FIELD_KEYS", FIELD_ENCRYPTION_KEYS),
            ("GROUPCHAT_HMAC_KEY", BLIND_INDEX_KEY),
            ("GROUPCHAT_SIGNING_KEY", SIGNING_KEY),
            ("DATABASE_URL", env("DATABASE_URL")),
            ("REDIS_URL", REDIS_URL),
            ("ALLOWED_HOSTS", env("ALLOWED_HOSTS")),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "groupchat refuses to start in production without these environment variables: "
            + ", ".join(missing)
            + ". See README.md, 'Running in production'."
        )
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be a fresh random value of at least 50 characters in production.")
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_DEV_FIELD_KEYS]
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _DEV_HMAC_KEY
    SIGNING_KEY = SIGNING_KEY or _DEV_SIGNING_KEY

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- apps ----------------------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",  # must precede staticfiles so runserver serves WebSockets
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "axes",
    "auditlog",
    "django_celery_beat",
    "groupchat.core",
    "groupchat.runtime",  # installs the broadcast transport (channel layer) into the kernel's broadcast API
    "groupchat.demo",
    "accounts",
    "groups",
    "moderation",
    "complaints",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes documents
]

ROOT_URLCONF = "groupchat.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "groupchat.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

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

# --- database ------------------------------------------------------------------------------------------------------
if SERVICES_MODE:
    # Persistent connections are safe because every thread that uses one lives as long as the process: HTTP requests
    # run on a fixed set of threads (groupchat/runtime/http.py; stock Django under ASGI starts a thread per
    # request, and kept connections piled up to max_connections), the sockets on one (groupchat/runtime/threads.py).
    # Tests close each connection after use, so the test database can be dropped at the end of the run.
    DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=0 if GROUPCHAT_ENV == "test" else 60,
                                                  conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "groupchat.sqlite3")),
            # Several writers (server threads, beat thread): wait for the lock instead of failing, take the write
            # lock at BEGIN so no transaction has to upgrade and deadlock, and journal in WAL so readers never block.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, channels, celery ---------------------------------------------------------------------------------------
def _channel_hosts() -> list:
    """One Redis URL, or Redis Sentinel: REDIS_SENTINELS="host1:26379,host2:26379" + REDIS_SENTINEL_MASTER."""
    sentinels = env_list("REDIS_SENTINELS")
    if sentinels:
        return [{"master_name": env("REDIS_SENTINEL_MASTER", "mymaster"),
                 "sentinels": [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in sentinels]}]
    return [env("CHANNEL_REDIS_URL", REDIS_URL)]


if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Pub/sub by default: one Redis message per group reaches each server process, which fans it out to its own
    # sockets in memory. The core layer writes one copy per member channel and pops them back one round trip at a
    # time, which cannot keep up with 2,000-member groups on one process (docs/architecture.md, the layer). Our subclass
    # hands message frames to each local socket in the layer's receive loop (groupchat/runtime/layer.py).
    _LAYER = env("CHANNEL_LAYER_BACKEND", "groupchat.runtime.layer.FanoutPubSubChannelLayer")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _LAYER,
            "CONFIG": {"hosts": _channel_hosts()}
            if _LAYER.endswith("PubSubChannelLayer")
            else {"hosts": _channel_hosts(), "capacity": 1500, "expiry": 30},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
if env_list("REDIS_SENTINELS"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"master_name": env("REDIS_SENTINEL_MASTER", "mymaster")}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = (
    "django_celery_beat.schedulers:DatabaseScheduler" if SERVICES_MODE else "celery.beat:PersistentScheduler"
)

# --- auth, lockout, passwords --------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrPhoneBackend",
]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- API -----------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["groupchat.core.renderers.ORJSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "groupchat.core.errors.drf_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "groupchat API",
    "DESCRIPTION": "Group chat with compliance built in. Groups are addressed by their public 10-digit code.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:...> path ids show their bigint bounds (groupchat/converters.py).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}},
}

# --- i18n ----------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static --------------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- production hardening (manage.py check --deploy is clean with these) -------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                # WeasyPrint logs each rendering step of a package's PDF at INFO
                "weasyprint": {"level": "WARNING"}},
}

# --- groupchat policy (REGULATION.md §5; operators may change these within legal floors) ---------------------------
GROUPCHAT = {
    "MESSAGE_MAX_CHARS": int(env("GROUPCHAT_MESSAGE_MAX_CHARS", "4000")),
    "HISTORY_PAGE_SIZE": 50,
    "RESUME_BATCH": 200,
    # Frames a socket may have waiting for a client that does not read before it is closed (4408) to resume later.
    "SOCKET_BACKLOG_FRAMES": int(env("GROUPCHAT_SOCKET_BACKLOG_FRAMES", "1000")),
    "INVITE_TTL_DAYS": int(env("GROUPCHAT_INVITE_TTL_DAYS", "7")),
    "SEND_RATE": env("GROUPCHAT_SEND_RATE", "20/10second"),
    # The sockets' database thread keeps its connection (groupchat/runtime/threads.py); tests close it after each call,
    # so the test database can be dropped at the end of the run.
    "DB_THREAD_KEEPS_CONNECTION": GROUPCHAT_ENV != "test",
    # Threads for the synchronous part of HTTP requests, per process; each keeps a database connection.
    "HTTP_THREADS": int(env("GROUPCHAT_HTTP_THREADS", "8")),
    # How long (ms) a thread of the ASGI server may hold the GIL while another waits for it (Python's default: 5). The
    # database threads give it up on every query and then wait for the busy event loop to hand it back; at 0.5 the
    # send path's check stage is shorter and ingest higher (measure with bench/). 0 keeps Python's default.
    "SWITCH_INTERVAL_MS": float(env("GROUPCHAT_SWITCH_INTERVAL_MS", "0.5")),
    # 30-day average messages per day: below the first is "quiet", from the second "busy" (G7a activity band).
    "ACTIVITY_BANDS": (10, 200),
}

# --- network-log retention (REGULATION G13b, §5.7; compliance/) -------------------------------------------------------
# The law's floor is six months; 184 days covers the longest six calendar months. Not a choice: a lower setting stops
# the process here (and the system check compliance.E001 catches an override made after start-up).
LOG_RETENTION_FLOOR_DAYS = 184
LOG_RETENTION_DAYS = int(env("GROUPCHAT_LOG_RETENTION_DAYS", "190"))
if LOG_RETENTION_DAYS < LOG_RETENTION_FLOOR_DAYS:
    raise ImproperlyConfigured(
        f"GROUPCHAT_LOG_RETENTION_DAYS={LOG_RETENTION_DAYS} is below the legal floor of {LOG_RETENTION_FLOOR_DAYS} days "
        "(network logs must be kept at least six months); groupchat refuses to start.")
# The CJK font embedded in every package's document.pdf (compliance/package_pdf.py). Debian's fonts-wqy-microhei, which
# `make install`, .ci/services.sh and the Dockerfile install; without it packages carry the HTML alone and say why.
PACKAGE_PDF_FONT = env("GROUPCHAT_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# --- the operator (G7a filing package, regulator reports; compliance/) ----------------------------------------------
# Who runs the service, as the filing package and the regulator reports name it. Services mode reads only the
# environment (an empty value shows as "not configured" in the package); embedded mode fills the blanks with a demo
# operator so `make run` has something to show, and the package then says DEMO VALUES on its first section.
_DEMO_OPERATOR = {  # DEV-ONLY: embedded mode only, never filed
    "OPERATOR_NAME": "示例网络科技有限公司（演示）",
    "OPERATOR_CREDIT_CODE": "91110000000000000X",
    "OPERATOR_SERVICE_NAME": "groupchat 演示站",
    "OPERATOR_CONTACT": "合规负责人 张三 010-00000000",
    "OPERATOR_ADDRESS": "北京市海淀区示例路 1 号",
}
OPERATOR_IS_DEMO = EMBEDDED_MODE and not PRODUCTION and not any(env(name) for name in _DEMO_OPERATOR)
_OPERATOR_DEFAULTS = _DEMO_OPERATOR if OPERATOR_IS_DEMO else {}
OPERATOR_NAME = env("OPERATOR_NAME", _OPERATOR_DEFAULTS.get("OPERATOR_NAME", ""))
OPERATOR_CREDIT_CODE = env("OPERATOR_CREDIT_CODE", _OPERATOR_DEFAULTS.get("OPERATOR_CREDIT_CODE", ""))  # 统一社会信用代码
OPERATOR_SERVICE_NAME = env("OPERATOR_SERVICE_NAME", _OPERATOR_DEFAULTS.get("OPERATOR_SERVICE_NAME", ""))
# The person responsible for the service and how to reach them.
OPERATOR_CONTACT = env("OPERATOR_CONTACT", _OPERATOR_DEFAULTS.get("OPERATOR_CONTACT", ""))
OPERATOR_ADDRESS = env("OPERATOR_ADDRESS", _OPERATOR_DEFAULTS.get("OPERATOR_ADDRESS", ""))

# --- complaints (REGULATION G12, §5.10): deadlines of reports; complaints/conf.py lists every key with its default ---
COMPLAINTS = {
    # Urgent categories (terrorism, child sexual content, fraud in progress, threats to life): within this many hours.
    "URGENT_HOURS": int(env("GROUPCHAT_COMPLAINT_URGENT_HOURS", "1")),
    # Every other report: taken up within this many hours, decided within this many working days (weekends and the
    # admin's holiday table skipped).
    "TRIAGE_HOURS": int(env("GROUPCHAT_COMPLAINT_TRIAGE_HOURS", "24")),
    "DECIDE_WORKING_DAYS": int(env("GROUPCHAT_COMPLAINT_DECIDE_WORKING_DAYS", "3")),
}
