"""The project package: configuration from the environment, the home page, the Celery app."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, InterestGroupFactory, ResidentFactory, SessionFactory, VenueFactory

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'],"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'tz': s.TIME_ZONE,"
    "'lang': s.LANGUAGE_CODE, 'langs': [c for c, _ in s.LANGUAGES], 'debug': s.DEBUG}))"
)


def _settings_with(env: dict[str, str]) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="community_college.settings")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settings_embedded_default_needs_no_environment():
    s = _settings_with({})
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["cache"].endswith("LocMemCache")
    assert s["eager"] is True
    assert (s["tz"], s["lang"], s["langs"]) == ("Asia/Shanghai", "zh-hans", ["zh-hans", "en"])


def test_settings_database_and_redis_urls_switch_to_postgres_and_redis():
    s = _settings_with(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/cc", "REDIS_URL": "redis://cache.example:6379/0"}
    )
    # Django's PostgreSQL backend, with the cheaper health check of community_college/postgresql/base.py.
    assert s["engine"] == "community_college.postgresql"
    # Django's RedisCache, failing soft when Redis is unreachable (ops/cache.py).
    assert s["cache"] == "ops.cache.FailSoftRedisCache"
    assert (s["eager"], s["broker"]) == (False, "redis://cache.example:6379/0")


def test_settings_production_variables_pass_check_deploy():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-and-random-production-key-" + "x7Q!" * 12,
        DJANGO_ALLOWED_HOSTS="college.example.org",
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr


def test_settings_debug_without_secret_fails_check_deploy():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert out.returncode != 0


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 4])
def test_home_shows_figures_in_constant_queries(client, django_assert_num_queries, size):
    for _ in range(size):
        ResidentFactory()
        InterestGroupFactory()
        VenueFactory()
        SessionFactory(course=CourseFactory())
    # Queries: residents, orders, groups, venues, teachers, colleges, sessions aggregate.
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["figures"]["groups"] == size
    assert response.context["figures"]["venues"] == size * 2  # one per session plus the one created directly


@pytest.mark.django_db
def test_home_is_chinese_by_default_and_english_on_request(client):
    assert "社区学院" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Community College" in client.get("/").content.decode()


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_celery_app_is_configured_from_django_settings():
    from community_college.celery import app

    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    assert app.conf.broker_transport_options["visibility_timeout"] == 3600
