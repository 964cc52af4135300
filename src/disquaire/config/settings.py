"""Django settings, read from the environment (see .env.example)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from disquaire.config.env import (
    data_dir,
    env_bool,
    env_files_load,
    env_int,
    env_list,
    env_str,
    secret_key,
    secret_key_problem,
)

# `.env` files (the working directory's, then the data dir's) fill in what the real
# environment does not set, before any setting is read.
ENV_FILES = env_files_load()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()
MEDIA_ROOT = DATA_DIR / "media"
SCRATCH_DIR = DATA_DIR / "tmp"
MAIL_DIR = DATA_DIR / "mail"

SECRET_KEY = secret_key(DATA_DIR)
# Former keys, still accepted while signed links, sessions and the bands' sealed payment
# keys (core.crypto) move to the new one.
SECRET_KEY_FALLBACKS = env_list("DISQUAIRE_SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("DISQUAIRE_DEBUG", False)
PRODUCTION = env_bool("DISQUAIRE_PRODUCTION", False)
if PRODUCTION and (_key_problem := secret_key_problem(SECRET_KEY)):
    # Refuse to start: with a known key anyone forges download, invitation and
    # verification links. (Empty: the key generated into the data dir is used.)
    raise ImproperlyConfigured(
        f"DISQUAIRE_SECRET_KEY {_key_problem}. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# The public address of the site, in every link that leaves a page (emails, feeds, file
# tags, oEmbed, canonical URLs). Left empty, `disquaire serve` and `disquaire demo` make it
# the address they serve (disquaire.core.siteurl); production requires it (system check).
SITE_URL_CONFIGURED = bool(env_str("DISQUAIRE_SITE_URL").strip())
SITE_URL = (env_str("DISQUAIRE_SITE_URL").strip() or "http://127.0.0.1:8000").rstrip("/")
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env_list(
    "DISQUAIRE_ALLOWED_HOSTS",
    # The site's own host is allowed without being named twice.
    [urlsplit(SITE_URL).hostname or "", *_LOCAL_HOSTS] if SITE_URL_CONFIGURED else _LOCAL_HOSTS,
)
CSRF_TRUSTED_ORIGINS = env_list("DISQUAIRE_CSRF_TRUSTED_ORIGINS", [])
# One-band sites: the address (slug) of the artist whose page is the site's root. Left
# empty, the root is the artist's page when a single artist has published anything, and
# the directory of artists (always at /artists/) otherwise.
DISQUAIRE_HOME_ARTIST = env_str("DISQUAIRE_HOME_ARTIST").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "disquaire.core",
    "disquaire.catalog",
    "disquaire.stock",
    "disquaire.storefront",
    "disquaire.shop",
    "disquaire.selling",
    "disquaire.orders",
    "disquaire.payments",
    "disquaire.delivery",
    "disquaire.fans",
    "disquaire.table",
    "disquaire.consignment",
    "disquaire.backstage",
    "disquaire.demo",
]

MIDDLEWARE = [
    "disquaire.core.metrics.RouteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files, in every mode: hashed names cached for ever, gzip when asked, answered
    # before the session and the rest (nginx may serve them first in production).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user as the actor of the audit log's entries (core.audit).
    "disquaire.core.audit.ActorMiddleware",
    # A phone signed in as a merch-table seller sees the table and nothing else.
    "disquaire.table.views.access.SellerFenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "disquaire.shop.middleware.VisitOriginMiddleware",
    "disquaire.core.replica.ReplicaPinMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "disquaire.core.csp.ContentSecurityPolicyMiddleware",
]
# Our own pages may frame each other (the embed preview on a release page); the embed
# widgets alone may be framed by any site (disquaire.core.csp.frame_anywhere).
X_FRAME_OPTIONS = "SAMEORIGIN"
# check --deploy prefers DENY; SAMEORIGIN is deliberate (above) and matches the CSP's
# `frame-ancestors 'self'`, which modern browsers obey first.
# HSTS preload (W021) is left to the operator (DISQUAIRE_HSTS_PRELOAD): the preload list
# binds the domain and its subdomains to HTTPS for months, and is slow to leave.
SILENCED_SYSTEM_CHECKS = ["security.W019", "security.W021"]

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

# Seconds a statement waits for a row lock on PostgreSQL before it fails.
DB_LOCK_TIMEOUT_SECONDS = env_int("DISQUAIRE_DB_LOCK_TIMEOUT", 10)


def _database(url: str) -> dict[str, Any]:
    """One database's settings from its URL, with the engine's options below."""
    conf: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=env_int("DISQUAIRE_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    )
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the worker write while pages read; IMMEDIATE avoids lock-upgrade deadlocks.
        conf.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        conf["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    elif conf["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that skips connections used a moment ago.
        conf["ENGINE"] = "disquaire.core.postgresql"
        pg_options = conf.setdefault("OPTIONS", {})
        # A database host that drops packets fails a connection after this many seconds
        # instead of holding the request (libpq waits for ever by default).
        pg_options.setdefault("connect_timeout", env_int("DISQUAIRE_DB_CONNECT_TIMEOUT", 10))
        # No statement waits longer than this for a row lock: it fails instead (a payment
        # webhook then answers 503 and is delivered again; orders.stock counts on it).
        pg_options["options"] = (
            f"{pg_options.get('options', '')} -c lock_timeout={DB_LOCK_TIMEOUT_SECONDS * 1000}"
        ).strip()
        if env_bool("DISQUAIRE_DB_SERVER_SIDE_BINDING", True):
            # Server-side binding: the same statement text for every call, which psycopg
            # prepares on the server after DISQUAIRE_DB_PREPARE_THRESHOLD runs on a
            # connection. PostgreSQL then parses and plans the checkout's statements once
            # per connection, not once per call: about half its CPU per order
            # (docs/performance.md). Turn it off behind a pooler that cannot keep prepared
            # statements (PgBouncer < 1.21 in transaction mode).
            pg_options.update(
                {
                    "server_side_binding": True,
                    "prepare_threshold": env_int("DISQUAIRE_DB_PREPARE_THRESHOLD", 5),
                }
            )
    return conf


DATABASES = {
    "default": _database(env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'disquaire.sqlite3'}"))
}
# A read replica (PostgreSQL streaming replication) for the band's stats, reports and order
# search only, never for stock, orders or payments (a lagging replica would oversell):
# disquaire.core.replica. Without it, everything reads the primary.
DATABASE_REPLICA_URL = env_str("DISQUAIRE_DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    # Tests read the replica through the primary's connection.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["disquaire.core.replica.PrimaryRouter"]
# Seconds a client's reports keep reading the primary after it wrote something (a
# replica may lag behind by that much at worst).
DISQUAIRE_REPLICA_PIN_SECONDS = env_int("DISQUAIRE_REPLICA_PIN_SECONDS", 15)
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
# English short dates say the month in letters ("4 Dec 2026"): Django's are American
# (12/04/2026). French keeps Django's (04/12/2026).
FORMAT_MODULE_PATH = ["disquaire.config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Filled by collectstatic; WhiteNoise looks there from the first request.
STATIC_ROOT.mkdir(exist_ok=True)
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
    # collectstatic (run by `disquaire serve`) writes each file under a name holding a
    # hash of its content, and a gzip copy beside it (disquaire.core.staticfiles).
    "staticfiles": {"BACKEND": "disquaire.core.staticfiles.StaticStorage"},
}
# Files whose name holds their hash are cached for ever (WhiteNoise's default for them);
# the others, which no page of ours links to, for an hour.
WHITENOISE_MAX_AGE = env_int("DISQUAIRE_STATIC_MAX_AGE", 3600)
# Files browsers ask for at the site's root whatever the page says (/favicon.ico).
WHITENOISE_ROOT = PACKAGE_DIR / "core" / "root"

# Cache (the public pages, their generation numbers): in-process memory by default, each
# web process its own; `redis://host:6379/0` shares one between processes and machines, so
# an edit reaches every one at once (docs/scaling.md).
CACHE_URL = env_str("DISQUAIRE_CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Several instances on one Redis: give each its own database (/0, /1, ...).
            "KEY_PREFIX": "disquaire",
            # Fail fast rather than hang a page when Redis is away.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif CACHE_URL in ("", "locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ValueError(f"DISQUAIRE_CACHE_URL must be empty or redis://..., got {CACHE_URL!r}")

# Background work: jobs live in the database; `disquaire worker` (or the in-process
# worker of `disquaire serve`) runs them.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "DISQUAIRE_TASKS_BACKEND", "disquaire.core.tasks_backend.RequestIdDatabaseBackend"
        ),
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
    # Seconds before a mail server that does not answer is given up on: a hung server must
    # not hold a request (a sign-in link) or a worker (receipts) for ever.
    EMAIL_TIMEOUT = env_int("DISQUAIRE_EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
# Another backend: an email provider through django-anymail (docs/email.md), e.g.
# "anymail.backends.postmark.EmailBackend", with its settings in DISQUAIRE_ANYMAIL (JSON).
if env_str("DISQUAIRE_EMAIL_BACKEND"):
    EMAIL_BACKEND = env_str("DISQUAIRE_EMAIL_BACKEND")
ANYMAIL: dict[str, Any] = json.loads(env_str("DISQUAIRE_ANYMAIL") or "{}")
# The provider's tracking webhooks (bounces, complaints) authenticate with this secret
# (HTTP basic auth, "user:password"). Unset, an unguessable one is made up: every webhook
# is refused until the operator sets it, rather than accepted unauthenticated.
ANYMAIL["WEBHOOK_SECRET"] = env_str("DISQUAIRE_ANYMAIL_WEBHOOK_SECRET") or (
    "disabled:" + secrets.token_urlsafe(32)
)
# Providers whose tracking webhook is open at /library/mail-events/<provider>/ (e.g.
# "postmark,mailgun"): bounces and complaints stop mail to an address.
DISQUAIRE_EMAIL_WEBHOOKS = env_list("DISQUAIRE_EMAIL_WEBHOOKS", [])
DEFAULT_FROM_EMAIL = env_str("DISQUAIRE_EMAIL_FROM", "Disquaire <shop@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Uploads and imports
IMPORT_MAX_TAG_CHARS = env_int("DISQUAIRE_IMPORT_MAX_TAG_CHARS", 2000)
IMPORT_MAX_IMAGE_PIXELS = env_int("DISQUAIRE_IMPORT_MAX_IMAGE_PIXELS", 50_000_000)
IMPORT_MAX_FILE_BYTES = env_int("DISQUAIRE_IMPORT_MAX_FILE_BYTES", 4 * 1024**3)
FFMPEG_BINARY = env_str("DISQUAIRE_FFMPEG", "")
FFMPEG_THREADS = env_int("DISQUAIRE_FFMPEG_THREADS", 0)

# Logs: plain text, or one JSON object a line with DISQUAIRE_LOG_FORMAT=json; each record
# carries the request id (nginx's X-Request-ID, or a new one), in the worker too
# (core.logs).
LOG_FORMAT = env_str("DISQUAIRE_LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ValueError(f"DISQUAIRE_LOG_FORMAT must be 'text' or 'json', got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "disquaire.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "disquaire.core.logs.TextFormatter"},
        "json": {"()": "disquaire.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DISQUAIRE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task start and end drowns the server's output: failures still show.
        # (disquaire.worker logs each task's start and end with its request id at INFO.)
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
    },
}

# /metrics (Prometheus text format): readable with `Authorization: Bearer <token>` or
# from the listed networks (the peer's own address, never X-Forwarded-For); without
# either, it answers 404. Figures read from the database come from these functions.
DISQUAIRE_METRICS_TOKEN = env_str("DISQUAIRE_METRICS_TOKEN")
DISQUAIRE_METRICS_ALLOW = env_list("DISQUAIRE_METRICS_ALLOW", [])
DISQUAIRE_METRICS = [
    "disquaire.core.worker.tasks_metrics",
    "disquaire.orders.selectors.orders_metrics",
    "disquaire.catalog.selectors.encodes_metrics",
]

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("DISQUAIRE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DISQUAIRE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DISQUAIRE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DISQUAIRE_HSTS_PRELOAD", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# /healthz answers the machine itself; a monitor elsewhere sends
# `Authorization: Bearer <DISQUAIRE_HEALTHZ_TOKEN>` (empty: loopback only).
DISQUAIRE_HEALTHZ_TOKEN = env_str("DISQUAIRE_HEALTHZ_TOKEN")

# Worker threads per `disquaire worker` process (0: one per core).
WORKER_THREADS = env_int("DISQUAIRE_WORKER_THREADS", 0)
WORKER_PERIODIC_SECONDS = env_int("DISQUAIRE_WORKER_PERIODIC_SECONDS", 30)
# Jobs the workers run every half minute (recovering dead workers' work, publishing, ...).
DISQUAIRE_PERIODIC = [
    "disquaire.catalog.services.processing.tracks_recover_stale",
]

# Listening (storefront player): lifetime of signed stream URLs (long enough to pause a
# track and come back), and of the anonymous `dq_listener` cookie that counts the plays
# of "limited" releases. Preview clips missing after a track is processed are queued by
# the periodic job.
DISQUAIRE_STREAM_TOKEN_TTL = env_int("DISQUAIRE_STREAM_TOKEN_TTL", 3 * 3600)
DISQUAIRE_LISTENER_COOKIE_AGE = env_int("DISQUAIRE_LISTENER_COOKIE_AGE", 365 * 86400)
DISQUAIRE_PERIODIC += ["disquaire.storefront.clips.clips_enqueue_missing"]

# Selling (shop, orders, payments). Providers offered at checkout, in this order:
# "stripe" (needs the two Stripe keys), "manual" (bank transfer/cash, the band marks
# orders paid), "test" (no money moves: offered to a band in test mode whether listed or
# not, see payments.registry; refused in production unless
# DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION is set, as the checkout benchmark does).
PAYMENT_PROVIDERS = env_list("DISQUAIRE_PAYMENT_PROVIDERS", ["stripe", "manual"])
DISQUAIRE_STRIPE_SECRET_KEY = env_str("DISQUAIRE_STRIPE_SECRET_KEY")
DISQUAIRE_STRIPE_WEBHOOK_SECRET = env_str("DISQUAIRE_STRIPE_WEBHOOK_SECRET")
DISQUAIRE_STRIPE_API_BASE = env_str("DISQUAIRE_STRIPE_API_BASE", "https://api.stripe.com")
# Seconds to wait for Stripe's API (each of up to three tries; the library's own default,
# 80, would outlast nginx's 120 s read timeout on a checkout).
DISQUAIRE_STRIPE_TIMEOUT = env_int("DISQUAIRE_STRIPE_TIMEOUT", 20)
DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION = env_bool("DISQUAIRE_TEST_PAYMENTS_IN_PRODUCTION", False)
# Checkouts (each mails the address typed) allowed per client address and per email
# address in the window (seconds).
DISQUAIRE_CHECKOUT_WINDOW = env_int("DISQUAIRE_CHECKOUT_WINDOW", 3600)
DISQUAIRE_CHECKOUT_PER_IP = env_int("DISQUAIRE_CHECKOUT_PER_IP", 30)
DISQUAIRE_CHECKOUT_PER_EMAIL = env_int("DISQUAIRE_CHECKOUT_PER_EMAIL", 10)
# Minutes a checkout holds its units before they go back on sale.
DISQUAIRE_RESERVATION_MINUTES = env_int("DISQUAIRE_RESERVATION_MINUTES", 30)
# Days an order to collect and pay in cash holds its units: until the fan comes by.
DISQUAIRE_PICKUP_HOLD_DAYS = env_int("DISQUAIRE_PICKUP_HOLD_DAYS", 14)
DISQUAIRE_PERIODIC += [
    "disquaire.orders.services.reservations_expire",
    "disquaire.orders.services.refunds_retry_pending",
    "disquaire.orders.services.receipts_retry",
    "disquaire.orders.services.pickups_retry",
]

# Delivery (downloads, download codes) and the fans' library. Download links live
# DISQUAIRE_DOWNLOAD_LINK_TTL seconds; each entitlement may be downloaded
# DISQUAIRE_DOWNLOAD_LIMIT times (files and zips; resumed downloads do not count).
# Code redemption and sign-in requests are limited per client IP and per code/email
# within a window (seconds); DISQUAIRE_TRUSTED_PROXIES are the addresses whose
# X-Forwarded-For is believed (nginx on the same machine).
DISQUAIRE_DOWNLOAD_LINK_TTL = env_int("DISQUAIRE_DOWNLOAD_LINK_TTL", 24 * 3600)
DISQUAIRE_DOWNLOAD_LIMIT = env_int("DISQUAIRE_DOWNLOAD_LIMIT", 100)
DISQUAIRE_REDEEM_WINDOW = env_int("DISQUAIRE_REDEEM_WINDOW", 15 * 60)
DISQUAIRE_REDEEM_ATTEMPTS_PER_IP = env_int("DISQUAIRE_REDEEM_ATTEMPTS_PER_IP", 20)
DISQUAIRE_REDEEM_ATTEMPTS_PER_CODE = env_int("DISQUAIRE_REDEEM_ATTEMPTS_PER_CODE", 10)
DISQUAIRE_SIGNIN_LINK_TTL = env_int("DISQUAIRE_SIGNIN_LINK_TTL", 30 * 60)
DISQUAIRE_SIGNIN_WINDOW = env_int("DISQUAIRE_SIGNIN_WINDOW", 3600)
DISQUAIRE_SIGNIN_PER_EMAIL = env_int("DISQUAIRE_SIGNIN_PER_EMAIL", 5)
DISQUAIRE_SIGNIN_PER_IP = env_int("DISQUAIRE_SIGNIN_PER_IP", 20)
DISQUAIRE_SIGNIN_PASSWORD_PER_EMAIL = env_int("DISQUAIRE_SIGNIN_PASSWORD_PER_EMAIL", 10)
DISQUAIRE_SIGNIN_PASSWORD_PER_IP = env_int("DISQUAIRE_SIGNIN_PASSWORD_PER_IP", 20)
DISQUAIRE_TRUSTED_PROXIES = env_list("DISQUAIRE_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
DISQUAIRE_PERIODIC += ["disquaire.delivery.services.entitlements_unlock_notify"]

# Updates to followers (fans/updates_sending.py): mails per second handed to the mail server (0:
# no limit), recipients claimed per batch, tries before a recipient is given up, seconds
# a task sends before letting other work run, and seconds after which a recipient
# claimed by a sender that died is marked failed (never sent twice).
DISQUAIRE_UPDATES_RATE = env_int("DISQUAIRE_UPDATES_RATE", 10)
DISQUAIRE_UPDATES_BATCH = env_int("DISQUAIRE_UPDATES_BATCH", 50)
DISQUAIRE_UPDATES_MAX_ATTEMPTS = env_int("DISQUAIRE_UPDATES_MAX_ATTEMPTS", 5)
DISQUAIRE_UPDATES_TASK_SECONDS = env_int("DISQUAIRE_UPDATES_TASK_SECONDS", 300)
DISQUAIRE_UPDATES_CLAIM_TIMEOUT = env_int("DISQUAIRE_UPDATES_CLAIM_TIMEOUT", 600)
DISQUAIRE_PERIODIC += ["disquaire.fans.updates_sending.updates_due"]

# Backstage (the band's dashboard at /backstage/): sign-in with email and password, and
# resumable uploads sent in chunks of DISQUAIRE_UPLOAD_CHUNK_BYTES (audio up to
# DISQUAIRE_IMPORT_MAX_FILE_BYTES, images up to DISQUAIRE_UPLOAD_MAX_IMAGE_BYTES).
LOGIN_URL = "backstage:login"
LOGIN_REDIRECT_URL = "backstage:home"
LOGOUT_REDIRECT_URL = "backstage:login"
BACKSTAGE_UPLOAD_CHUNK_BYTES = env_int("DISQUAIRE_UPLOAD_CHUNK_BYTES", 8 * 1024**2)
BACKSTAGE_MAX_IMAGE_BYTES = env_int("DISQUAIRE_UPLOAD_MAX_IMAGE_BYTES", 30 * 1024**2)
# Days an invitation link and an email verification link stay valid.
BACKSTAGE_INVITATION_DAYS = env_int("DISQUAIRE_INVITATION_DAYS", 14)
BACKSTAGE_VERIFY_DAYS = env_int("DISQUAIRE_VERIFY_DAYS", 3)
# Each sign-up mails someone: at most this many per client address and per email
# address in the window (seconds).
BACKSTAGE_SIGNUP_PER_IP = env_int("DISQUAIRE_SIGNUP_PER_IP", 10)
BACKSTAGE_SIGNUP_PER_EMAIL = env_int("DISQUAIRE_SIGNUP_PER_EMAIL", 3)
BACKSTAGE_SIGNUP_WINDOW = env_int("DISQUAIRE_SIGNUP_WINDOW", 3600)
# Failed sign-ins (backstage and admin) allowed per client address and per account in
# the window (seconds); password-reset requests (each mails someone) likewise.
BACKSTAGE_LOGIN_WINDOW = env_int("DISQUAIRE_LOGIN_WINDOW", 15 * 60)
BACKSTAGE_LOGIN_FAILURES_PER_IP = env_int("DISQUAIRE_LOGIN_FAILURES_PER_IP", 20)
BACKSTAGE_LOGIN_FAILURES_PER_EMAIL = env_int("DISQUAIRE_LOGIN_FAILURES_PER_EMAIL", 10)
BACKSTAGE_PASSWORD_RESET_WINDOW = env_int("DISQUAIRE_PASSWORD_RESET_WINDOW", 3600)
BACKSTAGE_PASSWORD_RESET_PER_IP = env_int("DISQUAIRE_PASSWORD_RESET_PER_IP", 10)
BACKSTAGE_PASSWORD_RESET_PER_EMAIL = env_int("DISQUAIRE_PASSWORD_RESET_PER_EMAIL", 3)
# Hours an unfinished upload may wait for its next chunk before its bytes are removed.
BACKSTAGE_UPLOAD_KEEP_HOURS = env_int("DISQUAIRE_UPLOAD_KEEP_HOURS", 48)
DISQUAIRE_PERIODIC += ["disquaire.backstage.services.uploads.uploads_expire"]
# E-mails to the band's members: failed sendings tried again, and each morning (after
# 07:00 in DISQUAIRE_TIME_ZONE) the summary of the day before.
DISQUAIRE_PERIODIC += [
    "disquaire.backstage.member_emails.member_emails_retry",
    "disquaire.backstage.member_emails.daily_summaries_send",
]
# Consignment: the band reminded of shops quiet for 30, 60, 90 days (each once).
DISQUAIRE_PERIODIC += ["disquaire.consignment.reminders.reminders_send"]

# Who may create a backstage account: "invitation" (someone invited to an artist by its
# owner or the operator) or "open" (anyone who confirms an email address). And who may
# create an artist page: "staff" (the operator, who then invites the band) or "anyone"
# signed in. Open sign-up with "anyone" lets strangers sell on this domain: an explicit
# choice for an operator hosting many bands, never the default.
DISQUAIRE_SIGNUP = env_str("DISQUAIRE_SIGNUP", "invitation")
if DISQUAIRE_SIGNUP not in ("invitation", "open"):
    raise ImproperlyConfigured(
        f"DISQUAIRE_SIGNUP must be 'invitation' or 'open', got {DISQUAIRE_SIGNUP!r}"
    )
DISQUAIRE_ARTIST_CREATION = env_str("DISQUAIRE_ARTIST_CREATION", "staff")
if DISQUAIRE_ARTIST_CREATION not in ("staff", "anyone"):
    raise ImproperlyConfigured(
        f"DISQUAIRE_ARTIST_CREATION must be 'staff' or 'anyone', got {DISQUAIRE_ARTIST_CREATION!r}"
    )
# Storage each artist's music may take (masters, their encoded copies and uploads under
# way; 0: no limit), and files each backstage user may start sending in an hour.
BACKSTAGE_ARTIST_STORAGE_QUOTA = env_int("DISQUAIRE_ARTIST_STORAGE_QUOTA", 20 * 1024**3)
BACKSTAGE_UPLOADS_PER_HOUR = env_int("DISQUAIRE_UPLOADS_PER_HOUR", 200)
