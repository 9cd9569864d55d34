"""Benchmark: a class's residents checking in with the teacher's QR code, through gunicorn, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench .venv/bin/python bench/checkin.py \
        [--residents 200] [--walk-ins 20] [--clients 24] [--workers 4] [--threads 6] [--spread 0]

What it does, in one run:

1. migrates the database and creates one class with one meeting starting in five minutes (inside the check-in
   window), `--residents` residents each signed in (a session row written as `Client.force_login` does), all but
   `--walk-ins` of them registered; the walk-ins come without a place and are registered at the door;
2. starts gunicorn serving the portal (`bench.bare_urls:application`, DEBUG off, the portal's middleware), the
   same server as bench/booking.py, and waits for /healthz;
3. every resident opens the link of the code on the teacher's screen (GET /checkin/<code>/, their session
   cookie), as a phone camera does; the code is the one current when the request leaves, so codes rotate
   during the run as they do in the room; with `--spread S` the arrivals are spread over S seconds;
4. prints requests per second, p50/p95/p99 latency, the wall time, and reads back the attendance: lost
   (a resident without a check-in), duplicated (two rows for one resident: the unique index forbids it),
   walk-ins registered, places taken against the counter (all must be consistent);
5. deletes what it created (unless --keep).

Exit status 1 when a check-in was lost or duplicated, a request failed, or it took more than 60 s.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Phase, fire, require_gunicorn, server_env, start_gunicorn, stop  # noqa: E402


@dataclass
class Fixture:
    session_id: int
    course_id: int
    resident_ids: list[int]
    walk_in_ids: list[int]
    session_keys: list[str]
    created: dict = field(default_factory=dict)


def _setup(*, residents: int, walk_ins: int) -> Fixture:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as DjangoSession
    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import Community, District, Street, User
    from activities.models import Course, Registration, Session
    from interests.models import Category
    from teachers.models import Teacher
    from venues.enums import OwnerType
    from venues.models import Venue

    call_command("migrate", verbosity=0, interactive=False)
    run = secrets.token_hex(4)
    district = District.objects.create(name=f"签到压测区 {run}", code=f"checkin-{run}")
    street = Street.objects.create(district=district, name="签到压测街道", code=f"checkin-street-{run}")
    community = Community.objects.create(street=street, name="签到压测社区", code=f"checkin-community-{run}")
    category = Category.objects.create(name=f"广场舞签到压测{run}")
    venue = Venue.objects.create(
        name="签到压测广场",
        owner_type=OwnerType.SQUARE_PARK,
        community=community,
        address="金渝大道2号",
        capacity=residents + 10,
        latitude=29.65,
        longitude=106.55,
    )
    teacher = Teacher.objects.create(
        name="压测老师", source="resident", kind="grassroots", community=community
    )
    registered = residents - walk_ins
    course = Course.objects.create(
        title="广场舞大课 (check-in bench)",
        category=category,
        community=community,
        venue=venue,
        teacher=teacher,
        capacity=residents + 10,
        confirmed_count=registered,
    )
    starts = timezone.now() + timedelta(minutes=5)
    session = Session.objects.create(
        course=course,
        venue=venue,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        capacity=residents + 10,
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"checkin-{run}-{i}@bench.invalid", name=f"居民{i}", password=unusable)
            for i in range(residents)
        ],
        batch_size=1000,
    )
    Registration.objects.bulk_create(
        [
            Registration(course=course, resident=user, status="confirmed", placed_by=user)
            for user in users[:registered]
        ],
        batch_size=1000,
    )
    backend = "accounts.backends.PhoneOrEmailBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    rows, keys = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys.append(key)
    DjangoSession.objects.bulk_create(rows, batch_size=1000)
    return Fixture(
        session_id=session.pk,
        course_id=course.pk,
        resident_ids=[u.pk for u in users],
        walk_in_ids=[u.pk for u in users[registered:]],
        session_keys=keys,
        created={
            "district": district.pk,
            "street": street.pk,
            "community": community.pk,
            "category": category.pk,
            "venue": venue.pk,
            "teacher": teacher.pk,
        },
    )


def _teardown(fx: Fixture) -> None:
    from django.contrib.sessions.models import Session as DjangoSession

    from accounts.models import Community, District, Street, User
    from activities.models import Attendance, Course, Registration
    from interests.models import Category
    from teachers.models import Teacher
    from venues.models import Venue

    Attendance.objects.filter(session_id=fx.session_id).delete()
    Registration.objects.filter(course_id=fx.course_id).delete()
    Registration.history.model.objects.filter(course_id=fx.course_id).delete()
    Course.objects.filter(pk=fx.course_id).delete()
    Teacher.objects.filter(pk=fx.created["teacher"]).delete()
    Venue.objects.filter(pk=fx.created["venue"]).delete()
    Category.objects.filter(pk=fx.created["category"]).delete()
    DjangoSession.objects.filter(session_key__in=fx.session_keys).delete()
    User.objects.filter(pk__in=fx.resident_ids).delete()
    Community.objects.filter(pk=fx.created["community"]).delete()
    Street.objects.filter(pk=fx.created["street"]).delete()
    District.objects.filter(pk=fx.created["district"]).delete()


def _scan_all(fx: Fixture, *, port: int, clients: int, spread: float) -> Phase:
    """Each resident GETs the link of the code current at that moment, from `clients` keep-alive connections."""
    from django.utils import timezone

    from activities.checkin import checkin_code
    from activities.models import Session

    # The meeting starts in ten minutes from now, whatever the set-up took: inside the check-in window, and
    # still to come, so a walk-in can take a place in it.
    starts = timezone.now() + timedelta(minutes=10)
    Session.objects.filter(pk=fx.session_id).update(starts_at=starts, ends_at=starts + timedelta(hours=1))
    session = Session.objects.get(pk=fx.session_id)

    def scan(i: int):
        # The code current when the request leaves, as the phone reads it off the teacher's screen.
        path = f"/checkin/{checkin_code(session=session).code}/"
        return "GET", path, {"Host": "127.0.0.1", "Cookie": f"sessionid={fx.session_keys[i]}"}, b""

    return fire(
        "check-in: GET /checkin/<code>/ (session cookie)",
        port=port,
        clients=clients,
        count=len(fx.session_keys),
        request=scan,
        judge=lambda status, body: "ok" if status == 200 and b"checkin-done" in body else "",
        spread=spread,
    )


def _audit(fx: Fixture) -> dict[str, int]:
    from django.db.models import Count

    from activities.models import Attendance, Course, Registration

    rows = dict(
        Attendance.objects.filter(session_id=fx.session_id, attended=True)
        .values_list("resident_id")
        .annotate(n=Count("id"))
    )
    confirmed = Registration.objects.filter(course_id=fx.course_id, status="confirmed").count()
    course = Course.objects.get(pk=fx.course_id)
    return {
        "checked_in": sum(1 for rid in fx.resident_ids if rows.get(rid)),
        "lost": sum(1 for rid in fx.resident_ids if not rows.get(rid)),
        "duplicated": sum(1 for rid in fx.resident_ids if rows.get(rid, 0) > 1),
        "walk_ins_registered": Registration.objects.filter(
            course_id=fx.course_id, resident_id__in=fx.walk_in_ids, status="confirmed"
        ).count(),
        "counter_drift": abs(course.confirmed_count - confirmed),
        "by_code": Attendance.objects.filter(session_id=fx.session_id, source="code").count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=200, help="residents, each scanning the code once")
    parser.add_argument("--walk-ins", type=int, default=20, help="of them, residents without a place")
    parser.add_argument("--clients", type=int, default=24, help="concurrent keep-alive connections (phones)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=6, help="threads per worker (>1: gthread)")
    parser.add_argument(
        "--spread", type=float, default=0.0, help="seconds to spread the arrivals over (0: a burst)"
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows afterwards")
    args = parser.parse_args()

    require_gunicorn()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/cc_bench"
        )
    env = server_env(database_url)
    # The codes are signed with the server's secret key: this process makes them with the same one.
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")})
    import django

    django.setup()
    from django.db import connection

    print(
        f"setting up {args.residents} signed-in residents ({args.walk_ins} without a place) ...", flush=True
    )
    fx = _setup(residents=args.residents, walk_ins=args.walk_ins)
    connection.close()
    # The check-in page is a whole page (base.html and its static files): with DEBUG off the server reads the
    # static files' manifest, so collect them into the server's (temporary) STATIC_ROOT first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = start_gunicorn(port=args.port, workers=args.workers, threads=args.threads, env=env)
    try:
        phase = _scan_all(fx, port=args.port, clients=args.clients, spread=args.spread)
    finally:
        stop(server)
    audit = _audit(fx)
    print(
        f"\nPostgreSQL, gunicorn {args.workers} worker(s) x {args.threads} thread(s), {args.clients} clients, "
        f"{args.residents} residents ({args.walk_ins} walk-ins), {os.cpu_count()} CPU(s)"
    )
    print(f"\n== {phase.name}")
    print(
        f"  requests completed      {phase.completed} in {phase.seconds:.2f} s ({len(phase.failures)} failed)"
    )
    print(f"  requests / second       {phase.per_second:,.0f}")
    print(
        f"  latency p50 / p95 / p99 {phase.percentile(50) * 1000:.1f} / {phase.percentile(95) * 1000:.1f} / "
        f"{phase.percentile(99) * 1000:.1f} ms"
    )
    print(f"  checked in / by code    {audit['checked_in']} of {args.residents} / {audit['by_code']}")
    print(
        f"  walk-ins registered     {audit['walk_ins_registered']} of {args.walk_ins} (counter drift {audit['counter_drift']})"
    )
    print(f"  lost / duplicated / errors   {audit['lost']} / {audit['duplicated']} / {len(phase.failures)}")
    for problem in phase.failures[:5]:
        print(f"  failure: {problem}")
    print("\naim: every resident checked in once within 60 s, nothing lost or duplicated")
    if not args.keep:
        _teardown(fx)
    failed = (
        audit["lost"]
        or audit["duplicated"]
        or audit["counter_drift"]
        or phase.failures
        or phase.seconds > 60
        or audit["walk_ins_registered"] != args.walk_ins
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
