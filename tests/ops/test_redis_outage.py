"""Redis is not a single point of failure: the portal (gunicorn, DEBUG off) keeps answering with Redis
stopped, registrations made meanwhile are saved and answered 201, their notices wait in the outbox, and
once Redis is back a worker delivers every notice exactly once — even when the relay publishes twice.

A redis-server of the test's own on a spare port is stopped and started again (empty, as after a crash).
PostgreSQL only: gunicorn and the worker share the test database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from accounts.api.services import api_token_create
from activities.enums import RegistrationStatus
from activities.models import Registration
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, Notice
from ops.models import OutboxMessage
from tests.factories import (
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    SessionFactory,
    WeeklySlotFactory,
)

from .conftest import ROOT, celery_worker, free_port, gunicorn, portal_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]

HOST = "127.0.0.1"


def _call(port: int, method: str, path: str, token: str | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method)
    request.add_header("Host", "127.0.0.1")
    request.add_header("Accept-Language", "en")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def test_registrations_while_redis_is_down_are_saved_and_notified_exactly_once(spare_redis, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: gunicorn and the worker share the test database (set DATABASE_URL)")
    slot = WeeklySlotFactory()
    home, other = CommunityFactory(), CommunityFactory()
    courses = [CourseFactory(community=home, capacity=10, slot=slot), CourseFactory(community=other, capacity=10, slot=slot)]
    for course in courses:
        SessionFactory(course=course)
    untouched = CourseFactory(community=home, capacity=10, slot=slot)
    residents = [
        ResidentFactory(phone=f"1391234{i:04d}", profile__community=course.community, profile__consent_sms=True)
        for i, course in enumerate(courses * 2)
    ]
    tokens = [api_token_create(user=resident, name="ops test")[1] for resident in residents]

    sms_file = tmp_path / "sms.txt"
    env = portal_env(
        spare_redis.url,
        SMS_BACKEND="notices.backends.FileSMSBackend",
        NOTICES_SMS_FILE=str(sms_file),
        OUTBOX_GRACE_SECONDS="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    port = free_port()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = gunicorn(env, web_log, port).start()
    worker = celery_worker({**env, "DJANGO_LOG_LEVEL": "INFO"}, worker_log, level="info")
    try:
        wait_for(lambda: _call(port, "GET", "/healthz")[0] == 200 if _alive(port) else False, 60, "gunicorn", web_log)

        # A worker that is running when Redis goes away must reconnect by itself.
        worker.start()
        # Settled: its start-up relay (the worker_ready hook) has run.
        wait_for(
            lambda: "ops.tasks.relay_outbox" in worker_log.read_text() and "succeeded" in worker_log.read_text(),
            60,
            "the worker's start-up relay",
            worker_log,
        )
        time.sleep(1)
        spare_redis.stop()
        answers = [
            _call(port, "POST", f"/api/v1/courses/{course.pk}/register/", token)
            for course, token in zip(courses * 2, tokens, strict=True)
        ]
        assert [(status, body["status"]) for status, body in answers] == [(201, "confirmed")] * 4, web_log.read_text()[-3000:]
        # Publishing tried the broker once and left the notice in the outbox; it never waited on the result
        # backend (also Redis), whose retries held each request ~20 s (ops/outbox.py passes ignore_result).
        assert "celery.backends" not in web_log.read_text(), web_log.read_text()[-3000:]
        assert _call(port, "GET", "/")[0] == 200
        assert _call(port, "GET", "/healthz") == (200, {"status": "ok"})
        ready_status, ready = _call(port, "GET", "/readyz")
        assert ready_status == 503
        assert {name for name, check in ready["checks"].items() if not check["ok"]} >= {"cache", "broker", "worker"}

        # Saved, and the notices wait in the outbox: none is lost, none has gone out.
        assert Registration.objects.filter(status=RegistrationStatus.CONFIRMED).count() == 4
        assert not Registration.objects.filter(course=untouched).exists()
        waiting = list(OutboxMessage.objects.values_list("task_name", "args"))
        assert sorted(waiting) == sorted(
            ("notices.tasks.notify_registration", [body["id"], "confirmed"]) for _, body in answers
        )
        assert Notice.objects.count() == 0

        spare_redis.start()
        # What beat does every OUTBOX_RELAY_SECONDS (and a starting worker does once).
        relay = subprocess.run(
            [sys.executable, "manage.py", "outbox_relay", "--all"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert relay.stdout.strip() == "published 4", relay.stderr[-2000:]
        wait_for(lambda: not OutboxMessage.objects.exists(), 60, "the outbox to drain", worker_log)
        wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4, 60, "4 SMS sent", worker_log
        )

        # The relay publishing again (a crash between publish and delete) changes nothing.
        from celery import Celery

        sender = Celery("ops-it", broker=spare_redis.url, set_as_current=False)
        for _, body in answers:
            sender.send_task("notices.tasks.notify_registration", args=[body["id"], "confirmed"])
        sender.close()
        wait_for(lambda: _queue_empty(spare_redis.url), 30, "the repeats to be consumed", worker_log)
    finally:
        worker.stop()
        web.stop()

    notices = Notice.objects.filter(purpose=Purpose.REGISTRATION_CONFIRMED)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted(r.pk for r in residents)
    assert Notice.objects.count() == 4
    lines = Path(sms_file).read_text().splitlines()
    assert Counter(line.split("\t")[0] for line in lines) == Counter(
        {d.key: 1 for d in Delivery.objects.select_related("notice")}
    )


def _alive(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def _queue_empty(url: str) -> bool:
    import time

    import redis

    client = redis.Redis.from_url(url)
    try:
        empty = client.llen("celery") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()
    if empty:
        time.sleep(1)  # the repeats the worker took are being run; let them finish
    return empty

