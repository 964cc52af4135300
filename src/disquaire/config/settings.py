"""Django settings, read from the environment (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from disquaire.config.env import data_dir, env_bool, env_int, env_list, env_str, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()
MEDIA_ROOT = DATA_DIR / "media"
SCRATCH_DIR = DATA_DIR / "tmp"
MAIL_DIR = DATA_DIR / "mail"

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("DISQUAIRE_DEBUG", False)
PRODUCTION = env_bool("DISQUAIRE_PRODUCTION", False)
ALLOWED_HOSTS = env_list("DISQUAIRE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DISQUAIRE_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("DISQUAIRE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "disquaire.core",
    "disquaire.catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "disquaire.config.urls"
WSGI_APPLICATION = "disquaire.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'disquaire.sqlite3'}"),
        conn_max_age=env_int("DISQUAIRE_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while pages read; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("DISQUAIRE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"

# Storage: local files in the data dir by default, any S3-compatible service when asked.
STORAGE_KIND = env_str("DISQUAIRE_STORAGE", "local")
if STORAGE_KIND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DISQUAIRE_S3_BUCKET"),
            "endpoint_url": env_str("DISQUAIRE_S3_ENDPOINT_URL") or None,
            "access_key": env_str("DISQUAIRE_S3_ACCESS_KEY") or None,
            "secret_key": env_str("DISQUAIRE_S3_SECRET_KEY") or None,
            "region_name": env_str("DISQUAIRE_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("DISQUAIRE_S3_URL_EXPIRY", 300),
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
elif STORAGE_KIND == "local":
    _default_storage = {
        "BACKEND": "disquaire.core.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
else:
    raise ValueError(f"DISQUAIRE_STORAGE must be 'local' or 's3', got {STORAGE_KIND!r}")
# Paid and streamed files: "direct" (the app answers, with HTTP Range) or "x-accel"
# (nginx sends the file named in X-Accel-Redirect). S3 storage always redirects to a
# presigned URL that lives DISQUAIRE_S3_URL_EXPIRY seconds.
DISQUAIRE_FILE_SERVING = env_str("DISQUAIRE_FILE_SERVING", "direct")
DISQUAIRE_XACCEL_PREFIX = env_str("DISQUAIRE_XACCEL_PREFIX", "/_protected/")
DISQUAIRE_S3_URL_EXPIRY = env_int("DISQUAIRE_S3_URL_EXPIRY", 300)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background work: jobs live in the database; `disquaire worker` (or the in-process
# worker of `disquaire serve`) runs them.
TASKS = {
    "default": {
        "BACKEND": env_str("DISQUAIRE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "transcode"],
    }
}
TASK_MAX_ATTEMPTS = env_int("DISQUAIRE_TASK_MAX_ATTEMPTS", 3)
# A rendition claimed longer ago than this without a heartbeat belongs to a dead worker.
TASK_STALE_SECONDS = env_int("DISQUAIRE_TASK_STALE_SECONDS", 120)

# Email: SMTP when a host is set, otherwise one file per message in the data dir.
EMAIL_HOST = env_str("DISQUAIRE_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("DISQUAIRE_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("DISQUAIRE_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("DISQUAIRE_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("DISQUAIRE_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
DEFAULT_FROM_EMAIL = env_str("DISQUAIRE_EMAIL_FROM", "Disquaire <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Uploads and imports
IMPORT_MAX_TAG_CHARS = env_int("DISQUAIRE_IMPORT_MAX_TAG_CHARS", 2000)
IMPORT_MAX_IMAGE_PIXELS = env_int("DISQUAIRE_IMPORT_MAX_IMAGE_PIXELS", 50_000_000)
IMPORT_MAX_FILE_BYTES = env_int("DISQUAIRE_IMPORT_MAX_FILE_BYTES", 4 * 1024**3)
FFMPEG_BINARY = env_str("DISQUAIRE_FFMPEG", "")
FFMPEG_THREADS = env_int("DISQUAIRE_FFMPEG_THREADS", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DISQUAIRE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("DISQUAIRE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DISQUAIRE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DISQUAIRE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# Worker threads per `disquaire worker` process (0: one per core).
WORKER_THREADS = env_int("DISQUAIRE_WORKER_THREADS", 0)
WORKER_PERIODIC_SECONDS = env_int("DISQUAIRE_WORKER_PERIODIC_SECONDS", 30)
# Jobs the workers run every half minute (recovering dead workers' work, publishing, ...).
DISQUAIRE_PERIODIC = [
    "disquaire.catalog.services.tracks_recover_stale",
]
