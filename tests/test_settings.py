"""Settings from the environment: the embedded default, the services, and production's refusals.
Each case starts a fresh `manage.py` process, because settings are read once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "x7Qp9vZr2Lm5Nw8Ty4Bc6Hd1Jf0Gs3Ak" * 2
SETTINGS_VARS = (
    "DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER", "DATA_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip


def manage(*args, tmp_path, **env_vars):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env["DATA_DIR"] = str(tmp_path)
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def show(tmp_path, expression, **env_vars):
    code = f"from django.conf import settings as s; print(repr({expression}))"
    result = manage("shell", "-c", code, tmp_path=tmp_path, **env_vars)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_embedded_default_needs_no_variable(tmp_path):
    expr = (
        "(s.DEBUG, s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME']), "
        "s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'], s.SECRET_KEY[:16])"
    )
    debug, engine, name, eager, cache, key = eval(show(tmp_path, expr))  # noqa: S307 — our own repr
    assert debug is True
    assert engine == "django.db.backends.sqlite3" and name == str(tmp_path / "db.sqlite3")
    assert eager is True
    assert cache.endswith("LocMemCache")
    # A development secret is generated once and kept.
    stored = (tmp_path / "secret_key").read_text()
    assert stored.startswith(key) and len(stored) > 50
    assert show(tmp_path, "s.SECRET_KEY") == repr(stored)


def test_services_come_from_database_url_and_redis_url(tmp_path):
    expr = (
        "(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])"
    )
    values = eval(  # noqa: S307 — our own repr
        show(
            tmp_path,
            expr,
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/appdb",
            REDIS_URL="redis://127.0.0.1:6379/3",
        )
    )
    assert values == (
        "django.db.backends.postgresql",
        "appdb",
        "redis://127.0.0.1:6379/3",
        "redis://127.0.0.1:6379/3",
        False,
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/3",
    )


@pytest.mark.parametrize(
    ("env_vars", "message"),
    [
        ({"ALLOWED_HOSTS": "jx.example.com"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "jx.example.com"}, "SECRET_KEY"),
        (
            {
                "SECRET_KEY": "django-insecure-" + "a1b2c3d4e5" * 6,
                "ALLOWED_HOSTS": "jx.example.com",
            },
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": STRONG_KEY}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "jx.example.com", "DEBUG": "true"}, "DEBUG"),
    ],
    ids=["no-key", "short-key", "insecure-key", "no-hosts", "wildcard-host", "debug-on"],
)
def test_production_refuses_insecure_settings(tmp_path, env_vars, message):
    result = manage("check", tmp_path=tmp_path, DJANGO_ENV="production", **env_vars)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_unknown_environment_name_is_refused(tmp_path):
    result = manage("check", tmp_path=tmp_path, DJANGO_ENV="prod")
    assert result.returncode != 0 and "DJANGO_ENV" in result.stderr


def test_production_passes_check_deploy_without_warnings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="jx.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not (tmp_path / "secret_key").exists()  # production never generates a key


def test_development_check_deploy_does_warn(tmp_path):
    """The deploy check is a real check: the development settings fail it."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "jx.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_login_and_cookie_settings(tmp_path):
    expression = (
        "(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
        "s.AXES_ENABLED, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.seconds, "
        "s.AUTH_PASSWORD_VALIDATORS[1]['OPTIONS']['min_length'], "
        "s.MIDDLEWARE[-1], 'script-src \\'self\\'' in s.CONTENT_SECURITY_POLICY)"
    )
    assert show(tmp_path, expression, **PRODUCTION) == (
        "(True, True, True, True, 'Lax', True, True, 5, 900, 10, "
        "'axes.middleware.AxesMiddleware', True)"
    )
    limits = "(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.seconds, s.UPLOAD_MAX_BYTES)"
    tuned = {"LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "60", "UPLOAD_MAX_BYTES": "1000"}
    assert show(tmp_path, limits, **PRODUCTION, **tuned) == "(3, 3600, 1000)"


def test_a_lockout_of_zero_is_refused(tmp_path):
    result = manage("check", tmp_path=tmp_path, LOGIN_FAILURE_LIMIT="0")
    assert result.returncode != 0 and "LOGIN_FAILURE_LIMIT" in result.stderr
