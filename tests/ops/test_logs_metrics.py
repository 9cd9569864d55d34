"""Logs are JSON lines with the request id, which follows the request into the tasks it enqueues; no
phone number or sign-in code reaches any log line; metrics are served to the monitoring network only."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from ops.logs import JsonLines, redact
from ops.models import OutboxMessage
from tests.factories import CourseFactory, ResidentFactory, SessionFactory, WeeklySlotFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def captured_logs():
    """Every record, at DEBUG, through the portal's own console handler (filters and JSON formatter)."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h, logging.StreamHandler) and h.filters)
    buffer = io.StringIO()
    previous_stream, previous_formatter, previous_level = handler.stream, handler.formatter, root.level
    handler.setStream(buffer)
    handler.setFormatter(JsonLines())
    root.setLevel(logging.DEBUG)
    yield buffer
    handler.setStream(previous_stream)
    handler.setFormatter(previous_formatter)
    root.setLevel(previous_level)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_sign_in_journey_logs_no_phone_number_and_no_code(captured_logs, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSMSBackend"  # the one that writes texts to the log
    slot = WeeklySlotFactory()
    courses = [CourseFactory(capacity=5, slot=slot), CourseFactory(capacity=5, slot=slot)]
    for course in courses:
        SessionFactory(course=course)
    resident = ResidentFactory(phone=PHONE, profile__community=courses[0].community, profile__consent_sms=True)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    from accounts import codes

    sent_code = codes.make_code()
    with django_capture_on_commit_callbacks(execute=True):
        codes.sign_in_code_send(phone=PHONE, code=sent_code)
        wrong = client.post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": "000000"}, format="json")
        # A wrong code is a failed sign-in: 401, counted by axes in the database.
        signed_in = client.post("/api/v1/auth/tokens/sms/", {"phone": PHONE, "code": sent_code}, format="json")
        assert (wrong.status_code, signed_in.status_code) == (401, 201)
        client.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['secret']}")
        registered = client.post(f"/api/v1/courses/{courses[0].pk}/register/")
        assert registered.status_code == 201
    text = captured_logs.getvalue()
    assert "SMS to" in text  # the console backend did log the texts…
    assert PHONE not in text and PHONE[-8:] not in text  # …but not the number
    assert sent_code not in text  # …nor the code
    assert resident.notices.count() == 1
    assert courses[1].registrations.count() == 0


def test_redact_masks_numbers_and_codes_but_not_ordinary_figures():
    assert redact("SMS to 13912345678: your code is 482913") == "SMS to [phone]: your code is [digits]"
    assert redact("call +86 139 1234 5678 now") == "call [phone] now"
    assert redact("registered 12 residents in 250 ms for course 48291") == (
        "registered 12 residents in 250 ms for course 48291"
    )


def test_the_request_id_follows_the_request_into_its_task(client, captured_logs, django_capture_on_commit_callbacks, broker_at):
    course = CourseFactory(capacity=5, slot=WeeklySlotFactory())
    resident = ResidentFactory(profile__community=course.community)
    client.force_login(resident)
    broker_at("redis://127.0.0.1:1/0")  # the broker is away: the message keeps its headers in the outbox
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/courses/{course.pk}/register/", HTTP_X_REQUEST_ID="edge-proxy-0001")
    assert response["X-Request-ID"] == "edge-proxy-0001"
    assert OutboxMessage.objects.get().headers == {"request_id": "edge-proxy-0001"}

    # In the worker, the header becomes the task's log context.
    from ops.tasks import heartbeat

    heartbeat.apply(headers={"request_id": "edge-proxy-0001"})
    task_line = next(line for line in _lines(captured_logs) if line["message"] == "heartbeat recorded")
    assert (task_line["request_id"], task_line["task_name"]) == ("edge-proxy-0001", "ops.tasks.heartbeat"), task_line


def test_a_request_id_that_is_not_an_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected\nline')
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_metrics_are_served_to_the_monitoring_network_only(client):
    from ops.metrics import SMS

    SMS.labels(outcome="sent").inc(0)
    client.get("/healthz")
    response = client.get("/metrics")
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("django_http_requests_total_by_method_total", "cc_outbox_lag_seconds", "cc_outbox_pending",
                 "cc_sms_total", "cc_celery_tasks_total"):
        assert name in body, name
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 404
