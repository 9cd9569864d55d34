"""Soak test: gunicorn + PostgreSQL + Redis + a Celery worker + beat under locust's mixed load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_soak REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/soak.py --minutes 10 --users 40

Seeds the database (street scale) if it is empty, makes API tokens for residents, staff and the
district office, starts the processes, runs bench/locustfile.py headless, and prints: requests, server
errors (5xx), throughput, p50/p95 per endpoint, and each process's memory (RSS of the process and its
children) at the start, every minute, and at the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "soak"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args: str, env: dict) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


TOKENS_SCRIPT = """
import json
from accounts.api.services import api_token_create
from accounts.enums import Role
from accounts.models import User
residents = User.objects.filter(is_active=True, is_staff=False, profile__isnull=False).order_by("id")[:200]
staff = User.objects.filter(is_active=True, roles__role=Role.COMMUNITY_STAFF).distinct().order_by("id")[:20]
district = User.objects.filter(is_active=True, roles__role=Role.DISTRICT_OFFICE).distinct().order_by("id")[:5]
out = {name: [api_token_create(user=u, name="soak")[1] for u in users]
       for name, users in (("residents", residents), ("staff", staff), ("district", district))}
print(json.dumps(out))
"""


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        # The child keeps its own copy of the descriptor.
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _rss_mb(pid: int) -> float:
    import psutil

    try:
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
    except psutil.Error:
        return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (and REDIS_URL)")
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_LOG_LEVEL": "WARNING", "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "NOTICES_SMS_FILE": str(OUT / "sms.log"), "SMS_BACKEND": "notices.backends.FileSMSBackend"}
    _manage("migrate", "--noinput", env=env)
    _manage("seed_demo", "--scale", "street", "--if-empty", "--no-logins", env=env)
    tokens = OUT / "tokens.json"
    tokens.write_text(_manage("shell", "-c", TOKENS_SCRIPT, env=env).strip().splitlines()[-1])

    port = _free_port()
    commands = {
        "web": [str(BIN / "gunicorn"), "community_college.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3"],
        "worker": [str(BIN / "celery"), "-A", "community_college", "worker", "-c", "2", "-l", "warning"],
        "beat": [str(BIN / "celery"), "-A", "community_college", "beat", "-l", "warning",
                 "--schedule", str(OUT / "celerybeat-schedule")],
    }
    processes = {name: _start(cmd, env, OUT / f"{name}.log") for name, cmd in commands.items()}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        memory = {name: [_rss_mb(p.pid)] for name, p in processes.items()}
        locust = _start(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(args.users),
             "-r", str(args.spawn_rate), "-t", f"{int(args.minutes * 60)}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(OUT / "locust"), "--only-summary"],
            {**env, "SOAK_TOKENS": str(tokens)},
            OUT / "locust.log",
        )
        while locust.poll() is None:
            time.sleep(min(60, args.minutes * 60 / 4))
            for name, p in processes.items():
                memory[name].append(_rss_mb(p.pid))
        for name, p in processes.items():
            memory[name].append(_rss_mb(p.pid))
    finally:
        for p in processes.values():
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    rows = _csv(OUT / "locust_stats.csv")
    failures = _csv(OUT / "locust_failures.csv")
    server_errors = sum(int(f["Occurrences"]) for f in failures if "HTTPError('5" in f["Error"] or " 5" in f["Error"][:30])
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"soak: {args.minutes:g} min, {args.users} users")
    print(f"requests {total['Request Count']}, failures {total['Failure Count']}, server errors (5xx) {server_errors}, "
          f"throughput {float(total['Requests/s']):.1f} req/s")
    print(f"{'endpoint':45} {'n':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for r in rows:
        if r["Name"] != "Aggregated":
            print(f"{r['Type'] + ' ' + r['Name']:45} {r['Request Count']:>7} {r['50%']:>7} {r['95%']:>7}")
    print("memory (MB, process and children) start → … → end:")
    for name, samples in memory.items():
        print(f"  {name:7} " + " → ".join(f"{m:.0f}" for m in samples))


if __name__ == "__main__":
    main()
