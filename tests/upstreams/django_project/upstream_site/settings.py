"""Settings of the upstream project: one Django project, two modes, chosen by the environment.

UPSTREAM_MODE        `simplejwt`: Django REST framework with SimpleJWT, the refresh token in
                     JSON bodies; `dj-rest-auth`: dj-rest-auth in its JWT cookie mode.
UPSTREAM_DATA        the directory of the SQLite database (a temporary one per process).
UPSTREAM_ACCOUNTS    the accounts file (see accounts_file.py).
UPSTREAM_AUTH_ORDER  `jwt-only` (the default) or `session-first`: SessionAuthentication
                     before JWTAuthentication (mode simplejwt).
UPSTREAM_CORS_ORIGINS  the origins CORS lets read answers, with credentials (comma-separated).
UPSTREAM_VERBOSE     `1`: log every request; otherwise errors only.

Everything else is the libraries' documented setup with their defaults.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from upstream_site.accounts_file import AccountsError, read_accounts

BASE_DIR = Path(__file__).resolve().parent.parent

MODES = ("simplejwt", "dj-rest-auth")
MODE = os.environ.get("UPSTREAM_MODE", "simplejwt")
if MODE not in MODES:
    raise ImproperlyConfigured(f"UPSTREAM_MODE={MODE!r} is not one of {', '.join(MODES)}")

AUTH_ORDERS = ("jwt-only", "session-first")
AUTH_ORDER = os.environ.get("UPSTREAM_AUTH_ORDER", "jwt-only")
if AUTH_ORDER not in AUTH_ORDERS:
    raise ImproperlyConfigured(f"UPSTREAM_AUTH_ORDER={AUTH_ORDER!r} is not one of "
                               f"{', '.join(AUTH_ORDERS)}")

DATA_DIR = Path(os.environ.get("UPSTREAM_DATA") or BASE_DIR / ".data")
ACCOUNTS_PATH = Path(os.environ.get("UPSTREAM_ACCOUNTS")
                     or BASE_DIR.parent / "accounts.toml")
try:
    ACCOUNTS = read_accounts(ACCOUNTS_PATH)
except AccountsError as exc:
    raise ImproperlyConfigured(str(exc)) from None

VERBOSE = os.environ.get("UPSTREAM_VERBOSE", "") == "1"

# A fixed key, for tests only: these backends hold nothing but the test accounts.
SECRET_KEY = "upstream-test-only-not-secret-7f3c1d9e2b4a6c8e0f1a3b5d7e9c2a4f6b8d0e1c3a5b7d9f"

DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "jobs",
]
if MODE == "dj-rest-auth":
    INSTALLED_APPS += ["rest_framework.authtoken", "dj_rest_auth"]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "upstream_site.urls"
WSGI_APPLICATION = "upstream_site.wsgi.application"

# For Django REST framework's browsable API (a browser that opens an API URL).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]
STATIC_URL = "static/"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        # Threads of the server write at once (a refresh blacklists and creates rows):
        # SQLite waits for its lock rather than failing at once.
        "OPTIONS": {"timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

JWT_AUTHENTICATION = (
    "dj_rest_auth.jwt_auth.JWTCookieAuthentication" if MODE == "dj-rest-auth"
    else "rest_framework_simplejwt.authentication.JWTAuthentication")
AUTHENTICATION_CLASSES = [JWT_AUTHENTICATION]
if AUTH_ORDER == "session-first":
    AUTHENTICATION_CLASSES.insert(0, "rest_framework.authentication.SessionAuthentication")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": AUTHENTICATION_CLASSES,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": ACCOUNTS.refresh_lifetime or timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

if MODE == "dj-rest-auth":
    # dj-rest-auth's JWT cookie mode; its cookies keep their default SameSite and Secure.
    REST_AUTH = {
        "USE_JWT": True,
        "JWT_AUTH_COOKIE": "app-auth",
        "JWT_AUTH_REFRESH_COOKIE": "app-refresh",
        "JWT_AUTH_HTTPONLY": True,
    }

CORS_ALLOWED_ORIGINS = [origin.strip()
                        for origin in os.environ.get("UPSTREAM_CORS_ORIGINS", "").split(",")
                        if origin.strip()]
CORS_ALLOW_CREDENTIALS = True

LOG_LEVEL = "INFO" if VERBOSE else "ERROR"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # The server's request lines (`"GET /api/job-list HTTP/1.1" 200 ...`).
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
