"""Settings for the community-college portal.

Everything comes from the environment; with nothing set, the portal runs on a bare machine:
SQLite file, Celery tasks run eagerly, console e-mail and SMS. See README "Configuration".
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=True)
# The fallback key only exists so a bare checkout runs; production must set DJANGO_SECRET_KEY.
SECRET_KEY = (
    os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-dev-only-community-college-not-for-production"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "import_export",
    "accounts",
    "interests",
    "venues",
    "teachers",
    "activities",
    "ratings",
    "notices",
    "dashboards",
    "funds",
    "consultation",
    # Demo data sits above every domain app: it seeds them all, and none imports it.
    "demo",
]

MIDDLEWARE = [
    # Before anything reads an address: the client's address as the trusted proxies report it.
    "community_college.client_ip.ClientIPMiddleware",
    # Read-only pages may read the replica; writers stay on the primary (no-op without DATABASE_REPLICA_URL).
    "community_college.db_router.ReplicaReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer.
    "community_college.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Control characters and oversized API bodies are refused before any view or form reads them.
    "community_college.hygiene.InputHygieneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must come last so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "community_college.urls"
WSGI_APPLICATION = "community_college.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notices.context_processors.unread_notices",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A PostgreSQL streaming replica for the read-heavy pages (community_college/db_router.py). In tests it
# mirrors the default database unless a test points it at a real standby (tests/ops/test_replica.py).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["community_college.db_router.PrimaryReplicaRouter"]
# Pages that only read and tolerate the replica's lag (GET and HEAD only).
REPLICA_READ_PATHS = env_list("REPLICA_READ_PATHS", "/dashboards/,/api/v1/staff/,/consultation/dashboard/")
# After a write, the writer's browser reads the primary this long (longer than the replica's usual lag).
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "15"))
# PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer): no session state may outlive a transaction, so
# no server-side cursors and no per-connection settings (set timeouts on the database role instead).
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "")
if DATABASE_POOLER == "pgbouncer":
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Residents register at the same moment; SQLite must wait for the write lock, not fail at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cc"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if REDIS_URL:
    # Every signed-in request reads its session: from Redis first, the database only on a miss.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
# Results are kept only for the matching fan-out's chord (activities.dispatch.fanout: its body gathers the
# parts' solutions), in Redis for an hour; every other task ignores its result, as before.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else None
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
# Without a broker the portal still works: tasks run in-process when they are enqueued.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL)
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
# Redis redelivers an unacknowledged task after this long; no countdown may exceed it. It is also how long a
# task whose worker died outright (SIGKILL, a lost machine: nobody left to reject it) waits before another worker
# takes it again; a task still running after it would be delivered twice, so it stays well above the longest
# task (a matching part runs for its time limit). The restore sweep looks for such tasks every
# interval × throttle seconds (kombu's defaults, 10 × 10). The worker-lost test lowers all three.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", "10")),
}
# All periodic work, in one place (times are Asia/Shanghai, CELERY_TIMEZONE). Each task is idempotent, so
# a beat that fires twice or a run that overlaps the next does no harm.
CELERY_BEAT_SCHEDULE = {
    # Reminders 24 h and 2 h before each meeting.
    "notices-reminders": {"task": "notices.tasks.scan_reminders", "schedule": crontab(minute="*/10")},
    # Feedback requests after meetings that residents attended.
    "notices-feedback-requests": {
        "task": "notices.tasks.scan_feedback_requests",
        "schedule": crontab(minute=20),
    },
    # The weekly digest: split into batches of residents, Saturday morning when residents plan their week.
    "notices-weekly-digest": {
        "task": "notices.tasks.digest_fanout",
        "schedule": crontab(day_of_week="sat", hour=9, minute=0),
    },
    # The end of quiet hours: SMS and e-mail held back overnight go now.
    "notices-morning-release": {
        "task": "notices.tasks.release_deferred",
        "schedule": crontab(hour=7, minute=0),
    },
    # Retries whose task was lost, and deliveries left by a worker that died mid-send.
    "notices-retry-sweeper": {"task": "notices.tasks.sweep", "schedule": crontab(minute="*/5")},
}

# --- Authentication ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PhoneOrEmailBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# The mobile number is required; a password is optional: without one a resident signs in with a code by SMS.
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1", "password2"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_FORMS = {
    "login": "accounts.allauth_forms.LoginForm",
    "signup": "accounts.allauth_forms.SignupForm",
    "request_login_code": "accounts.allauth_forms.RequestLoginCodeForm",
}
# A new resident first chooses a home community: nothing else works without one.
ACCOUNT_SIGNUP_REDIRECT_URL = "interests:profile"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Six digits, no dash: typed from an SMS on a phone keypad. The SMS says "valid for 15 minutes".
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
# Texts get lost: allow asking for a new code twice per sign-in.
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Wrong passwords: axes locks an account from one address after 5 (below); this per-account limit
    # stops a spread-out attack from many addresses, and is set above axes' so axes' page is what
    # residents see.
    "login_failed": "10/m/ip,20/h/key",
    # Residents sign up together on one community centre's Wi-Fi: the per-address limits only stop a
    # script, well above what a room of people does; SMS cost is guarded per number (key) instead.
    "signup": "30/m/ip",
    # Every code is an SMS that costs money and can be used to pester a number.
    "request_login_code": "30/m/ip,3/m/key,10/h/key",
    "verify_phone": "1/30s/key,10/h/key",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_phone": "1/m/user",
}

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# allauth passes the identifier as phone, email or username: one callable normalises them all.
AXES_USERNAME_CALLABLE = "accounts.adapter.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
# The address ClientIPMiddleware resolved from the trusted proxies (see "Client addresses" below).
AXES_CLIENT_IP_CALLABLE = "community_college.client_ip.client_ip"

# --- Internationalisation ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Each language is named in itself, so a resident who cannot read the current one still finds theirs.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# In development WhiteNoise serves straight from the app folders, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail and SMS -----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "社区学院 <noreply@community-college.local>")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "accounts.sms.ConsoleSMSBackend")

# --- REST framework ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: its "WWW-Authenticate: Token" header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "community_college.api_pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "community_college.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        # Token sign-in with a password: axes locks an account after 5 failures; this stops spraying.
        "sign_in": os.environ.get("API_THROTTLE_SIGN_IN", "10/min"),
        # Each code is an SMS that costs money (the same budget as ACCOUNT_RATE_LIMITS): per address
        # (residents behind one NAT share it), and per mobile number whoever asks.
        "send_code": os.environ.get("API_THROTTLE_SEND_CODE", "20/min"),
        "send_code_phone": os.environ.get("API_THROTTLE_SEND_CODE_PHONE", "3/min"),
        "order_place": os.environ.get("API_THROTTLE_ORDER_PLACE", "30/hour"),
        # A matching run over the API keeps a worker busy for up to its time limit (60 s at most).
        "match_run": os.environ.get("API_THROTTLE_MATCH_RUN", "20/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Depth- and size-limited JSON (community_college/parsers.py); forms as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "community_college.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttles read the address ClientIPMiddleware resolved, never a forwarded header themselves.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Community College API",
    "DESCRIPTION": "Residents' orders, classes and notices; staff inboxes; the district's dashboard data. "
    "Errors share one shape (ErrorSerializer); messages follow Accept-Language.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "interests.enums.OrderStatus",
        "CourseStatusEnum": "activities.enums.CourseStatus",
        "SessionStatusEnum": "activities.enums.SessionStatus",
        "RegistrationStatusEnum": "activities.enums.RegistrationStatus",
        "MatchRunStatusEnum": "activities.dispatch.enums.MatchRunStatus",
        "ProposedClassStatusEnum": "activities.dispatch.enums.ProposedClassStatus",
        "ConsentEnum": "activities.dispatch.enums.Consent",
        "MatterStatusEnum": "consultation.enums.MatterStatus",
        "MeetingStatusEnum": "consultation.enums.MeetingStatus",
        "DecisionStatusEnum": "consultation.enums.DecisionStatus",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Pinned in static/vendor/swagger-ui: government intranets have no CDN.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui-dist-5.35.0",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui-dist-5.35.0/favicon-32x32.png",
    # Times as the API sends them ("14:30:00", no offset): community_college/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "community_college.schema.local_times",
        "community_college.schema.input_rules",
    ],
}

# --- Domain -----------------------------------------------------------------------------------------------
# The 15-minute walking circle of the programme, as a straight-line distance.
WALKING_CIRCLE_KM = float(os.environ.get("WALKING_CIRCLE_KM", "1.2"))
# Check-in by QR code (activities/checkin.py): the teacher's screen shows a new signed code every
# CHECKIN_CODE_SECONDS; a code is taken for one more period (the time to scan it), and only from
# CHECKIN_OPENS_MINUTES before a meeting's start to CHECKIN_CLOSES_MINUTES after it. A resident who must sign in
# first keeps the code they scanned for CHECKIN_SIGN_IN_GRACE_SECONDS.
CHECKIN_CODE_SECONDS = int(os.environ.get("CHECKIN_CODE_SECONDS", "60"))
CHECKIN_OPENS_MINUTES = int(os.environ.get("CHECKIN_OPENS_MINUTES", "30"))
CHECKIN_CLOSES_MINUTES = int(os.environ.get("CHECKIN_CLOSES_MINUTES", "30"))
CHECKIN_SIGN_IN_GRACE_SECONDS = int(os.environ.get("CHECKIN_SIGN_IN_GRACE_SECONDS", "600"))

# --- Notices (see notices/services.py and notices/rules.py) --------------------------------------------------
# SMS and e-mail wait outside these hours (local time); the in-site inbox never waits. "off" disables.
NOTICES_QUIET_HOURS = os.environ.get("NOTICES_QUIET_HOURS", "22:00-07:00")
# A worker owns a claimed delivery this long; after it, a delivery left by a dead worker is taken over.
# Must exceed the longest send (gateway and SMTP timeouts).
NOTICES_LEASE_SECONDS = int(os.environ.get("NOTICES_LEASE_SECONDS", "300"))
NOTICES_MAX_ATTEMPTS = int(os.environ.get("NOTICES_MAX_ATTEMPTS", "5"))
# Backoff after the n-th failure: base × 2^(n-1) seconds, at most 3600 (the broker's visibility timeout).
NOTICES_RETRY_BASE_SECONDS = int(os.environ.get("NOTICES_RETRY_BASE_SECONDS", "60"))
# The sweeper re-enqueues a due delivery only if no task was queued for it this recently.
NOTICES_SWEEP_GRACE_SECONDS = int(os.environ.get("NOTICES_SWEEP_GRACE_SECONDS", "600"))
NOTICES_SWEEP_LIMIT = int(os.environ.get("NOTICES_SWEEP_LIMIT", "100000"))
NOTICES_DELIVER_CHUNK = int(os.environ.get("NOTICES_DELIVER_CHUNK", "100"))
# Residents per digest task: hundreds, so 250,000 residents make about 500 tasks.
NOTICES_DIGEST_BATCH = int(os.environ.get("NOTICES_DIGEST_BATCH", "500"))
NOTICES_DIGEST_ITEMS = int(os.environ.get("NOTICES_DIGEST_ITEMS", "5"))
NOTICES_DIGEST_RADIUS_KM = float(os.environ.get("NOTICES_DIGEST_RADIUS_KM", "3.0"))
NOTICES_FEEDBACK_WITHIN_HOURS = int(os.environ.get("NOTICES_FEEDBACK_WITHIN_HOURS", "72"))
# Links in SMS and e-mail are absolute.
NOTICES_SITE_URL = os.environ.get("NOTICES_SITE_URL", "http://127.0.0.1:8000")
# notices.backends.FileSMSBackend writes here (development, the worker integration test).
NOTICES_SMS_FILE = os.environ.get("NOTICES_SMS_FILE", str(BASE_DIR / "sms-outbox.log"))
NOTICES_FILE_SMS_DELAY = float(os.environ.get("NOTICES_FILE_SMS_DELAY", "0"))

# --- Security (production) --------------------------------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# --- Client addresses behind proxies (community_college/client_ip.py; README "Deploying") -------------------
# X-Forwarded-For is believed only from these proxies (addresses or networks, comma-separated), or from this
# many hops when their addresses are not fixed. Default: no proxy is trusted, REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
# Admin searches per staff member: (searches, seconds). Guessing hidden values one search at a time is slow.
ADMIN_SEARCH_RATE = (int(os.environ.get("ADMIN_SEARCH_RATE_PER_MINUTE", "60")), 60)
# JSON bodies of the API nest at most this deep (community_college/parsers.py).
API_JSON_MAX_DEPTH = int(os.environ.get("API_JSON_MAX_DEPTH", "32"))
# Content-Security-Policy violations are reported here when set (community_college/csp.py).
CSP_REPORT_URI = os.environ.get("CSP_REPORT_URI", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Dashboards' roll-ups and the college star rating (dashboards/services.py, ratings/stars.py). Added with
# update() so that other apps' entries above are never overwritten.
CELERY_BEAT_SCHEDULE.update(
    {
        # Daily roll-ups: the weeks around today every 15 minutes (late attendance, new ratings, the coming
        # meetings), and a full rebuild each night.
        "dashboards-rollups-recent": {
            "task": "dashboards.tasks.refresh_recent_rollups",
            "schedule": crontab(minute="*/15"),
        },
        "dashboards-rollups-rebuild": {
            "task": "dashboards.tasks.rebuild_rollups",
            "schedule": crontab(hour=2, minute=30),
        },
        # Last month's star rating of every college, on the 1st after the night's rebuild.
        "ratings-college-stars": {
            "task": "dashboards.tasks.recompute_college_stars",
            "schedule": crontab(day_of_month=1, hour=4, minute=0),
        },
    }
)

# Classes' lifecycle (issue 11): meetings that are over are marked held, terms follow their dates, finished
# classes close and release their waiting lists. Idempotent, so a beat firing twice does no harm.
CELERY_BEAT_SCHEDULE["activities-lifecycle"] = {
    "task": "activities.tasks.advance_lifecycle",
    "schedule": crontab(minute="*/15"),
}

# Thin demand (issue 22): how long residents have to answer a near miss's question, after how many days
# of waiting an accepted order gets a notice with its options, and how long a share link stays valid.
NEAR_MISS_ANSWER_DAYS = int(os.environ.get("NEAR_MISS_ANSWER_DAYS", "3"))
WAIT_NOTICE_DAYS = int(os.environ.get("WAIT_NOTICE_DAYS", "30"))
SHARE_LINK_DAYS = int(os.environ.get("SHARE_LINK_DAYS", "14"))
CELERY_BEAT_SCHEDULE["activities-near-misses-expire"] = {
    "task": "activities.tasks.expire_near_misses",
    "schedule": crontab(minute="*/30"),
}
CELERY_BEAT_SCHEDULE["activities-waiting-orders"] = {
    "task": "activities.tasks.notice_waiting_orders",
    "schedule": crontab(hour=10, minute=5),
}
# The roll call's present / absent / excused in the API schema (issue 11).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AttendanceStatusEnum"] = "activities.enums.AttendanceStatus"
# --- Funds (钱有来源) ----------------------------------------------------------------------------------------
# Receipts are kept outside the web root and served only to staff in scope (funds.views.receipt).
FUNDS_RECEIPTS_ROOT = os.environ.get("FUNDS_RECEIPTS_ROOT", str(BASE_DIR / "var" / "receipts"))
FUNDS_RECEIPT_MAX_BYTES = int(os.environ.get("FUNDS_RECEIPT_MAX_BYTES", str(5 * 1024 * 1024)))
# Expenses above this many yuan need a second staff member's approval (four eyes).
FUNDS_FOUR_EYES_THRESHOLD = os.environ.get("FUNDS_FOUR_EYES_THRESHOLD", "500")
# Dotted path of a funds.gateway.PaymentGateway; the default takes money offline only (no gateway).
FUNDS_PAYMENT_GATEWAY = os.environ.get("FUNDS_PAYMENT_GATEWAY", "funds.gateway.OfflineOnly")
# Pledges still open this many days after their campaign's deadline expire (money promised, never brought).
FUNDS_PLEDGE_GRACE_DAYS = int(os.environ.get("FUNDS_PLEDGE_GRACE_DAYS", "30"))
CELERY_BEAT_SCHEDULE.update(
    {
        "funds-expire-pledges": {"task": "funds.tasks.expire_pledges", "schedule": crontab(hour=3, minute=10)},
        # The ledger's invariants, checked again from the rows every night; a failure is logged as an error.
        "funds-ledger-check": {"task": "funds.tasks.check_ledger", "schedule": crontab(hour=3, minute=40)},
    }
)

# --- 协商议事 (consultation) -----------------------------------------------------------------------------------
# Working days community staff have to answer a matter before it escalates to the street, then the district.
CONSULTATION_ANSWER_WORKING_DAYS = int(os.environ.get("CONSULTATION_ANSWER_WORKING_DAYS", "5"))
# Working days a department has to answer a matter referred to it.
CONSULTATION_REFERRAL_WORKING_DAYS = int(os.environ.get("CONSULTATION_REFERRAL_WORKING_DAYS", "10"))
# Days residents have to confirm a matter done before it closes as a timeout.
CONSULTATION_CONFIRM_DAYS = int(os.environ.get("CONSULTATION_CONFIRM_DAYS", "14"))
# Reports by different residents that hide a comment until a moderator reviews it.
CONSULTATION_REPORTS_TO_HIDE = int(os.environ.get("CONSULTATION_REPORTS_TO_HIDE", "3"))
# Uploaded photos live outside the web root and are served only through views that check access.
UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", str(BASE_DIR / "var" / "uploads")))
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(8 * 1024 * 1024)))
CELERY_BEAT_SCHEDULE.update(
    {
        # Unanswered matters past their deadline move up a level; overdue decisions are flagged; matters
        # nobody confirmed in time close as a timeout.
        "consultation-sweep": {"task": "consultation.tasks.sweep", "schedule": crontab(minute="*/15")},
    }
)
# --- Speed (issue 20) ---------------------------------------------------------------------------------------
# An API token found valid is trusted from the cache this long (0: read the database on every request);
# revoking it or saving its user takes effect at once (accounts/api/authentication.py).
API_TOKEN_CACHE_SECONDS = int(os.environ.get("API_TOKEN_CACHE_SECONDS", "60"))
# --- Running for real: faults, health, metrics, logs (ops/, README "Running in production") ----------------
INSTALLED_APPS += ["ops", "django_prometheus"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.DatabaseUnavailableMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Sessions live in the database alone. cached_db would keep serving a session from Redis that was ended
# (sign-out, account closed) while Redis was unreachable, once Redis answers again; one primary-key read
# per request is the price of sessions that are always true.
# Django's database sessions, the row read with one prepared statement (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Fails soft (ops/cache.py): Redis down means uncached pages, never a 500. Short timeouts and no
    # client retries, so an unreachable Redis costs a request milliseconds, not seconds.
    CACHES["default"]["BACKEND"] = "ops.cache.FailSoftRedisCache"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": float(os.environ.get("CACHE_CONNECT_TIMEOUT", "0.5")),
        "socket_timeout": float(os.environ.get("CACHE_SOCKET_TIMEOUT", "1")),
        "retry": Retry(NoBackoff(), 0),
    }
# After a cache failure, skip Redis for this long (per process and thread); warn at most this often.
CACHE_FAIL_SOFT_REST_SECONDS = float(os.environ.get("CACHE_FAIL_SOFT_REST_SECONDS", "5"))
CACHE_FAIL_SOFT_QUIET_SECONDS = float(os.environ.get("CACHE_FAIL_SOFT_QUIET_SECONDS", "60"))

# A publish gets one try within these timeouts; the outbox holds what could not be published.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    {
        "socket_connect_timeout": float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", "2")),
        "socket_timeout": float(os.environ.get("CELERY_BROKER_SOCKET_TIMEOUT", "5")),
        # Opening a connection for a publish: one quick second try, not kombu's loop of 2 s sleeps.
        # The worker's consumer reconnects by its own policy (broker_connection_retry).
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Kombu's Redis transport without redis-py's own ~2.5 s of connection retries (ops/broker.py).
    CELERY_BROKER_TRANSPORT = "ops.broker:Transport"
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECT_TIMEOUT", "2"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING below (JSON lines, request id, redaction), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The tables a restore must bring back exactly: `manage.py db_fingerprint` checksums them (ops/backup.py).
BACKUP_KEY_MODELS = (
    "accounts.User",
    "activities.Order",
    "activities.Course",
    "activities.Registration",
    "activities.Attendance",
    "ratings.SessionRating",
    "notices.Notice",
)
# The transactional outbox (ops/outbox.py).
OUTBOX_RELAY_SECONDS = float(os.environ.get("OUTBOX_RELAY_SECONDS", "30"))
# The relay leaves messages younger than this to their on-commit fast path.
OUTBOX_GRACE_SECONDS = float(os.environ.get("OUTBOX_GRACE_SECONDS", "30"))
OUTBOX_RELAY_BATCH = int(os.environ.get("OUTBOX_RELAY_BATCH", "1000"))
OUTBOX_BROKER_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BROKER_BACKOFF_SECONDS", "5"))
OUTBOX_MAX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_MAX_BACKOFF_SECONDS", "60"))
# Readiness fails when the oldest waiting message is older than this.
OUTBOX_LAG_MAX_SECONDS = float(os.environ.get("OUTBOX_LAG_MAX_SECONDS", "300"))

CELERY_BEAT_SCHEDULE.update(
    {
        # The outbox's safety net: messages whose on-commit publish failed (broker away, process died).
        "ops-outbox-relay": {"task": "ops.tasks.relay_outbox", "schedule": OUTBOX_RELAY_SECONDS},
        # Proof for readiness that beat, the broker and a worker all work.
        "ops-heartbeat": {"task": "ops.tasks.heartbeat", "schedule": 60.0},
    }
)

# Readiness and metrics are not public: a bearer token, or a client address (community_college.client_ip) in these networks.
OPS_TOKEN = os.environ.get("OPS_TOKEN", "")
OPS_ALLOWED_NETWORKS = env_list("OPS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
OPS_PROBE_TIMEOUT_SECONDS = float(os.environ.get("OPS_PROBE_TIMEOUT_SECONDS", "1"))
OPS_BEAT_MAX_AGE_SECONDS = float(os.environ.get("OPS_BEAT_MAX_AGE_SECONDS", "300"))
OPS_QUEUES = env_list("OPS_QUEUES", "celery")

# Database faults. Web processes (gunicorn through wsgi.py/asgi.py sets DJANGO_WEB_PROCESS) get a statement
# and a lock timeout, so one stuck query or lock cannot hold a web worker; workers, beat and management
# commands (migrations, backups, the district seed) run without them unless set.
_WEB_PROCESS = env_bool("DJANGO_WEB_PROCESS")
DATABASE_STATEMENT_TIMEOUT_MS = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "15000" if _WEB_PROCESS else "0"))
DATABASE_LOCK_TIMEOUT_MS = int(os.environ.get("DATABASE_LOCK_TIMEOUT_MS", "5000" if _WEB_PROCESS else "0"))
for _alias in (a for a in DATABASES.values() if a["ENGINE"].endswith("postgresql")):
    # Django's backend with a health check that needs no round trip on a quiet socket (see the module).
    _alias["ENGINE"] = "community_college.postgresql"
    _db_options = _alias.setdefault("OPTIONS", {})
    # A database host that does not answer fails the connection in seconds, not at the TCP timeout.
    _db_options.setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")))
    _pg_settings = []
    if DATABASE_STATEMENT_TIMEOUT_MS:
        _pg_settings.append(f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}")
    if DATABASE_LOCK_TIMEOUT_MS:
        _pg_settings.append(f"-c lock_timeout={DATABASE_LOCK_TIMEOUT_MS}")
    if _pg_settings and DATABASE_POOLER != "pgbouncer":
        _db_options["options"] = " ".join([_db_options.get("options", ""), *_pg_settings]).strip()

# JSON lines in production (or DJANGO_LOG_FORMAT=json), readable lines in development; redaction always.
from ops.logs import logging_config  # noqa: E402  (settings need no Django to import it)

LOGGING = logging_config(
    os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    json_lines=os.environ.get("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json") == "json",
)

# Residents' data rights (privacy/): notices and SMS / e-mail delivery logs older than this are purged nightly.
INSTALLED_APPS += ["privacy"]
PRIVACY_RETENTION_DAYS = int(os.environ.get("PRIVACY_RETENTION_DAYS", "180"))
CELERY_BEAT_SCHEDULE.update(
    {"privacy-retention-purge": {"task": "privacy.tasks.purge_old_records", "schedule": crontab(hour=3, minute=30)}}
)

# 榜样评选: how many days a recognition round's public notice (公示, voting and objections) lasts by default.
RECOGNITION_NOTICE_DAYS = int(os.environ.get("RECOGNITION_NOTICE_DAYS", "7"))

# --- Certificates, reconfirmation of places, volunteer hours (issue 14 items 4-5, issue 16 item 2) ----------
# Debian's fonts-noto-cjk; in a .ttc the face at CERTIFICATE_FONT_INDEX (2 = Noto Sans CJK SC).
CERTIFICATE_FONT = os.environ.get("CERTIFICATE_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CERTIFICATE_FONT_INDEX = int(os.environ.get("CERTIFICATE_FONT_INDEX", "2"))
# The address printed on a certificate for its public verification page.
CERTIFICATE_SITE_URL = os.environ.get("CERTIFICATE_SITE_URL", NOTICES_SITE_URL)
# A course completion certificate needs at least this share of the class's held sessions attended.
CERTIFICATE_MIN_ATTENDANCE = float(os.environ.get("CERTIFICATE_MIN_ATTENDANCE", "0.8"))
# Classes with a waiting list ask their confirmed residents to reconfirm this long before each session...
RECONFIRM_ASK_HOURS = float(os.environ.get("RECONFIRM_ASK_HOURS", "24"))
# ...and places not reconfirmed this long before the session go to the waiting list.
RECONFIRM_DEADLINE_HOURS = float(os.environ.get("RECONFIRM_DEADLINE_HOURS", "2"))
# Absences without notice in one term after which a resident must reconfirm every session of that term.
NOSHOW_LIMIT = int(os.environ.get("NOSHOW_LIMIT", "3"))
# How long a one-tap reconfirmation link in a notice stays valid (it also dies with the deadline).
RECONFIRM_LINK_MAX_AGE_HOURS = float(os.environ.get("RECONFIRM_LINK_MAX_AGE_HOURS", "48"))
CELERY_BEAT_SCHEDULE["activities-reconfirmation"] = {
    "task": "activities.tasks.sweep_reconfirmations",
    "schedule": crontab(minute="*/10"),
}
# /api/ requests go through MIDDLEWARE without these (community_college/handlers.py): static files, CSRF
# (DRF enforces it itself for session-authenticated API calls), flash messages, allauth's sign-in flow.
# Computed last, so middleware added above is in the API's chain too unless named here.
API_SKIPS_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "allauth.account.middleware.AccountMiddleware",
    }
)
API_MIDDLEWARE = [m for m in MIDDLEWARE if m not in API_SKIPS_MIDDLEWARE]
# --- Showcases (兴趣展示) and stories (人物故事) ---------------------------------------------------------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ShowcaseStatusEnum": "activities.enums.ShowcaseStatus",
        "ShowcaseKindEnum": "activities.enums.ShowcaseKind",
        "MediaStatusEnum": "activities.enums.MediaStatus",
        "StoryStatusEnum": "activities.enums.StoryStatus",
    }
)
