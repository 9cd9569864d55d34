"""A real Celery worker (prefork, two processes) on the real Redis and the test PostgreSQL database is
killed with SIGKILL in the middle of a batch of 300 SMS deliveries and started again; every delivery
reaches the (file) gateway exactly once.

What recovers the batch: messages still in the queue go to the new worker; the deliveries of the messages
the dead worker had taken (unacknowledged, back only after the 3600 s visibility timeout) are found by the
sweeper — pending ones at once, claimed ones after the lease — and the gateway is asked (`lookup`) before
anything claimed by the dead worker is sent again.

Skipped on SQLite and when Redis does not answer. Uses Redis database 14, flushed before and after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, Notice
from tests.factories import CommunityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]

DELIVERIES = 300
CHUNK = 10
LEASE_SECONDS = 3


def _redis_url() -> str:
    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit((base.scheme, base.netloc, "/14", "", ""))


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


class Worker:
    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [str(celery), "-A", "community_college", "worker", "--concurrency", "2", "-P", "prefork"]
        command += ["-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        command += ["-n", f"notices-it-{os.getpid()}-{time.monotonic_ns()}@%h"]
        with self.log.open("ab") as log:
            # Its own process group, so the kill takes the pool's children too, as a crashed machine would.
            self.proc = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _at_gateway_not_recorded(sms_file: Path) -> bool:
    lines = _lines(sms_file)
    if len(lines) < 60:
        return False
    sending = list(Delivery.objects.filter(status=DeliveryStatus.SENDING).select_related("notice"))
    written = {line.split("\t")[0] for line in lines}
    # Past two thirds of the batch, any claimed delivery will do: the kill must land mid-batch.
    return any(d.key in written for d in sending) or (len(lines) >= 200 and bool(sending))


def _wait(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(
        f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:] if log.exists() else ''}"
    )


@pytest.fixture
def redis_db():
    import redis

    url = _redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"needs Redis at {url}: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _make_deliveries(n: int) -> list[Delivery]:
    from accounts.models import User
    from interests.models import ResidentProfile

    community = CommunityFactory()
    users = User.objects.bulk_create(
        [User(phone=f"137{i:08d}", name=f"居民{i}", language="zh-hans") for i in range(n)]
    )
    ResidentProfile.objects.bulk_create(
        [ResidentProfile(user=u, community=community, consent_sms=True) for u in users]
    )
    now = timezone.now()
    notices = Notice.objects.bulk_create(
        [
            Notice(
                recipient=u,
                purpose=Purpose.REMINDER_2H,
                object_key="session:1@0",
                language="zh-hans",
                title="提醒",
                body="正文",
                sms_text=f"短信{u.pk}",
            )
            for u in users
        ]
    )
    return Delivery.objects.bulk_create(
        [Delivery(notice=n, channel="sms", not_before=now, queued_at=now) for n in notices]
    )


def test_worker_killed_mid_batch_delivers_every_notice_exactly_once(redis_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker must share the test database (set DATABASE_URL)")
    from celery import Celery

    sms_file = tmp_path / "sms.txt"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_db,
        "CELERY_BROKER_URL": redis_db,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SMS_BACKEND": "notices.backends.FileSMSBackend",
        "NOTICES_SMS_FILE": str(sms_file),
        "NOTICES_FILE_SMS_DELAY": "0.02",
        "NOTICES_LEASE_SECONDS": str(LEASE_SECONDS),
        "NOTICES_SWEEP_GRACE_SECONDS": "0",
        "NOTICES_QUIET_HOURS": "off",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    deliveries = _make_deliveries(DELIVERIES)
    keys = {d.key for d in Delivery.objects.select_related("notice")}
    assert len(keys) == DELIVERIES

    sender = Celery("notices-it", broker=redis_db, set_as_current=False)
    sender.conf.task_serializer = "json"
    ids = [d.pk for d in deliveries]
    for start in range(0, len(ids), CHUNK):
        sender.send_task("notices.tasks.deliver", args=[ids[start : start + CHUNK]])

    worker = Worker(env, log)
    try:
        worker.start()
        # Kill at the worst moment: a claimed delivery whose message the gateway already has, before the
        # worker records it as sent (the file backend waits half its delay after writing).
        _wait(
            lambda: _at_gateway_not_recorded(sms_file),
            60,
            "a delivery caught between gateway and record",
            log,
        )
        worker.kill()
        sent_before_kill = len(_lines(sms_file))
        assert sent_before_kill < DELIVERIES, "the worker finished before it could be killed mid-batch"
        assert Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()

        worker.start()
        # What the queue still held; then, once the dead worker's leases have run out, the sweeper.
        time.sleep(LEASE_SECONDS + 1)
        sender.send_task("notices.tasks.sweep")
        _wait(
            lambda: not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists(),
            90,
            "every delivery to be sent",
            log,
        )
        time.sleep(1)  # a late duplicate, if there were one, would land now
    finally:
        worker.kill(signal.SIGTERM)
        sender.close()

    counts = Counter(line.split("\t")[0] for line in _lines(sms_file))
    duplicates = {key: n for key, n in counts.items() if n > 1}
    assert duplicates == {}
    assert set(counts) == keys
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == DELIVERIES
