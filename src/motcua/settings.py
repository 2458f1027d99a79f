"""MotCua settings: every value comes from an environment variable declared with ``env``.

Safe production defaults: DEBUG off, a secret key required, secure cookies and security
headers. ``MOTCUA_ENV=development`` (used by ``make run``) and ``MOTCUA_ENV=test`` relax what
only makes sense on a developer's machine.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from motcua.conf import env

PACKAGE_DIR = Path(__file__).resolve().parent

MOTCUA_ENV = env(
    "MOTCUA_ENV",
    "production",
    help="Deployment kind: `production`, `development` (make run) or `test`. Only production enforces every safety default.",
)
if MOTCUA_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured("MOTCUA_ENV must be production, development or test")
IS_PRODUCTION = MOTCUA_ENV == "production"

VAR_DIR = Path(
    env("MOTCUA_VAR_DIR", "var", help="Folder for the SQLite database, uploaded files and benchmark output.")
).resolve()

DEBUG = env("DEBUG", False, help="Django debug pages. Never on in production.")
if DEBUG and IS_PRODUCTION:
    raise ImproperlyConfigured("DEBUG must stay off when MOTCUA_ENV=production")

SECRET_KEY = env("SECRET_KEY", "", help="Django secret key. Required in production.", group="Security")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("Set SECRET_KEY (required when MOTCUA_ENV=production)")
    SECRET_KEY = "insecure-development-key-not-for-production"

ALLOWED_HOSTS = env(
    "ALLOWED_HOSTS",
    ["127.0.0.1", "localhost"] if not IS_PRODUCTION else [],
    help="Comma-separated host names this site answers to.",
    group="Security",
)
if MOTCUA_ENV == "test":
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CSRF_TRUSTED_ORIGINS = env(
    "CSRF_TRUSTED_ORIGINS", [], help="Comma-separated origins (scheme://host) trusted for POSTs.", group="Security"
)
SITE_URL = env(
    "SITE_URL",
    "http://127.0.0.1:8000",
    help="Public base URL, used in QR codes, e-mails and payment return addresses.",
)

SECURE_COOKIES = env(
    "SECURE_COOKIES", IS_PRODUCTION, help="Send session and CSRF cookies only over HTTPS.", group="Security"
)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions live in the database and are read through the shared cache (one file read instead of
# a query on every signed-in request); logging out still deletes them from both.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env("SESSION_COOKIE_AGE", 8 * 3600, help="Session lifetime in seconds.", group="Security")
SECURE_SSL_REDIRECT = env(
    "SECURE_SSL_REDIRECT", False, help="Redirect HTTP to HTTPS (enable when not behind a TLS proxy).", group="Security"
)
SECURE_HSTS_SECONDS = env(
    "SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0, help="HSTS max-age in seconds.", group="Security"
)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env("BEHIND_TLS_PROXY", False, help="Trust X-Forwarded-Proto from the reverse proxy.", group="Security")
    else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "motcua.core",
    "motcua.organisations",
    "motcua.accounts",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.workflow",
    "motcua.payments",
    "motcua.documents",
    "motcua.stats",
    "motcua.integrations",
    "motcua.portal",
    "motcua.office",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "motcua.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": not IS_PRODUCTION,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "motcua.core.context_processors.site",
            ],
        },
    }
]
if IS_PRODUCTION:
    # Cached loaders in production; APP_DIRS must be off when loaders are given.
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
        )
    ]

DATABASE_URL = env(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}",
    help="Database address: `postgres://user:pass@host:port/name` (production) or `sqlite:///path` (embedded default).",
    group="Database",
    shown="sqlite:///$MOTCUA_VAR_DIR/motcua.sqlite3",
)
DB_CONN_MAX_AGE = env(
    "DB_CONN_MAX_AGE", 60, help="Seconds to keep a database connection open between requests.", group="Database"
)
DB_HEALTH_CHECKS = env(
    "DB_HEALTH_CHECKS",
    False,
    help="Ping a kept database connection before each request reuses it (one more round trip per request; "
    "useful only when connections are often cut between requests).",
    group="Database",
)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_HEALTH_CHECKS)
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DB_PREPARED_STATEMENTS = env(
    "DB_PREPARED_STATEMENTS",
    True,
    help="PostgreSQL: bind parameters on the server so that psycopg prepares statements run repeatedly "
    "(saves the planning of hot queries). Turn off behind a transaction-mode connection pooler.",
    group="Database",
)
if IS_POSTGRES and DB_PREPARED_STATEMENTS:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"server_side_binding": True, "prepare_threshold": 2})
if not IS_POSTGRES:
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MOTCUA_ENV == "test":
    # Fast hashing keeps the suite quick; production always uses Argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The project-wide assets (site.css, vendored htmx) live outside any app.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(
    env("MEDIA_ROOT", str(VAR_DIR / "media"), help="Folder for uploaded files (file-system storage).", group="Storage",
        shown="$MOTCUA_VAR_DIR/media")
)
STORAGE_BACKEND = env(
    "STORAGE_BACKEND",
    "filesystem",
    help="`filesystem` or `s3` (S3-compatible; needs django-storages and the S3_* variables).",
    group="Storage",
)
S3_BUCKET = env("S3_BUCKET", "", help="Bucket for uploaded files when STORAGE_BACKEND=s3.", group="Storage")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", "", help="Endpoint of the S3-compatible service.", group="Storage")
S3_ACCESS_KEY = env("S3_ACCESS_KEY", "", help="Access key for the S3-compatible service.", group="Storage")
S3_SECRET_KEY = env("S3_SECRET_KEY", "", help="Secret key for the S3-compatible service.", group="Storage")
if STORAGE_BACKEND == "s3":
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    # WhiteNoise serves from the finders here; it only needs the folder to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
UPLOAD_MAX_BYTES = env(
    "UPLOAD_MAX_BYTES", 10 * 1024 * 1024, help="Largest accepted attachment, in bytes.", group="Storage"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
CLAMAV_SOCKET = env(
    "CLAMAV_SOCKET", "", help="clamd socket (path or host:port) for virus scanning; empty disables scanning.", group="Storage"
)

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if IS_PRODUCTION else "django.core.mail.backends.console.EmailBackend",
    help="Django e-mail backend.",
    group="Messaging",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost", help="SMTP server.", group="Messaging")
EMAIL_PORT = env("EMAIL_PORT", 25, help="SMTP port.", group="Messaging")
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "", help="SMTP user.", group="Messaging")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "", help="SMTP password.", group="Messaging")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", False, help="Use STARTTLS for SMTP.", group="Messaging")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "motcua@localhost", help="Sender address of e-mails.", group="Messaging")
SMS_BACKEND = env(
    "SMS_BACKEND",
    "console" if not IS_PRODUCTION else "file",
    help="SMS sender: `console`, `file` (writes to var/sms.log) or a dotted path to a sender class.",
    group="Messaging",
)

TASKS = {
    "default": {
        "BACKEND": env(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if MOTCUA_ENV == "test"
            else "django_tasks_db.DatabaseBackend",
            help="django-tasks backend: the database queue, or the immediate backend in tests.",
            group="Background work",
        )
    }
}

DOSSIER_AFTER_HOURS_CUTOFF = env(
    "DOSSIER_AFTER_HOURS_CUTOFF",
    "15:00",
    help="Counter dossiers received after this time count from the next working day (empty disables the rule).",
    group="Procedures",
)

PROVINCE_CODE = env(
    "PROVINCE_CODE", "31", help="Official code of the province this installation serves (demo: Hải Phòng).", group="Procedures"
)

CACHE_DIR = env(
    "CACHE_DIR",
    "" if MOTCUA_ENV == "test" else str(VAR_DIR / "cache"),
    help="Folder of the shared file cache (rate limits, lock-outs) seen by every worker process; "
    "empty uses a per-process memory cache (tests only).",
    group="Core",
    shown="$MOTCUA_VAR_DIR/cache",
)
CACHES = {
    "default": {"BACKEND": "motcua.core.cache.FileCache", "LOCATION": CACHE_DIR, "OPTIONS": {"MAX_ENTRIES": 50000}}
    if CACHE_DIR
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

BENCH_ENDPOINTS = env(
    "BENCH_ENDPOINTS",
    False,
    help="Expose /bench/trivial and /bench/db, the ceiling of `make bench`. Never in production.",
    group="Core",
)

SIGNING_PKI_DIR = Path(
    env(
        "SIGNING_PKI_DIR",
        str(VAR_DIR / "pki"),
        help="Folder of the signing keys: `agencies/<agency code>.p12` per agency (and the dev CA from `motcua dev-ca`).",
        group="Digital signatures",
        shown="$MOTCUA_VAR_DIR/pki",
    )
)
SIGNING_P12_PASSWORD = env(
    "SIGNING_P12_PASSWORD",
    "" if IS_PRODUCTION else "motcua-dev-only",
    help="Password of the agencies' PKCS#12 files. Required in production.",
    group="Digital signatures",
    shown="(development: motcua-dev-only)",
)
SIGNING_TRUST_ROOTS = env(
    "SIGNING_TRUST_ROOTS",
    [],
    help="Comma-separated PEM/DER files of the CAs trusted when verifying signed results; empty means the development CA (outside production).",
    group="Digital signatures",
)
VERIFY_UPLOAD_MAX_BYTES = env(
    "VERIFY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, help="Largest PDF accepted by the public verification page.",
    group="Digital signatures",
)

# Payments (motcua.payments). Development secrets exist only outside production.
PAYMENT_SIMULATOR_ENABLED = env(
    "PAYMENT_SIMULATOR_ENABLED",
    not IS_PRODUCTION,
    help="Serve the payment simulator at /mo-phong-thanh-toan/ (development and tests only; refused in production).",
    group="Payments",
)
if PAYMENT_SIMULATOR_ENABLED and IS_PRODUCTION:
    raise ImproperlyConfigured("PAYMENT_SIMULATOR_ENABLED must stay off when MOTCUA_ENV=production")
PAYMENT_GATEWAYS = env(
    "PAYMENT_GATEWAYS", ["vnpay", "national", "vietqr"], help="Payment methods offered, in order (comma-separated).",
    group="Payments",
)
VNPAY_TMN_CODE = env("VNPAY_TMN_CODE", "" if IS_PRODUCTION else "MOTCUA01", help="VNPAY terminal (merchant) code.", group="Payments")
VNPAY_HASH_SECRET = env(
    "VNPAY_HASH_SECRET", "" if IS_PRODUCTION else "dev-vnpay-secret-not-for-production",
    help="VNPAY hash secret (HMAC-SHA512 key).", group="Payments", shown="(development value outside production)",
)
VNPAY_URL = env("VNPAY_URL", "", help="VNPAY payment URL; empty uses the simulator (outside production).", group="Payments")
VNPAY_API_URL = env("VNPAY_API_URL", "", help="VNPAY query API (querydr) URL; empty uses the simulator.", group="Payments")
NATIONAL_PAY_MERCHANT_CODE = env(
    "NATIONAL_PAY_MERCHANT_CODE", "" if IS_PRODUCTION else "MOTCUA", help="Merchant code on the national payment platform.",
    group="Payments",
)
NATIONAL_PAY_KEY = env(
    "NATIONAL_PAY_KEY", "" if IS_PRODUCTION else "dev-national-key-not-for-production",
    help="Checksum key of the national payment platform.", group="Payments", shown="(development value outside production)",
)
NATIONAL_PAY_URL = env("NATIONAL_PAY_URL", "", help="National payment platform URL; empty uses the simulator.", group="Payments")
NATIONAL_PAY_API_URL = env(
    "NATIONAL_PAY_API_URL", "", help="National payment platform query API URL; empty uses the simulator.", group="Payments"
)
VIETQR_BANK_BIN = env("VIETQR_BANK_BIN", "" if IS_PRODUCTION else "970436", help="BIN of the bank receiving transfers.", group="Payments")
VIETQR_ACCOUNT = env("VIETQR_ACCOUNT", "" if IS_PRODUCTION else "0011001234567", help="Account number receiving transfers.", group="Payments")
VIETQR_ACCOUNT_NAME = env("VIETQR_ACCOUNT_NAME", "" if IS_PRODUCTION else "KHO BAC NHA NUOC (THU NGHIEM)", help="Account holder shown to payers.", group="Payments")

RATE_LIMIT_STORE = env(
    "RATE_LIMIT_STORE", "memory",
    help="Where public tracking counts lookups per client address: `memory` (a file mapped in memory, shared by the "
    "worker processes of one host, no database write per lookup) or `database` (one UPSERT per lookup, shared by every host).",
    group="Core",
)
if RATE_LIMIT_STORE not in ("memory", "database"):
    raise ImproperlyConfigured("RATE_LIMIT_STORE must be `memory` or `database`")
RATE_LIMIT_FILE = env(
    "RATE_LIMIT_FILE", "" if MOTCUA_ENV == "test" else str(VAR_DIR / "ratelimit.bin"),
    help="File of the `memory` rate-limit counters (2 MB); empty: this process only (tests).",
    group="Core", shown="$MOTCUA_VAR_DIR/ratelimit.bin",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO", help="Log level.", group="Core")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
