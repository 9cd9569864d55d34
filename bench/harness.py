"""What the load benchmarks share: the gunicorn server they start, the keep-alive clients that fire at it, and
the figures of a phase (bench/booking.py, bench/checkin.py, bench/recognition.py).

The server is the portal as in production (`bench.bare_urls:application`: the portal's URLs plus the bare view
of bench/booking.py, DEBUG off, the portal's middleware) on the loopback; the clients are threads of this
process, each on its own keep-alive connection, taking the next request from one shared list.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def require_gunicorn() -> None:
    if importlib.util.find_spec("gunicorn") is None:
        sys.exit(
            f"{Path(sys.argv[0]).name} needs gunicorn, which serves the portal as in production.\n"
            "Install it into the virtualenv:  .venv/bin/pip install 'gunicorn>=23'\n"
            "(it belongs in the [dev] extras of pyproject.toml)."
        )


def server_env(database_url: str) -> dict[str, str]:
    """The server's environment: this one, on `database_url`, production-like, with a fresh secret key."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="community_college.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on the loopback: no redirect to https.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="WARNING",
        # As community_college/wsgi.py sets it for gunicorn: the web statement and lock timeouts.
        DJANGO_WEB_PROCESS="1",
        # WhiteNoise scans STATIC_ROOT at start-up; the benchmarks serve no static files.
        DJANGO_STATIC_ROOT=tempfile.mkdtemp(prefix="cc-bench-static-"),
    )
    return env


def start_gunicorn(*, port: int, workers: int, threads: int, env: dict[str, str]) -> subprocess.Popen:
    """Start gunicorn in its own process group and wait (60 s at most) until it answers /healthz."""
    cmd = [
        sys.executable, "-m", "gunicorn", "bench.bare_urls:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread" if threads > 1 else "sync",
        "--backlog", "2048",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop(server)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its workers (its process group only)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


@dataclass
class Phase:
    """The requests of one phase: latencies of those answered as expected, the failures, the wall time, and
    how many got each expected answer (when a phase expects more than one kind)."""

    name: str
    latencies: list[float]
    failures: list[str]
    seconds: float
    answers: Counter = field(default_factory=Counter)

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def per_minute(self) -> float:
        return self.completed / self.seconds * 60 if self.seconds else 0.0

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @classmethod
    def combine(cls, name: str, rounds: list[Phase]) -> Phase:
        return cls(
            name,
            [x for r in rounds for x in r.latencies],
            [x for r in rounds for x in r.failures],
            sum(r.seconds for r in rounds),
            sum((r.answers for r in rounds), Counter()),
        )

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


# A request: (method, path, headers, body). Built when it leaves, so it can carry what is current then.
Request = tuple[str, str, dict[str, str], bytes]


def fire(
    name: str,
    *,
    port: int,
    clients: int,
    count: int,
    request: Callable[[int], Request],
    judge: Callable[[int, bytes], str],
    spread: float = 0.0,
) -> Phase:
    """Send requests 0..count-1 once each from `clients` keep-alive connections and time each one.

    `request(i)` builds the i-th request as it leaves; `judge(status, body)` names the answer ("" when it is
    not one of those expected: a failure). With `spread` seconds, request i waits until i/count of the spread
    has passed, as people arriving over a while; otherwise they all come at once."""
    lock = threading.Lock()
    cursor = iter(range(count))
    latencies: list[float] = []
    failures: list[str] = []
    answers: Counter = Counter()
    start_line = threading.Barrier(clients + 1)
    began_at: list[float] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start_line.wait()
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            if spread:
                wait = began_at[0] + spread * i / count - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            method, path, headers, body = request(i)
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                content = response.read()
                answer = judge(response.status, content)
                problem = "" if answer else f"{response.status} {content[:160]!r}"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                answer, problem = "", repr(exc)
            elapsed = time.perf_counter() - began
            with lock:
                if problem:
                    failures.append(problem)
                else:
                    latencies.append(elapsed)
                    answers[answer] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    began_at.append(time.perf_counter())
    start_line.wait()
    for t in threads:
        t.join()
    return Phase(name, latencies, failures, time.perf_counter() - began_at[0], answers)
