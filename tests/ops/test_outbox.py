"""The transactional outbox under the notices hooks: a message exists exactly when the change does, is
published on commit when the broker answers, waits when it does not, and the relay publishes it later."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction

from activities import registration_sql
from activities.services import registration_create
from notices import hooks
from notices.models import Notice
from ops import outbox
from ops.models import OutboxMessage
from tests.factories import CourseFactory, ResidentFactory

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _two_courses():
    first, second = CourseFactory(capacity=5), CourseFactory(capacity=5)
    return first, second, ResidentFactory(profile__community=first.community)


def test_a_rolled_back_change_leaves_no_message():
    course, _, resident = _two_courses()
    with pytest.raises(RuntimeError), transaction.atomic():
        registration_create(course=course, resident=resident)
        assert OutboxMessage.objects.count() == 1  # written in the change's own transaction
        raise RuntimeError("the caller fails after the hook")
    assert OutboxMessage.objects.count() == 0


def test_on_commit_the_task_runs_and_the_message_is_gone(django_capture_on_commit_callbacks):
    course, other, resident = _two_courses()
    registration_sql.published.take()  # ids earlier tests' registrations left waiting
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(course=course, resident=resident)
    assert list(Notice.objects.values_list("recipient_id", "object_key")) == [
        (resident.pk, f"registration:{registration.pk}")
    ]
    if connection.vendor == "postgresql":
        # The lean path (activities/registration_sql.py) leaves the published row to the process's next
        # registration statement instead of a round trip of its own.
        waiting = registration_sql.published.take()
        assert list(OutboxMessage.objects.values_list("pk", flat=True)) == waiting != []
        registration_sql.published.give_back(waiting)
        third = CourseFactory(community=course.community, capacity=5)
        with django_capture_on_commit_callbacks(execute=True):
            later = registration_create(course=third, resident=resident)
        assert not OutboxMessage.objects.filter(pk__in=waiting).exists()
        assert OutboxMessage.objects.get().args == [later.pk, "confirmed"]  # the later one's, in its turn
        OutboxMessage.objects.filter(pk__in=registration_sql.published.take()).delete()
    assert OutboxMessage.objects.count() == 0
    assert other.registrations.count() == 0


def test_broker_away_the_change_commits_and_the_message_waits(broker_at, django_capture_on_commit_callbacks):
    course, _, resident = _two_courses()
    broker_at(CLOSED_PORT_URL)
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(course=course, resident=resident)
    assert registration.pk is not None
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("notices.tasks.notify_registration", [registration.pk, "confirmed"])
    ]
    # The relay meets the same broker: the row stays, with a backoff and the reason.
    assert outbox.relay(grace=timedelta(0)) == 0
    row = OutboxMessage.objects.get()
    assert (row.attempts, row.last_error.split(":")[0]) == (1, "OperationalError"), row.last_error
    assert row.available_at > row.created


def test_the_relay_publishes_waiting_messages_once_the_broker_is_back(
    broker_at, spare_redis, django_capture_on_commit_callbacks
):
    course, other, resident = _two_courses()
    neighbour = ResidentFactory(profile__community=other.community)
    broker_at(CLOSED_PORT_URL)
    with django_capture_on_commit_callbacks(execute=True):
        registration_create(course=course, resident=resident)
        hooks.course_changed(other.pk, "changed")
    assert OutboxMessage.objects.count() == 2

    broker_at(spare_redis.url)
    outbox._note_broker(True)
    # Within the grace period the relay leaves messages to their fast path.
    assert outbox.relay(grace=timedelta(hours=1)) == 0
    published = outbox.relay(grace=timedelta(0))
    client = redis.Redis.from_url(spare_redis.url)
    # The two notices' tasks; a stray publisher on the spare port (another test's process that outlived
    # it, e.g. a beat's heartbeat) must not count as one of them.
    queued = [json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1)]
    client.close()
    queued = sorted(task for task in queued if task.startswith("notices."))
    assert (published, len(queued), OutboxMessage.objects.count()) == (2, 2, 0), queued
    assert neighbour.notices.count() == 0  # published, not run: no worker in this test


def test_enqueue_publishes_to_a_real_broker_on_commit(broker_at, spare_redis, django_capture_on_commit_callbacks):
    broker_at(spare_redis.url)
    outbox._note_broker(True)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue("ops.tasks.heartbeat")
    client = redis.Redis.from_url(spare_redis.url)
    assert client.llen("celery") == 1
    client.close()
    assert OutboxMessage.objects.count() == 0


def test_a_published_message_carries_its_tasks_own_ignore_result(broker_at, settings):
    # send_task by name does not know the task: without ignore_result it subscribed to the result's
    # channel of every notice (the matching's chords configure a result backend), for nothing.
    if not settings.REDIS_URL.startswith("redis://"):
        pytest.skip("needs REDIS_URL (the PostgreSQL run's Redis database)")
    broker_at(settings.REDIS_URL)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("celery")
    try:
        outbox.publish(outbox.MessageData(0, "notices.tasks.notify_registration", [1, "confirmed"], {}, {}))
        # The chord's body keeps its result: a worker must still store it.
        outbox.publish(outbox.MessageData(0, "activities.tasks.match_gather", [[], {}], {}, {}))
        sent = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    finally:
        client.delete("celery")
        client.close()
    assert [(m["headers"]["task"], m["headers"]["ignore_result"]) for m in sent] == [
        ("notices.tasks.notify_registration", True),
        ("activities.tasks.match_gather", False),
    ]


def _queued(url: str) -> list[dict]:
    client = redis.Redis.from_url(url)
    try:
        return [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    finally:
        client.close()


def test_a_thread_keeps_its_producer_and_connects_afresh_after_a_broker_restart(broker_at, spare_redis):
    broker_at(spare_redis.url)
    outbox._drop_thread_producer()
    message = outbox.MessageData(0, "notices.tasks.notify_registration", [1, "confirmed"], {}, {})
    outbox.publish(message, in_process=False)
    producer = outbox._producers.held[1]
    outbox.publish(message, in_process=False)
    assert outbox._producers.held[1] is producer  # one producer, one connection, for the thread's publishes
    # The broker restarts: its clients' connections are gone. A publish on the old connection may fail (the
    # outbox keeps its row for the relay); the thread's next publish connects afresh.
    client = redis.Redis.from_url(spare_redis.url)
    client.client_kill_filter(_type="normal", skipme=True)
    client.close()
    with contextlib.suppress(Exception):
        outbox.publish(message, in_process=False)
    outbox.publish(message, in_process=False)
    assert outbox._producers.held[1] is not producer or len(_queued(spare_redis.url)) == 4
    assert len(_queued(spare_redis.url)) in (3, 4)
    # Another broker (a change of settings) gets another producer.
    broker_at(CLOSED_PORT_URL)
    with pytest.raises(Exception):  # noqa: B017 — kombu's OperationalError or redis' ConnectionError
        outbox.publish(message, in_process=False)
    assert outbox._producers.held is None


def test_a_published_message_names_its_arguments_as_celery_would(broker_at, spare_redis):
    from celery.utils.saferepr import saferepr

    broker_at(spare_redis.url)
    sent = [
        ([7, "confirmed"], {}),
        ([7, "cancelled", "2026-12-07T10:00:00+08:00"], {"why": "term over"}),
        (["it's", "a\nb", "back\\slash"], {}),  # quotes, control characters: Celery's saferepr writes these
        ([[1, 2], None, 1.5, True], {"ids": [3]}),
        (list(range(300)), {}),  # long: saferepr cuts it
    ]
    for args, kwargs in sent:
        outbox.publish(outbox.MessageData(0, "ops.tasks.heartbeat", args, kwargs, {}), in_process=False)
    headers = [m["headers"] for m in _queued(spare_redis.url)]
    assert [(h["argsrepr"], h["kwargsrepr"]) for h in headers] == [
        (saferepr(args, 1024), saferepr(kwargs, 1024)) for args, kwargs in sent
    ]


def test_lag_is_the_age_of_the_oldest_waiting_message():
    from django.utils import timezone

    assert outbox.lag_seconds() == 0.0
    OutboxMessage.objects.create(task_name="ops.tasks.heartbeat", created=timezone.now() - timedelta(minutes=10))
    OutboxMessage.objects.create(task_name="ops.tasks.heartbeat", created=timezone.now() - timedelta(minutes=1))
    assert 599 <= outbox.lag_seconds() < 700
