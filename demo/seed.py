"""Demo data: the community colleges of one district (两江新区) at a chosen scale.

`seed_demo(scale=...)` builds the organisation tree, the interest tree, venues, teachers, residents,
groups, orders and a year of classes with registrations, attendance, policy talks and ratings, all in
ONE transaction: a failure leaves nothing half-seeded. `manage.py seed_demo` is a thin wrapper.

How it stays fast (district scale: 250,000 residents, about two million rows):
- nothing goes through the services; the small tables are written with `bulk_create` in large batches;
- the big tables (users, profiles, interests, free time, attendance …) skip model instances altogether
  (`SeederBase.insert_rows`: tuples, pre-allocated ids, COPY on PostgreSQL, executemany on SQLite);
- the demo password is hashed ONCE and the hash reused for every account;
- names come from Faker's zh_CN lists combined by our own seeded `random.Random`, not from Faker calls;
- the schedule is collision-free by construction: inside a term each (venue, weekly slot) pair and each
  (teacher, weekly slot) pair is used by at most one course, terms never overlap and slots of one day
  never overlap, so no two holding bookings of a venue can overlap (PostgreSQL's exclusion constraint
  would refuse them otherwise).

Invariants kept: one leader per group; at most one open order per resident and interest; each order's
stamps match its status and its OrderEvent timeline; a course's `confirmed_count` equals its confirmed
registrations and never exceeds its capacity; ratings only for sessions the resident attended, and the
rating's teacher is the course's teacher; each college's `stars` equals its latest star record.

`bulk_create` does not write django-simple-history rows (Order, Registration, Booking, Teacher): demo
data starts without history, which is fine, the history begins with the first real change.

Residents: a resident is a user with a ResidentProfile. We also give each one a
`RoleAssignment(role=resident)`, like `interests.services.resident_register` does, so seeded residents look
exactly like registered ones; at district scale that is ~5 s of writes plus its share of the commit's
foreign-key checks, 5–8 % of the run, cheap enough to keep the two kinds of residents indistinguishable.

The same scale and seed give the same rows, names, places and schedule in any process; timestamps are
reckoned back from the moment of the run (pass `now=` to pin it), and the profiles' calendar tokens are
fresh secrets on every run.

Measured (2 busy cores, PostgreSQL 15 with its default configuration, other test suites running):
district scale 56 s end to end at load 2.6 and 94 s at load 7–14, of which the COMMIT (deferred
foreign-key checks of ~2.1 million rows) is 14–23 s; street scale ~1 s on SQLite.
`bench/seed_bench.py` prints the figures per stage and per table.

Where things are: this module holds the entry points (`seed_demo`, `demo_logins`) and the order of the
stages (`_Seeder.run`); each stage is a mixin in a module named for what it seeds (org.py, vocabulary.py,
people.py, places.py, teaching.py, classes.py, orders.py, funds.py), the district's names and weights are
data.py, and the plumbing they share is base.py. A new stage: a module `demo/<thing>.py` with its mixin or
function, called from `_Seeder.run`.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from .base import DemoDataError, SeederBase, SeedReport
from .classes import ClassesStages
from .data import (
    BATCH_SIZE,
    COPY_CHUNK,
    DEFAULT_SEED,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    SCALES,
    DemoAccount,
    Scale,
)
from .orders import OrdersStages
from .org import OrgStages
from .people import PeopleStages
from .places import PlacesStages
from .teaching import TeachingStages
from .vocabulary import VocabularyStages

__all__ = [
    "BATCH_SIZE",
    "COPY_CHUNK",
    "DEFAULT_SEED",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "SCALES",
    "DemoAccount",
    "DemoDataError",
    "DemoLogin",
    "Scale",
    "SeedReport",
    "database_has_data",
    "demo_logins",
    "format_logins",
    "seed_demo",
]


# --- Demo logins ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    role_label: str
    phone: str
    password: str
    name: str
    where: str


def demo_logins() -> list[DemoLogin]:
    """The demo accounts present in the database, one per role, with their shared password."""
    from accounts.enums import Role
    from accounts.models import RoleAssignment, User

    users = {u.phone: u for u in User.objects.filter(phone__in=[a.phone for a in DEMO_ACCOUNTS])}
    assignments = {
        (ra.user_id, ra.role): ra
        for ra in RoleAssignment.objects.filter(user__in=users.values()).select_related(
            "community", "street", "district", "city", "department"
        )
    }
    logins = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.phone)
        if user is None:
            continue
        ra = assignments.get((user.pk, account.role))
        node = ra and (ra.community or ra.street or ra.district or ra.city or ra.department)
        if account.role == Role.RESIDENT and hasattr(user, "profile"):
            node = user.profile.community
        elif account.role == Role.TEACHER and hasattr(user, "teacher"):
            node = user.teacher.community
        elif account.role == Role.VENUE_OWNER:
            node = user.managed_venues.select_related("venue").first()
            node = node and node.venue
        logins.append(
            DemoLogin(
                account.role,
                str(Role(account.role).label),
                account.phone,
                DEMO_PASSWORD,
                user.name,
                str(node or ""),
            )
        )
    return logins


def format_logins(logins: list[DemoLogin]) -> str:
    """The logins as a plain-text table (East Asian characters count as two columns)."""
    if not logins:
        return "No demo logins in this database: run `python manage.py seed_demo --scale street`."

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    def pad(text: str, n: int) -> str:
        return text + " " * (n - width(text))

    header = ("role", "phone", "password", "name", "where")
    rows = [header] + [
        (login.role_label, login.phone, login.password, login.name, login.where) for login in logins
    ]
    widths = [max(width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- Entry points ---------------------------------------------------------------------------------------


def database_has_data() -> bool:
    """True when the operational tables the seed fills already hold rows (users alone do not count:
    a superuser made with `createsuperuser` should not stop the demo data from loading)."""
    from accounts.models import District
    from activities.models import Course
    from interests.models import ResidentProfile
    from teachers.models import Teacher
    from venues.models import Venue

    return any(m.objects.exists() for m in (District, ResidentProfile, Venue, Teacher, Course))


def seed_demo(
    *,
    scale: str,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: bool = False,
    districts: int = 1,
) -> SeedReport:
    """Fill an empty database with the demo district at `scale`, in one transaction.

    `now` pins "today" (tests); the same scale, seed and day always give the same data.
    `districts` > 1 (scale "city" is district scale with several districts): districts 2..N follow the first,
    each with the first's shape, its own name, centre, codes and demo logins and its own random stream
    (`demo.data.district_spec`); the first district is the same as a one-district seed's.
    """
    per_district = "district" if scale == CITY_SCALE else scale
    if per_district not in SCALES:
        raise DemoDataError(f"Unknown scale {scale!r}; choose one of {', '.join([*SCALES, CITY_SCALE])}.")
    if not 1 <= districts <= MAX_DISTRICTS:
        raise DemoDataError(f"--districts must be between 1 and {MAX_DISTRICTS}.")
    if database_has_data():
        raise DemoDataError("The database already holds districts, residents, venues, teachers or classes.")
    now = now or timezone.now()
    seeders = [
        _Seeder(SCALES[per_district], seed=seed, now=now, progress=progress, district_index=k)
        for k in range(districts)
    ]
    seeder = _CitySeeder(seeders, scale=scale, seed=seed)
    started = clock.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Demo data: the commit need not wait for the WAL to reach the disk (this transaction only;
            # a crash right after it could lose the seed, never corrupt the database).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        seeder.run()
        committing = clock.perf_counter()
    # PostgreSQL runs the deferred foreign-key checks of every inserted row here, at COMMIT.
    seeder.report.stages["commit"] = clock.perf_counter() - committing
    seeder.report.seconds = clock.perf_counter() - started
    return seeder.report


# --- The seeder: its stages, in order -----------------------------------------------------------------------

CITY_SCALE = "city"
# Two digits of a district's demo phone numbers (`demo.data.district_accounts`).
MAX_DISTRICTS = 99


class _CitySeeder:
    """The districts one after another in the caller's transaction; one report, stages timed per district
    (`district 2: residents` …) beside the totals, so the time per district can be read off."""

    def __init__(self, seeders: list, *, scale: str, seed: int):
        self.seeders = seeders
        self.report = SeedReport(scale=scale, seed=seed)

    def run(self) -> None:
        for k, seeder in enumerate(self.seeders):
            started = clock.perf_counter()
            seeder.run()
            if len(self.seeders) == 1:
                self.report = seeder.report
                return
            for label, seconds in seeder.report.stages.items():
                self.report.stages[label] = self.report.stages.get(label, 0.0) + seconds
            for label, n in seeder.report.rows.items():
                self.report.rows[label] += n
            for label, seconds in seeder.report.insert_seconds.items():
                self.report.insert_seconds[label] += seconds
            self.report.stages[f"district {k + 1}"] = clock.perf_counter() - started
            # The next district needs none of this one's in-memory plan: free it before it starts.
            self.seeders[k] = None


class _Seeder(
    OrgStages,
    VocabularyStages,
    PeopleStages,
    PlacesStages,
    TeachingStages,
    ClassesStages,
    OrdersStages,
    SeederBase,
):
    def run(self) -> None:
        for label, stage in [
            ("organisation", self.stage_organisation),
            ("vocabulary", self.stage_vocabulary),
            ("staff", self.stage_staff),
            ("residents", self.stage_residents),
            ("venues", self.stage_venues),
            ("teachers", self.stage_teachers),
            ("groups", self.stage_groups),
            ("schedule", self.stage_schedule),
            ("orders", self.stage_orders),
            ("registrations", self.stage_registrations),
            ("attendance", self.stage_attendance),
            ("star ratings", self.stage_stars),
            ("funds", self.stage_funds),
            ("teachers' portal", self.stage_teachers_portal),
            ("certificates and volunteers", self.stage_certificates),
            ("thin demand", self.stage_thin_demand),
            ("recognition", self.stage_recognition),
            ("showcases", self.stage_showcases),
        ]:
            started = clock.perf_counter()
            self._stage = label
            stage()
            self.report.stages[label] = clock.perf_counter() - started

    def stage_funds(self) -> None:
        """A year of each college's fund (`demo.funds`)."""
        from demo.funds import seed_funds

        seed_funds(self)

    def stage_teachers_portal(self) -> None:
        """The demo teacher's role and a venue owner with requests waiting (`demo.teachers_portal`)."""
        from accounts.enums import Role
        from demo.teachers_portal import seed_teachers_portal

        owner = next(a for a in self.accounts if a.role == Role.VENUE_OWNER)
        seed_teachers_portal(self, owner_phone=owner.phone, owner_name=owner.name)
    def stage_certificates(self) -> None:
        """A certificate and a pending reconfirmation for the demo resident, a volunteer with hours."""
        from demo.certificates import seed_certificates

        demo = {a.role: a for a in self.accounts}
        seed_certificates(
            self,
            resident_phone=demo["resident"].phone,
            volunteer_phone=demo["volunteer"].phone,
            volunteer_name=demo["volunteer"].name,
        )
    def stage_thin_demand(self) -> None:
        """Teachers who accept a smaller class; the demo resident waiting with two neighbours (`demo.demand`)."""
        from demo.demand import seed_thin_demand

        seed_thin_demand(self)
    def stage_recognition(self) -> None:
        """A closed district round on the 榜样 wall and a street round in its public notice (`demo.recognition`)."""
        from demo.recognition import seed_recognition

        seed_recognition(self)

    def stage_showcases(self) -> None:
        """Showcases with photos and audience, and stories (`demo.showcases`)."""
        from demo.showcases import seed_showcases

        seed_showcases(self)
