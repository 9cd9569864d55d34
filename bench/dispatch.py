"""Benchmark: the matching service inside the portal, on a district-sized database (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_match .venv/bin/python bench/dispatch.py \
        [--orders 10000] [--teachers 750] [--venues 600] [--slots 35] [--seed 1] [--time-limit 60] [--confirm 20]

What it does, in one run:

1. migrates the database, which must hold no order, teacher or venue yet, and loads a synthetic district
   made by `activities.matching.generate` as rows: communities (one per 0.02-degree cell), residents with
   their homes, ACCEPTED orders with their preferred slots, teachers with skills and free times, venues
   with facilities and opening hours, weekly slots, and a twelve-week term starting next Monday;
2. builds the instance from the database (`activities.dispatch.build`), and solves the generated instance
   and the built one with the greedy, so that a difference in what the portal reads would show;
3. runs the matching service for the district (`match_run`: build, solver, proposal stored);
4. confirms the first `--confirm` proposed classes one by one (course, a session and a booking a week,
   registrations, 派单), inside a transaction that is rolled back, so the proposal stays as it was;
5. prints the figures. Timings come from this machine.

With ``--demo`` it instead runs on a database that ``seed_demo`` filled (issue 22: the district demo's
skewed demand): one dry run of the matching for the district (nothing stored), printing the placed share,
the classes formed, the unassigned reasons, the near misses by relaxation and the seconds of each part.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_demand .venv/bin/python bench/dispatch.py --demo
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--teachers", type=int, default=750)
    parser.add_argument("--venues", type=int, default=600)
    parser.add_argument("--slots", type=int, default=35)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--confirm", type=int, default=20, help="classes to confirm (rolled back)")
    parser.add_argument("--demo", action="store_true", help="run on the seeded demo district instead")
    args = parser.parse_args()

    import django

    django.setup()
    if args.demo:
        return _demo(args)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from activities.dispatch import service as dispatch
    from activities.dispatch.build import build_instance
    from activities.matching.checker import objective
    from activities.matching.generate import generate
    from activities.matching.greedy import greedy
    from activities.models import Order, Session
    from teachers.models import Teacher
    from venues.models import Booking, Venue

    if Order.objects.exists() or Teacher.objects.exists() or Venue.objects.exists():
        print("The database already has orders, teachers or venues: use an empty one.", file=sys.stderr)
        return 2
    print(f"database: {connection.vendor}; generating {args.orders} orders, {args.teachers} teachers, {args.venues} venues")
    generated = generate(args.orders, args.teachers, args.venues, seed=args.seed, slots=args.slots)
    started = time.perf_counter()
    with transaction.atomic():
        district, term = _load(generated, timezone.localdate())
    print(f"loaded into the database in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    built = build_instance(node=district, term=term)
    build_s = time.perf_counter() - started
    inst = built.instance
    print(
        f"build: {build_s:.2f} s — {len(inst.orders)} orders, {len(inst.teachers)} teachers, "
        f"{len(inst.venues)} venues, {len(inst.slots)} slots (generated: {len(generated.orders)}, "
        f"{len(generated.teachers)}, {len(generated.venues)}, {len(generated.slots)})"
    )
    g_generated = objective(generated, greedy(generated))
    g_built = objective(inst, greedy(inst))
    print(f"greedy on the generated instance: {g_generated.summary()}")
    print(f"greedy on the built instance:     {g_built.summary()}")

    started = time.perf_counter()
    outcome = dispatch.match_run(node=district, term=term, time_limit=args.time_limit, seed=args.seed)
    total_s = time.perf_counter() - started
    run = outcome.run
    print(
        f"match_run: {total_s:.1f} s in all (solver {outcome.seconds:.1f} s, build and store "
        f"{total_s - outcome.seconds:.1f} s) — {outcome.objective.summary()}; greedy weight {outcome.greedy_weight:.1f}"
    )
    print(
        f"stored run #{run.pk}: {run.classes} classes, {run.orders_assigned} placements, "
        f"{run.unassigned.count()} unplaced orders with reasons"
    )

    classes = list(run.proposed_classes.order_by("pk")[: args.confirm])
    timings, sessions = [], 0
    try:
        with transaction.atomic():
            for pc in classes:
                started = time.perf_counter()
                course = dispatch.proposed_class_confirm(proposed=pc, actor=None)
                timings.append(time.perf_counter() - started)
                sessions += course.sessions.count()
            bookings = Booking.objects.filter(session__course__proposal__in=classes).count()
            registrations = sum(pc.size for pc in classes)
            raise _Rollback
    except _Rollback:
        pass
    if timings:
        timings.sort()
        print(
            f"confirm: {len(timings)} classes, {sessions} sessions, {bookings} bookings, {registrations} registrations "
            f"and as many orders dispatched; per class median {1000 * timings[len(timings) // 2]:.0f} ms, "
            f"max {1000 * timings[-1]:.0f} ms (rolled back: {Session.objects.count()} sessions remain)"
        )
    return 0


def _demo(args) -> int:
    """The matching of the seeded demo district, dry: placed share, classes, near misses, seconds."""
    from collections import Counter

    from django.db import connection

    from accounts.models import District
    from activities.dispatch import service as dispatch

    district = District.objects.order_by("pk").first()
    if district is None:
        print("No district: run `manage.py seed_demo --scale district` first.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    outcome = dispatch.match_run(node=district, time_limit=args.time_limit, seed=args.seed, dry_run=True)
    total = time.perf_counter() - started
    built, obj, near = outcome.built, outcome.objective, outcome.near_misses
    accepted = len(built.instance.orders) + len(built.no_slot)
    reasons = Counter(u.reason for u in outcome.solution.unassigned)
    reasons.update({"no_common_slot": len(built.no_slot)} if built.no_slot else {})
    print(f"database: {connection.vendor}; district {district}; {accepted} accepted orders")
    print(
        f"placed {obj.assigned} of {accepted} ({100 * obj.assigned / max(1, accepted):.1f}%), "
        f"{obj.classes} classes; unassigned: {', '.join(f'{r} {n}' for r, n in sorted(reasons.items()))}"
    )
    counts = ", ".join(f"{r} {n}" for r, n in near.by_relaxation().items())
    waiting = outcome.gathering or {}
    print(
        f"near misses: {len(near.near_misses)} ({counts}); {'complete' if near.complete else 'cut short'}; "
        f"orders in a near miss: {len({o for n in near.near_misses for o in (*n.orders, *n.extra)})}; "
        f"unplaced orders with a neighbour waiting: {sum(1 for n in waiting.values() if n)} of {len(waiting)}"
    )
    print(
        f"seconds: {total:.1f} in all — solver {outcome.seconds:.1f}, near misses {near.seconds:.2f}, "
        f"build and the rest {total - outcome.seconds - near.seconds:.1f} (time limit {args.time_limit:.0f})"
    )
    return 0


def _load(inst, today):
    """Write a generated instance as portal rows; returns the district and the term."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Community, District, Street, User
    from activities.models import Order, Term, WeeklySlot
    from interests.enums import OrderStatus
    from interests.models import Category, ResidentProfile
    from teachers.enums import TeacherKind, TeacherSource
    from teachers.models import Teacher, TeacherAvailability, TeacherSkill
    from venues.enums import OwnerType
    from venues.models import Facility, OpeningHours, Venue

    now = timezone.now()
    district = District.objects.create(name="基准区", code="bench", latitude=29.6, longitude=106.5)
    street = Street.objects.create(district=district, name="基准街道", code="bench-street", latitude=29.6, longitude=106.5)
    cells: dict[tuple[int, int], Community] = {}

    def community(lat, lon):
        key = (int(lat // 0.02), int(lon // 0.02))
        if key not in cells:
            n = len(cells)
            cells[key] = Community.objects.create(
                street=street, name=f"基准社区{n}", code=f"bench-{n}", latitude=lat, longitude=lon
            )
        return cells[key]

    slots = {
        s.id: WeeklySlot.objects.create(code=s.id, weekday=s.weekday, start=s.start, end=s.end) for s in inst.slots
    }
    next_monday = today + timedelta(days=7 - today.weekday())
    term = Term.objects.create(district=district, name="基准学期", starts_on=next_monday, ends_on=next_monday + timedelta(weeks=12, days=-1))
    codes = sorted({f for c in inst.categories for f in c.facilities} | {f for v in inst.venues for f in v.facilities})
    facility = {code: Facility.objects.create(code=code, name=code) for code in codes}
    category_ids = {}
    for c in inst.categories:
        row = Category.objects.create(name=c.name, min_size=c.min_size, max_size=c.max_size)
        row.facilities.set([facility[f] for f in c.facilities])
        category_ids[c.id] = row.pk

    password = make_password(None)
    residents: dict[tuple, object] = {}
    for o in inst.orders:
        residents.setdefault(o.resident_key, o)
    users = User.objects.bulk_create(
        [User(phone=f"139{i:08d}", name=f"居民{i}", password=password) for i in range(len(residents))]
    )
    user_of = dict(zip(residents, users, strict=True))
    ResidentProfile.objects.bulk_create(
        [
            ResidentProfile(user=user_of[key], community=community(o.lat, o.lon), latitude=o.lat, longitude=o.lon)
            for key, o in residents.items()
        ]
    )
    seen, order_rows, wanted = set(), [], []
    for o in inst.orders:
        user = user_of[o.resident_key]
        if (user.pk, o.category) in seen:  # one open order per resident and interest
            continue
        seen.add((user.pk, o.category))
        order_rows.append(
            Order(
                resident=user,
                community=community(*(residents[o.resident_key].lat, residents[o.resident_key].lon)),
                category_id=category_ids[o.category],
                weight=o.weight,
                status=OrderStatus.ACCEPTED,
                submitted_at=now,
                accepted_at=now,
                placed_by=user,
            )
        )
        wanted.append(o.slots)
    Order.objects.bulk_create(order_rows, batch_size=2000)
    through = Order.preferred_slots.through
    through.objects.bulk_create(
        [through(order_id=row.pk, weeklyslot_id=slots[s].pk) for row, codes in zip(order_rows, wanted, strict=True) for s in codes],
        batch_size=5000,
    )

    teachers = Teacher.objects.bulk_create(
        [
            Teacher(
                district=district,
                name=f"老师{t.id}",
                source=TeacherSource.VOLUNTEER_TEAM,
                kind=TeacherKind.GRASSROOTS,
                latitude=t.lat,
                longitude=t.lon,
                max_weekly_sessions=min(40, max(1, t.max_sessions)),
                max_travel_km=min(100.0, t.max_km),
            )
            for t in inst.teachers
        ]
    )
    TeacherSkill.objects.bulk_create(
        [TeacherSkill(teacher=row, category_id=category_ids[c]) for row, t in zip(teachers, inst.teachers, strict=True) for c in t.skills]
    )
    TeacherAvailability.objects.bulk_create(
        [
            TeacherAvailability(teacher=row, weekday=slots[s].weekday, start=slots[s].start, end=slots[s].end)
            for row, t in zip(teachers, inst.teachers, strict=True)
            for s in t.slots
        ]
    )
    venues = Venue.objects.bulk_create(
        [
            Venue(
                name=f"场地{v.id}",
                owner_type=OwnerType.CIVIC_PRACTICE,
                community=community(v.lat, v.lon),
                address="基准路1号",
                capacity=max(1, v.capacity),
                latitude=v.lat,
                longitude=v.lon,
            )
            for v in inst.venues
        ]
    )
    Venue.facilities.through.objects.bulk_create(
        [
            Venue.facilities.through(venue_id=row.pk, facility_id=facility[f].pk)
            for row, v in zip(venues, inst.venues, strict=True)
            for f in v.facilities
        ]
    )
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(venue=row, weekday=slots[s].weekday, start=slots[s].start, end=slots[s].end)
            for row, v in zip(venues, inst.venues, strict=True)
            for s in v.slots
        ]
    )
    return district, term


if __name__ == "__main__":
    sys.exit(main())
