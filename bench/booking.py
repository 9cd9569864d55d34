"""Benchmark: a rush of residents registering for one popular class, through gunicorn, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        .venv/bin/python bench/booking.py [--residents 3000] [--clients 32] [--places 5] [--workers 4] [--threads 6] [--rounds 4]

What it does, in one run:

1. migrates the database and creates a class with a few places, its twin for the bare view, and
   `--residents` residents, each already signed in (a session row written with SessionStore's encoding,
   as `Client.force_login` does), so sign-in is not part of what is measured;
2. starts gunicorn serving the portal (`bench.bare_urls:application`: the portal's URLs plus one bare view,
   DEBUG off, the portal's middleware) and waits for /healthz;
3. phase "raw" (the true limit): the same workers answer `/bench/raw/…` outside Django's request handling
   (no middleware, no URL resolution, no ORM): one conditional UPDATE and one INSERT in one transaction;
4. phase "api": every resident POSTs `/api/v1/courses/<id>/register/` with an API token of its own
   (`Authorization: Token …`), as the app does;
5. phase "portal": every resident POSTs its registration to `activities:register` as htmx does
   (HX-Request, the CSRF header), and gets the status block back;
   the three phases take turns in rounds, so that whatever else runs on the machine weighs on all alike;
6. prints, per phase, requests per second, p50/p95/p99 latency, the ratio to the raw phase, the CPU time
   per request of the gunicorn processes and of the PostgreSQL backends (from /proc: on a machine shared
   with other work, the figure that does not depend on what else runs), and oversold places, lost and
   duplicated registrations and failed requests (all must be 0);
7. deletes what it created (unless --keep).

Notices: each registration's notice task is published on commit through the outbox. Without a broker in the
environment (no REDIS_URL / CELERY_BROKER_URL) Celery runs tasks eagerly, so the notice is rendered and
stored inside the request, and its cost counts in the API's and portal's figures; with one
(`REDIS_URL=redis://127.0.0.1:6379/<db>`, as deployed) the request only publishes it, no worker runs during
the bench and the tasks it queued are purged at the end. The run prints which it was. The issue's aims are
for the deployed shape (with a broker); without one, the figures include a worker's work.

Exit status 1 when a place was oversold, a registration was lost or duplicated or a request failed.
Timings come from this machine; the clients share its cores with gunicorn and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Phase, fire, require_gunicorn, server_env, start_gunicorn, stop  # noqa: E402

# --- data ----------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    run: str
    portal_course_id: int
    bare_course_id: int
    api_course_id: int
    warmup_course_id: int
    resident_ids: list[int]
    session_keys: list[str]
    token_secrets: list[str]
    csrf_secret: str
    created: dict = field(default_factory=dict)


def _setup(*, residents: int, places: int) -> Fixture:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as DjangoSession
    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.api.authentication import digest_of
    from accounts.models import ApiToken, Community, District, Street, User
    from activities.models import Course, Session
    from interests.models import Category
    from venues.enums import OwnerType
    from venues.models import Venue

    call_command("migrate", verbosity=0, interactive=False)
    run = secrets.token_hex(4)
    district = District.objects.create(name=f"压测区 {run}", code=f"bench-{run}")
    street = Street.objects.create(district=district, name="压测街道", code=f"bench-street-{run}")
    community = Community.objects.create(street=street, name="压测社区", code=f"bench-community-{run}")
    category = Category.objects.create(name=f"太极拳压测{run}")
    venue = Venue.objects.create(
        name="压测活动室", owner_type=OwnerType.COMMUNITY_CENTRE, community=community, address="金渝大道1号",
        capacity=50, latitude=29.65, longitude=106.55,
    )
    starts = timezone.now() + timedelta(days=3)
    courses = []
    for title in ("portal", "raw", "api", "warm-up"):
        course = Course.objects.create(
            title=f"热门太极拳班 ({title})", category=category, community=community, venue=venue, capacity=places
        )
        Session.objects.create(course=course, venue=venue, starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=places)
        courses.append(course)

    # Residents, signed in: one session row each, encoded exactly as SessionStore stores it.
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"bench-{run}-{i}@bench.invalid", name=f"居民{i}", password=unusable) for i in range(residents)],
        batch_size=1000,
    )
    backend = "accounts.backends.PhoneOrEmailBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    rows, keys = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys.append(key)
    DjangoSession.objects.bulk_create(rows, batch_size=1000)
    # And an API token each, as an app holds after signing in.
    token_secrets = [secrets.token_urlsafe(32) for _ in users]
    now = timezone.now()
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=user, name="bench", prefix=secret[:8], digest=digest_of(secret), created=now)
            for user, secret in zip(users, token_secrets, strict=True)
        ],
        batch_size=1000,
    )
    return Fixture(
        run=run,
        portal_course_id=courses[0].pk,
        bare_course_id=courses[1].pk,
        api_course_id=courses[2].pk,
        warmup_course_id=courses[3].pk,
        resident_ids=[u.pk for u in users],
        session_keys=keys,
        token_secrets=token_secrets,
        csrf_secret=get_random_string(32),
        created={"district": district.pk, "street": street.pk, "community": community.pk, "category": category.pk,
                 "venue": venue.pk, "courses": [c.pk for c in courses]},
    )


def _teardown(fx: Fixture) -> None:
    from django.contrib.sessions.models import Session as DjangoSession

    from accounts.models import Community, District, Street, User
    from activities.models import Course, Registration
    from interests.models import Category
    from venues.models import Venue

    course_ids = fx.created["courses"]
    Registration.objects.filter(course_id__in=course_ids).delete()
    Registration.history.model.objects.filter(course_id__in=course_ids).delete()
    Course.objects.filter(pk__in=course_ids).delete()  # sessions cascade
    Venue.objects.filter(pk=fx.created["venue"]).delete()
    Category.objects.filter(pk=fx.created["category"]).delete()
    DjangoSession.objects.filter(session_key__in=fx.session_keys).delete()
    User.objects.filter(pk__in=fx.resident_ids).delete()
    Community.objects.filter(pk=fx.created["community"]).delete()
    Street.objects.filter(pk=fx.created["street"]).delete()
    District.objects.filter(pk=fx.created["district"]).delete()


def _fire(name: str, port: int, clients: int, requests: list[tuple[str, dict[str, str]]], expect: bytes) -> Phase:
    """POST each (path, headers) once, from `clients` keep-alive connections; time each request."""
    return fire(
        name,
        port=port,
        clients=clients,
        count=len(requests),
        request=lambda i: ("POST", requests[i][0], requests[i][1], b""),
        judge=lambda status, body: "ok" if status in (200, 201) and expect in body else "",
    )


def _portal_requests(fx: Fixture, course_id: int) -> list[tuple[str, dict[str, str]]]:
    path = f"/classes/{course_id}/register/"
    return [
        (
            path,
            {
                "Host": "127.0.0.1",
                "Cookie": f"sessionid={key}; csrftoken={fx.csrf_secret}",
                "X-CSRFToken": fx.csrf_secret,
                "HX-Request": "true",
                "Content-Length": "0",
            },
        )
        for key in fx.session_keys
    ]


def _bare_requests(fx: Fixture, course_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/bench/raw/{course_id}/{rid}/", {"Host": "127.0.0.1", "Content-Length": "0"}) for rid in fx.resident_ids
    ]


def _api_requests(fx: Fixture, course_id: int) -> list[tuple[str, dict[str, str]]]:
    path = f"/api/v1/courses/{course_id}/register/"
    return [
        (
            path,
            {
                "Host": "127.0.0.1",
                "Authorization": f"Token {secret}",
                "Accept": "application/json",
                "Content-Length": "0",
            },
        )
        for secret in fx.token_secrets
    ]


def _audit(course_id: int, resident_ids: list[int]) -> tuple[int, int, int, dict[str, int], int]:
    """Oversold places, lost and duplicated registrations, live statuses, and the counter, read back."""
    from django.db.models import Count

    from activities.models import Course, Registration

    course = Course.objects.get(pk=course_id)
    live = Registration.objects.filter(course_id=course_id, status__in=["confirmed", "waitlisted"])
    statuses = dict(live.values_list("status").annotate(n=Count("id")))
    per_resident = dict(live.values_list("resident_id").annotate(n=Count("id")))
    confirmed = statuses.get("confirmed", 0)
    oversold = max(0, confirmed - course.capacity) + abs(course.confirmed_count - confirmed)
    # Lost: a resident who asked and holds no live registration; duplicated: two (the index forbids it).
    lost = sum(1 for rid in resident_ids if per_resident.get(rid, 0) == 0)
    duplicated = sum(1 for rid in resident_ids if per_resident.get(rid, 0) > 1)
    return oversold, lost, duplicated, statuses, course.confirmed_count


def _cpu_ticks(pids) -> dict[int, int]:
    """utime + stime of each process, in clock ticks (processes that are gone are left out)."""
    ticks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def _server_pids(server_pid: int) -> list[int]:
    pids = [server_pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rpartition(")")[2].split()[1]) == server_pid:
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def _backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by the gunicorn processes and by the database's backends between start and stop."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.spent: dict[str, list[float]] = {}

    def start(self) -> tuple[dict[int, int], dict[int, int]]:
        return _cpu_ticks(_server_pids(self.server_pid)), _cpu_ticks(_backend_pids())

    def stop(self, kind: str, began: tuple[dict[int, int], dict[int, int]]) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        app_before, db_before = began
        app_after, db_after = _cpu_ticks(_server_pids(self.server_pid)), _cpu_ticks(_backend_pids())
        # A backend that started during the phase counts whole; one that ended during it is lost (rare:
        # connections are kept for DATABASE_CONN_MAX_AGE).
        app = sum(t - app_before.get(pid, 0) for pid, t in app_after.items())
        db = sum(t - db_before.get(pid, 0) for pid, t in db_after.items())
        totals = self.spent.setdefault(kind, [0.0, 0.0])
        totals[0] += app / tick
        totals[1] += db / tick


def _report(
    phase: Phase,
    audit: tuple[int, int, int, dict[str, int], int],
    places: int,
    limit: Phase,
    cpu: list[float],
    limit_cpu: list[float],
) -> None:
    oversold, lost, duplicated, statuses, counter = audit
    ratio = phase.per_second / limit.per_second if limit.per_second else float("nan")
    print(f"\n== {phase.name}")
    print(f"  requests completed      {phase.completed} in {phase.seconds:.2f} s ({len(phase.failures)} failed)")
    print(f"  requests / second       {phase.per_second:,.0f}  ({phase.per_minute:,.0f} a minute)")
    print(f"  ratio to the raw limit  {ratio:.3f}")
    n = max(phase.completed, 1)
    app_ms, db_ms = cpu[0] / n * 1000, cpu[1] / n * 1000
    limit_ms = (limit_cpu[0] + limit_cpu[1]) / max(limit.completed, 1) * 1000
    print(
        f"  CPU per request         {app_ms + db_ms:.2f} ms: gunicorn {app_ms:.2f}, PostgreSQL {db_ms:.2f}"
        f"  (raw limit / this: {limit_ms / (app_ms + db_ms) if app_ms + db_ms else float('nan'):.3f})"
    )
    print(
        f"  latency p50 / p95 / p99 {phase.percentile(50) * 1000:.1f} / {phase.percentile(95) * 1000:.1f} / "
        f"{phase.percentile(99) * 1000:.1f} ms"
    )
    print(f"  confirmed / waiting     {statuses.get('confirmed', 0)} of {places} places / {statuses.get('waitlisted', 0)}"
          f" (counter {counter})")
    print(f"  oversold / lost / duplicated / errors   {oversold} / {lost} / {duplicated} / {len(phase.failures)}")
    for problem in phase.failures[:5]:
        print(f"  failure: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=3000, help="residents, each sending one registration")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--places", type=int, default=5, help="places in the popular class")
    # Threads let a worker wait for PostgreSQL on one request while it runs Python for another.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=6, help="threads per worker (>1: gthread)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds in which the three phases take turns")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows afterwards")
    args = parser.parse_args()

    require_gunicorn()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/cc_bench")

    env = server_env(database_url)
    broker = env.get("CELERY_BROKER_URL") or env.get("REDIS_URL") or ""
    notices = (
        f"published to the broker {broker} (no worker runs; purged at the end)"
        if broker
        else "run inside each request (no broker: Celery's eager mode)"
    )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")})
    import django

    django.setup()
    from django.db import connection

    print(f"setting up {args.residents} signed-in residents and a class of {args.places} places ...", flush=True)
    fx = _setup(residents=args.residents, places=args.places)
    connection.close()
    server = start_gunicorn(port=args.port, workers=args.workers, threads=args.threads, env=env)
    try:
        # Warm every worker up (imports, connections, templates) on a class that is not measured.
        warm = min(len(fx.session_keys) // 3, 20 * args.workers)
        _fire("warm-up", args.port, args.clients, _portal_requests(fx, fx.warmup_course_id)[:warm], b"registration-status")
        _fire("warm-up", args.port, args.clients, _bare_requests(fx, fx.warmup_course_id)[warm : 2 * warm], b"")
        _fire("warm-up", args.port, args.clients, _api_requests(fx, fx.warmup_course_id)[2 * warm : 3 * warm], b"status")

        # The phases take turns in rounds (each round in another order), so that load from anything else on
        # the machine falls on all alike and the ratios stay meaningful.
        kinds = {
            "raw": (_bare_requests(fx, fx.bare_course_id), b""),
            "api": (_api_requests(fx, fx.api_course_id), b"status"),
            "portal": (_portal_requests(fx, fx.portal_course_id), b"registration-status"),
        }
        rounds: dict[str, list[Phase]] = {kind: [] for kind in kinds}
        meter = CpuMeter(server.pid)
        size = -(-len(fx.resident_ids) // args.rounds)
        for n in range(args.rounds):
            chunk = slice(n * size, (n + 1) * size)
            order = list(kinds)[n % 3 :] + list(kinds)[: n % 3]
            for kind in order if n % 2 == 0 else reversed(order):
                requests, expect = kinds[kind]
                began = meter.start()
                rounds[kind].append(_fire(kind, args.port, args.clients, requests[chunk], expect))
                meter.stop(kind, began)
        raw = Phase.combine("raw limit: UPDATE + INSERT outside Django's request handling", rounds["raw"])
        api = Phase.combine("api: POST /api/v1/courses/<id>/register/ (token)", rounds["api"])
        portal = Phase.combine("portal: activities:register (htmx, session)", rounds["portal"])
    finally:
        stop(server)

    print(f"\nPostgreSQL, gunicorn {args.workers} worker(s) x {args.threads} thread(s), {args.clients} clients, "
          f"{args.residents} residents, {args.places} places, {os.cpu_count()} CPU(s)")
    audits = {
        "raw": _audit(fx.bare_course_id, fx.resident_ids),
        "api": _audit(fx.api_course_id, fx.resident_ids),
        "portal": _audit(fx.portal_course_id, fx.resident_ids),
    }
    for phase, kind in ((raw, "raw"), (api, "api"), (portal, "portal")):
        _report(phase, audits[kind], args.places, raw, meter.spent[kind], meter.spent["raw"])
    print(f"notices: {notices}")
    print("\naims: each path at least 0.25 of the raw limit and 250 requests/s, p95 at most 250 ms, nothing lost")
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        _teardown(fx)
    if broker:
        from community_college.celery import app

        # The notice tasks the run queued: no worker is meant to deliver them.
        app.control.purge()
    failed = any(a[0] or a[1] or a[2] for a in audits.values()) or any(p.failures for p in (raw, api, portal))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
