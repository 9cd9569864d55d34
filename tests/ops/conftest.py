"""Real services for the fault tests: a redis-server of the test's own on a spare port (6390–6399), which
the test stops and starts again, and helpers to run the portal's processes against the test database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServer:
    """A throwaway redis-server: no persistence, so a restart starts empty, as after a crash."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir = port, workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break  # exited: the port was taken
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def spare_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    # Parallel test processes may race for a port: whoever fails to bind moves on to the next one.
    for port in (p for p in range(6390, 6400) if _port_free(p)):
        server = RedisServer(port, tmp_path)
        try:
            server.start()
        except RuntimeError:
            server.stop()
            continue
        break
    else:
        pytest.skip("no spare port in 6390-6399")
    yield server
    server.stop()


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def portal_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a web or worker process on the test database and the given Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "REDIS_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="community_college.settings",
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        NOTICES_QUIET_HOURS="off",
        DJANGO_LOG_LEVEL="WARNING",
        AXES_ENABLED="0",
    )
    env.update(extra)
    return env


def wait_for(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text()[-4000:] if log is not None and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


class Process:
    """A portal process (gunicorn, a Celery worker) in its own process group, killed with it."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.command, self.env, self.log = command, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def stop(self) -> None:
        import signal

        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def gunicorn(env: dict, log: Path, port: int) -> Process:
    return Process(
        [str(BIN / "gunicorn"), "community_college.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "60"],
        env,
        log,
    )


def celery_worker(env: dict, log: Path, level: str = "warning") -> Process:
    return Process(
        [str(BIN / "celery"), "-A", "community_college", "worker", "--concurrency", "2", "-P", "prefork",
         "-l", level, "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"ops-it-{os.getpid()}-{time.monotonic_ns()}@%h"],
        env,
        log,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_at(settings):
    """Point the in-process Celery app at a broker URL (a real Redis, or a closed port) for one test."""
    from community_college.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager

    def _reset():
        from kombu import pools

        # Kombu keeps producer pools per connection URL, process-wide: start from none.
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    def point(url: str) -> None:
        app.conf.task_always_eager = False
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        app.conf.broker_transport = "ops.broker:Transport"
        _reset()

    yield point
    app.conf.broker_url, app.conf.task_always_eager = saved
    _reset()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test points the app at a broker (`broker_at`), also when REDIS_URL is
    set for the PostgreSQL run."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
