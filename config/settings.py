"""Settings, read from the environment (django-environ).

Three ways to run, chosen by the environment alone (docs/CONFIGURATION.md):

* **Embedded default** — no variable set: SQLite in ``data/``, Celery tasks run eagerly in the
  web process, the cache in memory, DEBUG on, a development secret generated once into
  ``data/secret_key``.
* **Services** — ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``: the database, the Celery broker
  and result backend, and the cache use them.
* **Production** — ``DJANGO_ENV=production``: DEBUG off, HTTPS-only cookies, HSTS; refuses to
  start without a strong ``SECRET_KEY`` and an explicit ``ALLOWED_HOSTS``.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from orgs.signin.rules import ROLE_NAMES, dn_normalise, role_rules_parse

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

ENVIRONMENTS = ("development", "production")
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"DJANGO_ENV must be one of {ENVIRONMENTS}, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

# Django's own marker for generated throw-away keys; production refuses any key carrying it.
_INSECURE_KEY_PREFIX = "django-insecure-"


def _development_secret_key() -> str:
    """A random key generated on first start and kept in the data folder (never committed)."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(_INSECURE_KEY_PREFIX + secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)
    ):
        raise ImproperlyConfigured(
            "Production needs SECRET_KEY: at least 50 random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production needs ALLOWED_HOSTS: the comma-separated host names it serves "
            "('*' is refused)."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ALLOWED_HOSTS = env.list(
        "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
    )

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Page components (templates/cotton/, docs/UI.md); configured below, not by its own ready().
    "django_cotton.apps.SimpleAppConfig",
    "axes",
    # TOTP second factor (orgs.mfa, docs/SECURITY.md "等保 2.0 三级 checklist").
    "django_otp",
    "django_otp.plugins.otp_totp",
    "orgs",
    # Enterprise sign-in: LDAP and OpenID Connect, off unless configured (docs/SIGN_IN.md).
    "orgs.signin",
    "appraisal",
    "reporting",
    "acceptance",
    "payroll",
    "letters",
    "bulletins",
    "dashboard",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the second factor of this session (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits, one session per account, then the second factor and an
    # expired password before any other page (orgs.sessions).
    "orgs.sessions.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orgs.middleware.AuditContextMiddleware",
    "orgs.security.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION or not DEBUG:
    # WhiteNoise serves the static files whenever DEBUG is off: in production the collected,
    # hashed ones; in a development run without DEBUG (`python3 dev.py run`) the collected ones
    # and, through the finders, static/ as it is now. With DEBUG on, runserver
    # (django.contrib.staticfiles) serves them.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = not PRODUCTION

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # django-cotton compiles the <c-…> components (templates/cotton/) into template tags
            # as a template is loaded; the loaders are otherwise Django's defaults, cached.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django_cotton.cotton_loader.Loader",
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
            "builtins": ["django_cotton.templatetags.cotton"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.role",
                "orgs.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the dev server read while a management command writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # A file, not memory, so a Celery worker process started by a test can open it too.
    # Named per process, so two test runs in one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_db_{os.getpid()}.sqlite3")}

# Production connects as a role that owns nothing (docs/DEPLOYMENT.md, "Database roles"):
# `migrate` runs with the owner's DATABASE_URL, then `manage.py db_app_role`, also as the owner,
# creates or updates this role and grants it what the application needs. Read by that command.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="jixiao_app")
DATABASE_APP_PASSWORD = env.str("DATABASE_APP_PASSWORD", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"

# --- Redis: cache, Celery broker and result backend --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="jixiao"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded default runs every task in-process, at once.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = (
    True  # a task that dies with its worker is delivered again (tasks are idempotent)
)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task whose whole worker died unacknowledged (killed, machine lost) stays in Redis's "unacked"
# set and is delivered again once this many seconds have passed since its delivery, by whichever
# worker sweeps first (docs/ARCHITECTURE.md, "When a worker dies"). It must exceed the longest
# task, or a task still running is delivered a second time (harmless, tasks are idempotent, but
# wasted work). The nightly recompute catches a year sooner if need be.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "recompute-open-years-nightly": {
        "task": "appraisal.recompute_open_years",
        "schedule": crontab(hour=2, minute=0),
    },
    "letters-remind-unsigned-daily": {
        "task": "letters.remind_unsigned",
        "schedule": crontab(hour=8, minute=30),
    },
    # 数据填报 past a reporting or review deadline: each person who must act is told once
    # (reporting.services.reports_overdue_notify, docs/REPORTING.md).
    "reporting-notify-overdue-daily": {
        "task": "reporting.notify_overdue_reports",
        "schedule": crontab(hour=8, minute=45),
    },
    "acceptance-flag-missing-reports-weekly": {
        "task": "acceptance.flag_missing_reports",
        "schedule": crontab(hour=9, minute=0, day_of_week=1),  # Mondays: flags the past week
    },
    # Late in the day, so each month keeps how it ended (docs/BULLETINS.md).
    "bulletins-take-snapshots-daily": {
        "task": "bulletins.take_snapshots",
        "schedule": crontab(hour=23, minute=30),
    },
    "bulletins-generate-weekly": {
        "task": "bulletins.generate_weekly",
        "schedule": crontab(hour=7, minute=0, day_of_week=1),  # Mondays: the week just ended
    },
    "bulletins-generate-monthly": {
        "task": "bulletins.generate_monthly",
        "schedule": crontab(hour=7, minute=30, day_of_month=1),  # the 1st: the month just ended
    },
}


# --- Auth ----------------------------------------------------------------------------------------
# 等保 2.0 level 3 (docs/SECURITY.md, "等保 2.0 三级 checklist"; docs/CONFIGURATION.md). Each
# control has a safe default; a value that would weaken it below the standard is refused at start.
def _at_least(name: str, default: int, minimum: int) -> int:
    value = env.int(name, default=default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {value}.")
    return value


# Passwords (orgs.passwords): length, character classes, no reuse, expiry with a forced change.
PASSWORD_MIN_LENGTH = _at_least("PASSWORD_MIN_LENGTH", 10, 8)
PASSWORD_MIN_CLASSES = env.int("PASSWORD_MIN_CLASSES", default=3)
if not 1 <= PASSWORD_MIN_CLASSES <= 4:
    raise ImproperlyConfigured("PASSWORD_MIN_CLASSES must be 1 to 4.")
PASSWORD_HISTORY = _at_least("PASSWORD_HISTORY", 5, 0)
PASSWORD_MAX_AGE_DAYS = _at_least("PASSWORD_MAX_AGE_DAYS", 90, 0)  # 0: passwords never expire
# Sessions (orgs.sessions): idle timeout, absolute lifetime from sign-in, one session per account.
SESSION_IDLE_MINUTES = _at_least("SESSION_IDLE_MINUTES", 30, 1)
SESSION_ABSOLUTE_HOURS = _at_least("SESSION_ABSOLUTE_HOURS", 8, 1)
SESSION_SINGLE = env.bool("SESSION_SINGLE", default=False)
# Second factor (orgs.mfa): the roles that must sign in with a TOTP code. Production: HR, payroll
# and the three administrators; development (the demo, the tests): none, so the README's demo
# logins work with a password alone. Anyone may enrol from their account page.
_MFA_PRODUCTION_ROLES = "hr,payroll,sysadmin,secadmin,auditadmin"
MFA_REQUIRED_ROLES = frozenset(
    env.list("MFA_REQUIRED_ROLES", default=_MFA_PRODUCTION_ROLES.split(",") if PRODUCTION else [])
)
if MFA_REQUIRED_ROLES - set(ROLE_NAMES):
    raise ImproperlyConfigured(
        f"MFA_REQUIRED_ROLES: unknown roles {sorted(MFA_REQUIRED_ROLES - set(ROLE_NAMES))}."
    )
# An API token is not a way around the second factor: a token of an account whose role needs one
# is refused unless this is set (orgs.api.authentication).
MFA_ALLOW_API_TOKENS = env.bool("MFA_ALLOW_API_TOKENS", default=False)
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="绩效考核系统")
# The audit trail is kept at least this long (orgs.audit_archive); less is refused.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        "AUDIT_RETENTION_DAYS must be 180 or more (等保 2.0: audit records kept six months)."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "orgs.passwords.CharacterClassesValidator"},
    {"NAME": "orgs.passwords.PasswordHistoryValidator"},
]
# django-axes first: a locked-out sign-in is refused before the password is checked
# (orgs.security, orgs.lockout, docs/SECURITY.md "Login protection").
AUTHENTICATION_BACKENDS = [
    "orgs.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords within LOGIN_LOCKOUT_MINUTES lock a sign-in: LOGIN_FAILURE_LIMIT for one account
# from any address, or LOGIN_ADDRESS_FAILURE_LIMIT from one address on any accounts (password
# spraying). Letter signing's password counts the same (orgs.lockout.password_reconfirm).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=10)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
if min(LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES "
        "must be 1 or more."
    )
AXES_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
AXES_HANDLER = "orgs.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Failures are recorded per (username, address); orgs.lockout counts them by each on its own.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "orgs.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "orgs.security.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "orgs.middleware.client_address"
# Failed attempts are kept (admin: Access attempts); a row per successful login is not.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation: Chinese first, English second ---------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Uploaded files are never served from a public URL: downloads go through views that check scope.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Imports are workbooks of at most a few MB; refuse more before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# Evidence and attachments (orgs.uploads): the largest file, and the zip guards every xlsx / docx
# and every import workbook passes before anything parses it.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_ZIP_MAX_MEMBERS = env.int("UPLOAD_ZIP_MAX_MEMBERS", default=1000)
UPLOAD_ZIP_MAX_UNPACKED_BYTES = env.int("UPLOAD_ZIP_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024)
UPLOAD_ZIP_MAX_RATIO = env.int("UPLOAD_ZIP_MAX_RATIO", default=100)

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with `WWW-Authenticate: Token`.
        "orgs.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every API view must be reached by an authenticated user with a role,
    # and each view narrows further.
    "DEFAULT_PERMISSION_CLASSES": ["orgs.api.permissions.HasRole"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's AutoSchema plus the 400/401/403/404 answers every operation may give.
    "DEFAULT_SCHEMA_CLASS": "orgs.api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "绩效考核系统 API",
    "DESCRIPTION": (
        "Performance appraisal of institutions. Every endpoint is scoped to the caller's role: "
        "objects outside it answer 404. Money and points are decimal strings."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for users with a role, like every other endpoint.
    "SERVE_PERMISSIONS": ["orgs.api.permissions.HasRole"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # A result's grade and its first-half grade are one choice set: one name for it.
    "ENUM_NAME_OVERRIDES": {"ResultGradeEnum": "appraisal.models.Grade"},
}

# --- Security ------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (hx-headers in base.html), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# orgs.security.SecurityHeadersMiddleware. Scripts only from our own static files (no inline
# script or handler in any template); inline style attributes are allowed (layout only).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=()"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy (docker-compose, nginx) that sets X-Forwarded-Proto.
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The audit trail's client address (orgs.middleware): how many proxies of ours add an
# X-Forwarded-For entry in front of the application (docker-compose: one). 0 = REMOTE_ADDR only.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

# E-mail (reminders) only where it is configured; otherwise reminders are shown in the app only.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="jixiao@localhost")

# --- Notifications: the channels beside the bell (docs/NOTIFICATIONS.md) -------------------------
# Every channel is off unless set: the embedded default keeps notifications in the app and sends
# nothing outside. A group robot's address is a secret (its token is in it) and must be HTTPS;
# plain HTTP only to this machine (a test's local receiver), never in production.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _webhook_url(name: str) -> str:
    url = env.str(name, default="").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or not host or parts.scheme not in ("https", "http"):
        raise ImproperlyConfigured(f"{name} must be an https:// address, not {url!r}.")
    if parts.scheme == "http" and (PRODUCTION or host not in _LOOPBACK_HOSTS):
        raise ImproperlyConfigured(
            f"{name} must be an https:// address (plain http only to 127.0.0.1 or localhost, "
            "for tests, and never in production)."
        )
    return url


NOTIFY_EMAIL = env.bool("NOTIFY_EMAIL", default=False)
if NOTIFY_EMAIL and not EMAIL_HOST:
    raise ImproperlyConfigured("NOTIFY_EMAIL=true needs EMAIL_HOST (the SMTP server).")
NOTIFY_WECOM_URL = _webhook_url("NOTIFY_WECOM_URL")
NOTIFY_DINGTALK_URL = _webhook_url("NOTIFY_DINGTALK_URL")
NOTIFY_DINGTALK_SECRET = env.str("NOTIFY_DINGTALK_SECRET", default="")
NOTIFY_FEISHU_URL = _webhook_url("NOTIFY_FEISHU_URL")
NOTIFY_FEISHU_SECRET = env.str("NOTIFY_FEISHU_SECRET", default="")
if NOTIFY_DINGTALK_SECRET and not NOTIFY_DINGTALK_URL:
    raise ImproperlyConfigured("NOTIFY_DINGTALK_SECRET is set but NOTIFY_DINGTALK_URL is not.")
if NOTIFY_FEISHU_SECRET and not NOTIFY_FEISHU_URL:
    raise ImproperlyConfigured("NOTIFY_FEISHU_SECRET is set but NOTIFY_FEISHU_URL is not.")
# How many notifications one person receives outside the app per day (Asia/Shanghai); beyond it
# they stay under the bell only. 0 sends none outside.
NOTIFY_DAILY_CAP = env.int("NOTIFY_DAILY_CAP", default=20)
NOTIFY_MAX_TRIES = env.int("NOTIFY_MAX_TRIES", default=5)
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=10.0)
if NOTIFY_DAILY_CAP < 0 or NOTIFY_MAX_TRIES < 1 or NOTIFY_TIMEOUT <= 0:
    raise ImproperlyConfigured(
        "NOTIFY_DAILY_CAP must be 0 or more, NOTIFY_MAX_TRIES 1 or more, NOTIFY_TIMEOUT above 0."
    )
# The site's own address, for the links in e-mails and robot messages (https://jx.example.com);
# without it they carry the path only.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

# --- Enterprise sign-in: LDAP / Active Directory and OpenID Connect (docs/SIGN_IN.md) ------------
# Both off unless set. Each is an authentication backend after django-axes' LockoutBackend, which
# counts their failures like a local password's; local accounts keep signing in beside them.
SIGNIN_ADOPT_LOCAL_ACCOUNTS = env.bool("SIGNIN_ADOPT_LOCAL_ACCOUNTS", default=False)


def _positive_seconds(name: str, default: float) -> float:
    value = env.float(name, default=default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0.")
    return value


LDAP_SERVER_URI = env.list("LDAP_SERVER_URI", default=[])
LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
LDAP_USER_DN_TEMPLATE = env.str("LDAP_USER_DN_TEMPLATE", default="")
LDAP_USER_SEARCH_BASE = env.str("LDAP_USER_SEARCH_BASE", default="")
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(uid=%(user)s)")
LDAP_USERNAME_ATTR = env.str("LDAP_USERNAME_ATTR", default="uid")
LDAP_NAME_ATTR = env.str("LDAP_NAME_ATTR", default="cn")
LDAP_EMAIL_ATTR = env.str("LDAP_EMAIL_ATTR", default="mail")
LDAP_GROUP_SEARCH_BASE = env.str("LDAP_GROUP_SEARCH_BASE", default="")
LDAP_GROUP_FILTER = env.str("LDAP_GROUP_FILTER", default="(|(member=%(dn)s)(uniqueMember=%(dn)s))")
LDAP_GROUP_ATTR = env.str("LDAP_GROUP_ATTR", default="memberOf")
LDAP_ROLE_GROUPS = role_rules_parse(
    env.str("LDAP_ROLE_GROUPS", default=""), "LDAP_ROLE_GROUPS", normalise=dn_normalise
)
LDAP_DEPARTMENT_ATTR = env.str("LDAP_DEPARTMENT_ATTR", default="")
LDAP_INSTITUTION_ATTR = env.str("LDAP_INSTITUTION_ATTR", default="")
LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_TLS_VERIFY = env.bool("LDAP_TLS_VERIFY", default=True)
LDAP_TLS_CA_FILE = env.str("LDAP_TLS_CA_FILE", default="")
LDAP_CONNECT_TIMEOUT = _positive_seconds("LDAP_CONNECT_TIMEOUT", 5)
LDAP_TIMEOUT = _positive_seconds("LDAP_TIMEOUT", 10)
LDAP_ONLY = env.bool("LDAP_ONLY", default=False)
if LDAP_SERVER_URI:
    for _uri in LDAP_SERVER_URI:
        _parts = urlsplit(_uri)
        if _parts.scheme not in ("ldap", "ldaps") or not _parts.hostname:
            raise ImproperlyConfigured(f"LDAP_SERVER_URI: {_uri!r} is not ldap:// or ldaps://.")
        # A password sent in clear over the network: production refuses it.
        if (
            PRODUCTION
            and _parts.scheme == "ldap"
            and not LDAP_START_TLS
            and _parts.hostname not in _LOOPBACK_HOSTS
        ):
            raise ImproperlyConfigured(
                f"LDAP_SERVER_URI: {_uri} sends passwords in clear; use ldaps:// or "
                "LDAP_START_TLS=true in production."
            )
    if PRODUCTION and not LDAP_TLS_VERIFY:
        raise ImproperlyConfigured(
            "LDAP_TLS_VERIFY=false is refused in production; give the directory's CA in "
            "LDAP_TLS_CA_FILE instead."
        )
    if LDAP_USER_DN_TEMPLATE and "%(user)s" not in LDAP_USER_DN_TEMPLATE:
        raise ImproperlyConfigured("LDAP_USER_DN_TEMPLATE must contain %(user)s.")
    if not LDAP_USER_DN_TEMPLATE and not LDAP_USER_SEARCH_BASE:
        raise ImproperlyConfigured(
            "LDAP_SERVER_URI needs LDAP_USER_SEARCH_BASE (to search for the user) or "
            "LDAP_USER_DN_TEMPLATE (to bind as the user directly)."
        )
    if "%(user)s" not in LDAP_USER_FILTER:
        raise ImproperlyConfigured("LDAP_USER_FILTER must contain %(user)s.")
    if LDAP_BIND_DN and not LDAP_BIND_PASSWORD:
        raise ImproperlyConfigured("LDAP_BIND_DN is set but LDAP_BIND_PASSWORD is not.")
    if LDAP_TLS_CA_FILE and not Path(LDAP_TLS_CA_FILE).is_file():
        raise ImproperlyConfigured(f"LDAP_TLS_CA_FILE: no file {LDAP_TLS_CA_FILE}.")
elif LDAP_ONLY:
    raise ImproperlyConfigured("LDAP_ONLY=true needs LDAP_SERVER_URI.")

OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = _webhook_url("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = _webhook_url("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = _webhook_url("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = _webhook_url("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = _webhook_url("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid profile email")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
OIDC_VERIFY_SSL = env.bool("OIDC_VERIFY_SSL", default=True)
OIDC_TIMEOUT = _positive_seconds("OIDC_TIMEOUT", 10)
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_NAME_CLAIM = env.str("OIDC_NAME_CLAIM", default="name")
OIDC_EMAIL_CLAIM = env.str("OIDC_EMAIL_CLAIM", default="email")
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="groups")
OIDC_ROLE_GROUPS = role_rules_parse(env.str("OIDC_ROLE_GROUPS", default=""), "OIDC_ROLE_GROUPS")
OIDC_DEPARTMENT_CLAIM = env.str("OIDC_DEPARTMENT_CLAIM", default="")
OIDC_INSTITUTION_CLAIM = env.str("OIDC_INSTITUTION_CLAIM", default="")
# mozilla-django-oidc's own settings, fixed here.
OIDC_AUTHENTICATION_CALLBACK_URL = "signin:oidc_callback"
OIDC_STORE_ID_TOKEN = bool(OIDC_OP_LOGOUT_ENDPOINT)  # the id_token_hint of the provider's logout
if OIDC_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set but {', '.join(_missing)} not.")
    if OIDC_RP_SIGN_ALGO not in ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512"):
        raise ImproperlyConfigured(
            f"OIDC_RP_SIGN_ALGO: {OIDC_RP_SIGN_ALGO!r} is not an asymmetric algorithm this "
            "application checks against the provider's keys (RS256, ES256, …)."
        )
    if PRODUCTION and (not OIDC_VERIFY_SSL or not OIDC_OP_ISSUER):
        raise ImproperlyConfigured(
            "Production needs OIDC_OP_ISSUER (the ID token's iss is checked against it) and "
            "OIDC_VERIFY_SSL on."
        )
    if not OIDC_USERNAME_CLAIM:
        raise ImproperlyConfigured("OIDC_USERNAME_CLAIM must name a claim.")
    if OIDC_OP_LOGOUT_ENDPOINT:
        # The logout form's answer redirects to the provider: the CSP's form-action must allow it.
        _logout = urlsplit(OIDC_OP_LOGOUT_ENDPOINT)
        CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {_logout.scheme}://{_logout.netloc}"
        )

if LDAP_ONLY:
    AUTHENTICATION_BACKENDS = [
        "orgs.signin.ldap.LocalSuperuserBackend" if backend.endswith(".ModelBackend") else backend
        for backend in AUTHENTICATION_BACKENDS
    ]
if LDAP_SERVER_URI:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "orgs.signin.ldap.LDAPBackend"]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "orgs.signin.oidc.OIDCBackend"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {"client_errors": {"()": "orgs.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) printed every django.* record a second time,
        # beside the root's: the root's handler is the one. (Naming "django" here resets its
        # children, so runserver's access log is named again below, as Django has it.)
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # A refusal (403) is one WARNING line; a 500 keeps its traceback (orgs/log_filters.py).
        "django.request": {"filters": ["client_errors"]},
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every login at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": env.str("CELERY_TRACE_LOG_LEVEL", default="WARNING")},
    },
}

# Human-readable product name, used in page titles and the workbook metadata.
PRODUCT_NAME = _("Performance Appraisal System")
