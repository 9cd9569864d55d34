"""Profile one registration path in-process with cProfile: where a request's CPU goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/profile_register.py \
        [--path api|portal] [--requests 300] [--top 25]

With py-spy (the [dev] extras), for a sampling profile of the same requests that cProfile does not distort:

    py-spy record --gil -r 250 -f raw -o api.txt -- .venv/bin/python bench/profile_register.py --path api --no-cprofile

Sets up signed-in residents and a class as bench/booking.py does, warms up on another class, then sends
`--requests` registrations through Django's WSGI handler with the production middleware (DEBUG off, no
network, one thread): the first half without a profiler, printing the CPU time per request of this process
and of its PostgreSQL backend (from /proc: figures that do not depend on what else the machine runs), the
second half under cProfile timed by this process's CPU clock (`--wall` for wall time), printing the functions
with the most cumulative and own time, the mean time per request, and the queries per request. Deletes what
it created.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

# BENCH_ROOT: profile another checkout (e.g. main, for a before/after pair) with this script.
ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parent.parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", choices=["api", "portal"], default="api")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    # Under py-spy, cProfile's own cost would be sampled with the requests.
    parser.add_argument("--no-cprofile", action="store_true", help="send the requests without cProfile")
    # On a shared machine wall time measures the neighbours: profile this process's CPU time instead.
    # Under `valgrind --tool=callgrind --instr-atstart=no`: instructions counted for the unprofiled half only,
    # a figure that does not move with the machine's load (wall and CPU time do).
    parser.add_argument("--callgrind", action="store_true", help="count instructions of the unprofiled half")
    parser.add_argument("--save", metavar="FILE", help="also write the profile for pstats or snakeviz")
    parser.add_argument("--wall", action="store_true", help="profile wall time, not this process's CPU time")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database")
    sys.path.insert(0, str(ROOT))
    # From ROOT too: an import that looks in the working directory would otherwise find this checkout's modules.
    os.chdir(ROOT)
    from bench import booking, harness

    env = harness.server_env(database_url)
    env["DJANGO_WEB_PROCESS"] = "1"
    os.environ.update(env)
    import django

    django.setup()
    from importlib import import_module

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # BENCH_APP=bench.bare_urls: the application bench/booking.py serves (the same chains, its URLs).
    wsgi = import_module(os.environ.get("BENCH_APP", "community_college.wsgi"))

    fx = booking._setup(residents=2 * args.requests + 50, places=5)
    application = getattr(wsgi, "application", None) or WSGIHandler()

    built: dict[tuple[str, int], list] = {}

    def request(kind: str, course_id: int, i: int) -> None:
        # Built once per class: building the list again for every request would be profiled with it.
        if (kind, course_id) not in built:
            build = booking._api_requests if kind == "api" else booking._portal_requests
            built[kind, course_id] = build(fx, course_id)
        path, headers = built[kind, course_id][i]
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": "0",
            "REMOTE_ADDR": "127.0.0.1",
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}"] = value
        status = []
        body = b"".join(application(environ, lambda s, h, exc_info=None: status.append(s)))
        if not status or not status[0].startswith(("200", "201")):
            raise SystemExit(f"{path}: {status} {body[:300]!r}")

    try:
        for i in range(50):
            request(args.path, fx.warmup_course_id, args.requests + i)
        course_id = fx.api_course_id if args.path == "api" else fx.portal_course_id
        # First without the profiler (nor the query log): this process's and its PostgreSQL backend's CPU.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        if args.callgrind:
            subprocess.run(
                ["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True
            )
        db_before, app_before = _backend_cpu(backend), time.process_time()
        half = args.requests // 2
        for i in range(half):
            request(args.path, course_id, i)
        app_cpu, db_after = time.process_time() - app_before, _backend_cpu(backend)
        if args.callgrind:
            subprocess.run(
                ["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True
            )
        # The connection is replaced after DATABASE_CONN_MAX_AGE: its backend's figure is then lost.
        backend_ms = (
            f"{(db_after - db_before) / half * 1000:.2f} ms" if db_after is not None else "n/a (reconnected)"
        )
        print(
            f"{args.path}: {half} requests unprofiled, CPU per request: this process {app_cpu / half * 1000:.2f} ms,"
            f" its PostgreSQL backend {backend_ms}"
        )
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            profiler = cProfile.Profile(time.perf_counter if args.wall else time.process_time)
            began = time.perf_counter()
            if not args.no_cprofile:
                profiler.enable()
            for i in range(half, args.requests):
                request(args.path, course_id, i)
            profiler.disable()
            elapsed = time.perf_counter() - began
        print(
            f"{args.path}: {args.requests - half} requests, {elapsed / (args.requests - half) * 1000:.2f} ms each"
            f" (wall) under the profiler, {len(queries) / (args.requests - half):.1f} queries each"
        )
        if args.save and not args.no_cprofile:
            profiler.dump_stats(args.save)
        for order in ("cumulative", "tottime") if not args.no_cprofile else ():
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            print(out.getvalue())
    finally:
        connection.close()
        booking._teardown(fx)
        from django.conf import settings

        if not settings.CELERY_TASK_ALWAYS_EAGER:
            # The notice tasks the run queued: no worker is meant to deliver them (as bench/booking.py).
            from community_college.celery import app

            app.control.purge()
    return 0


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine, from /proc (None once it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
