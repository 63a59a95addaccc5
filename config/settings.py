"""The one settings module: every deployment difference comes from the environment."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY を環境変数で設定してください (DEBUG=1 の開発時のみ省略できます)。")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "lib",
    "demo",
    "audit",
    "accounts",
    "companies",
    "candidates",
    "relay",
    "applicants",
    "mailings",
    "integrations",
    "rechallenge",
    "insights",
    "placements",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "lib.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "lib.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lib.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lib.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "lib.context_processors.site",
                "accounts.navigation.menu",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles a plan whose cost estimate is high, which a web request's aggregates pay for and
    # rarely win back (the re-challenge count of a company with 100,000 referrals: 805-935 ms with it, 488-498 ms
    # without). POSTGRES_JIT=1 keeps it; behind a pooler that refuses startup options, set it in the database
    # instead (ALTER DATABASE ... SET jit = off).
    if not env.bool("POSTGRES_JIT", default=False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# A referral scoring this or more (relay/risk.py, 0-100) waits for an operator admin's review before it counts.
RELAY_REVIEW_SCORE = env.int("RELAY_REVIEW_SCORE", default=50)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/public/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Staff sessions end after this long without a request (idle) or since sign-in (absolute), whichever comes
# first (lib.middleware.SessionTimeoutMiddleware). Operators see every company's people, so theirs are short.
SESSION_TIMEOUTS = {
    "operator": {"idle": env.int("OPERATOR_IDLE_SECONDS", default=30 * 60), "absolute": 12 * 60 * 60},
    "company": {"idle": env.int("COMPANY_IDLE_SECONDS", default=2 * 60 * 60), "absolute": SESSION_COOKIE_AGE},
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Only the app's own files run: no inline script, style or event handler (templates use data attributes read
# by static/js/app.js), nothing framed, no plugins, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if not DEBUG and env.bool("HTTPS", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Uploaded résumés. Never served as static media: only through views that check who is asking.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
RESUME_MAX_BYTES = env.int("RESUME_MAX_BYTES", default=10 * 1024 * 1024)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic` (part of every deploy); tests and DEBUG serve them as is.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# Email: EMAIL_URL (smtp://user:pass@host:587/?tls=True) in production; without it, mail lands in the
# development mailbox page so a person trying the product can read it with no mail server.
EMAIL_URL = env.str("EMAIL_URL", default="")
# The page shows sign-in links, so it is never on unless this is a development machine.
DEV_MAILBOX = DEBUG and not EMAIL_URL
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
    if vars()["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        # The same SMTP, on a session that tells a refusal from "may have been delivered" (never resent blindly).
        EMAIL_BACKEND = "mailings.backends.SmtpBackend"
else:
    EMAIL_BACKEND = "mailings.backends.DevMailboxBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="キャリアリレー <no-reply@career-relay.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
# An outbox row claimed (SENDING) longer than this was interrupted mid-send: it is failed, never resent blindly.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.int("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=300)

REDIS_URL = env.str("REDIS_URL", default="")
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}  # RQ's plain Job cannot call a django_tasks Task
if REDIS_URL:
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
elif env.str("TASK_BACKEND", default="") == "immediate":
    # Runs tasks inline; for the test suite and one-off scripts.
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Bearer tokens in paths, headers and tracebacks never reach a log line (issue 11 point 8). Every handler
    # carries this filter: a handler without it would write what django.request logs ("Not Found: /me/auth/…").
    "filters": {"redact_tokens": {"()": "lib.logredact.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Configured here so Django's own default handlers (console in DEBUG, mail to ADMINS), which would write
        # request paths without the redacting filter, are replaced by the root handler above.
        "django": {"level": "INFO"},
        # Request lines contain only paths, with their tokens redacted by the handler's filter.
        "django.server": {"level": "INFO", "propagate": True},
        "axes": {"level": "WARNING"},
    },
}

# Terms and privacy policy versions recorded with every consent (DESIGN.md §3 rule 11).
TERMS_VERSION = "2026-11-01"
PRIVACY_VERSION = "2026-11-01"
CANDIDATE_LINK_MAX_AGE = 60 * 60 * 24  # seconds a verification or magic link stays valid
# The key of the one-way hashes a deleted candidate leaves behind (candidates.ErasedIdentity). Set it on its own:
# without it the hashes derive from SECRET_KEY, and rotating SECRET_KEY would forget every deleted person.
ERASURE_HASH_KEY = env.str("ERASURE_HASH_KEY", default="")
INVITATION_MAX_AGE_DAYS = 7
# Lever's REST API, read when a Lever archive webhook names an applicant we have not seen (tests use a fake).
LEVER_API_BASE_URL = env.str("LEVER_API_BASE_URL", default="https://api.lever.co/v1")
# HERP Hire's API, pulled for finished candidacies (HERP sends no webhooks; tests use a fake on loopback).
HERP_API_BASE_URL = env.str("HERP_API_BASE_URL", default="https://public-api.herp.cloud/hire")
# Requests per REST API key ("600/m"; lib.ratelimit): past it, 429 with Retry-After; X-RateLimit-* on every answer.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/m")
# Fixed-window limits (lib/ratelimit.py), counted in Redis when REDIS_URL is set, else in the database, so all
# workers share them. `:email` is the target address (hashed): one victim gets at most 3 mails of a kind an hour
# whoever asks. Registration's `:email` covers both the verification and the "already registered" mail.
RATE_LIMITS = {
    "password_reset:email": "3/h",
    "password_reset:ip": "20/h",
    "candidate_login:email": "3/h",
    "candidate_login:ip": "20/h",
    "registration:email": "3/h",
    "registration:ip": "20/h",
    "registration:link": "120/h",
    "invitation:email": "3/h",
    "email_change:email": "3/h",
    "email_change:candidate": "5/h",
    "invitation:sender": "30/h",
    "sign_in:ip": "30/15m",
    "api:key": API_RATE_LIMIT,
}
# Past this many registrations in the current window (per IP, per link), the form asks for a proof of work
# (or, without JavaScript, a short question): no third-party service, nothing leaves the machine.
REGISTRATION_CHALLENGE_AFTER = {"registration:ip": 3, "registration:link": 30}
RATE_LIMIT_REDIS_PREFIX = env.str("RATE_LIMIT_REDIS_PREFIX", default="career-relay:ratelimit:")
OPERATOR_NAME = env.str("OPERATOR_NAME", default="株式会社キャリアリレー")
# The sender's contact details every promotional email must show (特定電子メール法).
OPERATOR_CONTACT_EMAIL = env.str("OPERATOR_CONTACT_EMAIL", default="support@career-relay.example.jp")
OPERATOR_ADDRESS = env.str("OPERATOR_ADDRESS", default="東京都千代田区丸の内1-1-1")
# Printed on invoices (請求書): phone, the qualified-invoice registration number (インボイス制度, T + 13 digits),
# the bank account for payment, and the 有料職業紹介事業 licence number.
OPERATOR_PHONE = env.str("OPERATOR_PHONE", default="03-0000-0000")
OPERATOR_INVOICE_REGISTRATION_NUMBER = env.str("OPERATOR_INVOICE_REGISTRATION_NUMBER", default="T1234567890123")
OPERATOR_BANK_ACCOUNT = env.str(
    "OPERATOR_BANK_ACCOUNT", default="キャリア銀行 丸の内支店 普通 1234567 カ)キャリアリレー"
)
OPERATOR_LICENSE_NUMBER = env.str("OPERATOR_LICENSE_NUMBER", default="13-ユ-000000")
# The operator's web address in the identity block of every rejection and operator mail (mailings/identity.py).
OPERATOR_URL = env.str("OPERATOR_URL", default=SITE_URL).rstrip("/")
