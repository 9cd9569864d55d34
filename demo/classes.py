"""Demo data, classes stage: Interest groups and a year of classes: courses, sessions, bookings, registrations, attendance, policy talks, ratings and the colleges' stars.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import accumulate

from django.utils import timezone

from .base import DemoDataError, _Course, _km, _weighted
from .data import BATCH_SIZE, DEPARTMENTS, FAVOURITES, RATING_COMMENTS, STAR_WEIGHTS


@dataclass
class _Plan:
    """What the schedule has taken so far, per term: (term, teacher, slot) pairs and each teacher's weekly load."""

    terms: list[tuple]  # (term, first day in the window, last day in the window)
    teacher_busy: set[tuple[int, int, int]] = field(default_factory=set)
    teacher_load: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))


class ClassesStages:
    def stage_groups(self) -> None:
        from interests.models import GroupMembership, InterestGroup

        rng = self.rng
        groups, plans, names = [], [], set()
        self.groups_by: dict[tuple[int, int], list[int]] = defaultdict(list)
        for g in range(self.scale.groups):
            ci = 0 if g == 0 else _weighted(rng, self.community_cum)
            leaf = self.leaf_index["太极拳"] if g == 0 else _weighted(rng, self.leaf_cum)
            c = self.communities[ci]
            base = f"{c.name.removesuffix('社区')}{self.leaves[leaf].group_name}"
            name, n = base, 1
            while (ci, name) in names:
                n += 1
                name = f"{base}（{n}）"
            names.add((ci, name))
            created = self.now - timedelta(days=rng.randint(30, 900))
            groups.append(
                InterestGroup(
                    name=name,
                    category_id=self.leaf_ids[leaf],
                    community_id=c.id,
                    created=created,
                    description=f"{c.name}居民自发组织的{self.leaves[leaf].name}兴趣小组，欢迎邻居加入。",
                    max_members=rng.choice((None, None, 30, 50)),
                )
            )
            plans.append((ci, leaf, created))
        self.insert(InterestGroup, groups)
        members = []
        for g, (group, (ci, leaf, created)) in enumerate(zip(groups, plans, strict=True)):
            self.groups_by[ci, leaf].append(group.pk)
            size = min(rng.randint(6, 30), group.max_members or 30)
            chosen = self._pick(ci, leaf, size, first=[self.demo_resident] if g == 0 else [])
            for k, r in enumerate(chosen):
                joined = created + timedelta(days=rng.randint(0, max(0, (self.now - created).days)))
                # The first member founded the group and leads it: one leader per group.
                members.append(
                    (
                        group.pk,
                        self.res_ids[r],
                        "leader" if k == 0 else "member",
                        created if k == 0 else joined,
                    )
                )
        with self.bar(len(members)) as bar:
            self.insert_rows(GroupMembership, ["group_id", "user_id", "role", "joined"], members, bar)


    def _pick(
        self, ci: int, leaf: int, k: int, first: list[int] = (), exclude: set[int] | None = None
    ) -> list[int]:
        """k residents of community ci, those who listed the interest first."""
        rng = self.rng
        chosen = list(dict.fromkeys(first))
        seen = set(chosen) | (exclude or set())
        pools = (self.interested.get((ci, leaf), []), self.communities[ci].residents)
        for pool in pools:
            need = k - len(chosen)
            if need <= 0 or not pool:
                break
            for r in rng.sample(pool, min(len(pool), need + 8)):
                if r not in seen:
                    seen.add(r)
                    chosen.append(r)
                    if len(chosen) == k:
                        break
        return chosen[:k]


    def stage_schedule(self) -> None:
        """Courses, their weekly sessions and the venue bookings, collision-free by construction."""
        from activities.models import Course
        from venues.models import Booking

        # Upcoming sessions are published ten weeks ahead, and never beyond the current term.
        horizon = min(self.today + timedelta(weeks=10), self.terms[-1].ends_on)
        window_start = self.today - timedelta(days=364)
        plan = _Plan(terms=[(t, max(t.starts_on, window_start), min(t.ends_on, horizon)) for t in self.terms])
        self.venue_busy: set[tuple[int, int, int]] = set()  # (term, venue, slot)
        self.courses: list[_Course] = []
        held = self._plan_demo_teacher_classes(plan)
        self._plan_classes(plan, held, span=(horizon - window_start).days - 21, window_start=window_start)
        self.insert(Course, [c.obj for c in self.courses])
        self._insert_sessions()
        bookings = self._session_bookings()
        bookings += self._meeting_bookings(plan)
        self.insert_all((Booking, bookings))

    def _plan_course(
        self, plan: _Plan, ci: int, leaf: int, start: date, teacher_first: int | None = None, max_held: int | None = None
    ) -> _Course | None:
        """A class of `leaf` in community `ci` from `start`: a venue with the facilities, a teacher within
        reach, a weekly slot free for both in that term; None when nothing fits."""
        rng = self.rng
        ti = next(i for i, (_t, a, b) in enumerate(plan.terms) if a <= start <= b)
        term, _a, term_end = plan.terms[ti]
        spec = self.leaves[leaf]
        c = self.communities[ci]
        venue_idx = [v for v in c.venues if set(spec.facilities) <= self.venues[v].facilities]
        rng.shuffle(venue_idx)
        for v in venue_idx:
            venue = self.venues[v]
            candidates = [
                t
                for t in self.teachers_by_leaf.get(leaf, [])
                if plan.teacher_load[ti, t] < self.teachers[t].max_weekly
                and _km(self.teachers[t].lat, self.teachers[t].lon, venue.lat, venue.lon)
                <= self.teachers[t].max_km
            ]
            if teacher_first is not None:
                candidates = [t for t in candidates if t == teacher_first]
            if not candidates:
                continue
            slots = [s for s in venue.open_slots if (ti, v, s) not in self.venue_busy]
            rng.shuffle(slots)
            for s in slots:
                free = [
                    t
                    for t in candidates
                    if s in self.teachers[t].free_slots and (ti, t, s) not in plan.teacher_busy
                ]
                if not free:
                    continue
                t = rng.choice(free)
                weekday = self.slots[s].weekday
                first = start + timedelta(days=(weekday - start.weekday()) % 7)
                weeks = rng.randint(8, 16)
                dates = [
                    first + timedelta(weeks=w)
                    for w in range(weeks)
                    if first + timedelta(weeks=w) <= term_end
                ]
                if len(dates) < 3:
                    continue
                if max_held is not None:
                    # The last class of the loop starts later, so the sessions held hit the target exactly.
                    n_past = sum(1 for d in dates if self.at(d, self.slots[s].end) <= self.now)
                    dates = dates[max(0, n_past - max_held) :]
                self.venue_busy.add((ti, v, s))
                plan.teacher_busy.add((ti, t, s))
                plan.teacher_load[ti, t] += 1
                return self._course(ci, leaf, v, t, s, term, dates)
        return None

    def _plan_demo_teacher_classes(self, plan: _Plan) -> int:
        """The demo teacher's classes in the demo community: one running now, one finished last term."""
        held = 0
        demo_ci = 0
        for leaf_name, start in (
            ("智能手机使用", self.today - timedelta(weeks=5)),
            ("书法", plan.terms[1][1] + timedelta(weeks=2)),
        ):
            course = self._plan_course(plan, demo_ci, self.leaf_index[leaf_name], start, teacher_first=0)
            if course:
                self.courses.append(course)
                held += self._held(course)
        return held

    def _plan_classes(self, plan: _Plan, held: int, *, span: int, window_start: date) -> None:
        """Classes at random communities, interests and start days until the scale's sessions held are reached."""
        rng = self.rng
        attempts = 0
        with self.bar(self.scale.held_sessions, "sessions held") as bar:
            bar.update(held)
            while held < self.scale.held_sessions:
                attempts += 1
                if attempts > 50 * self.scale.held_sessions:
                    raise DemoDataError(
                        "Could not place enough classes: too few venues or teachers for this scale."
                    )
                ci = _weighted(rng, self.community_cum)
                leaf = _weighted(rng, self.leaf_cum)
                course = self._plan_course(
                    plan,
                    ci,
                    leaf,
                    window_start + timedelta(days=rng.randint(0, span)),
                    max_held=self.scale.held_sessions - held,
                )
                if course:
                    self.courses.append(course)
                    n = self._held(course)
                    held += n
                    bar.update(n)

    def _insert_sessions(self) -> None:
        from activities.models import Session

        sessions = []
        for course in self.courses:
            slot = self.slots[course.slot]
            venue = self.venues[course.venue]
            for day in course.dates:
                starts, ends = self.at(day, slot.start), self.at(day, slot.end)
                status = (
                    "cancelled"
                    if day in course.cancelled_dates
                    else "held"
                    if ends <= self.now
                    else "scheduled"
                )
                session = Session(
                    course_id=course.obj.pk,
                    venue_id=venue.id,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=course.obj.capacity,
                    status=status,
                )
                course.session_objs.append(session)
                sessions.append(session)
        with self.bar(len(sessions), "sessions") as bar:
            self.insert(Session, sessions, bar)

    def _session_bookings(self) -> list:
        """Each session's venue booking: some upcoming ones still wait for an owner who confirms."""
        from venues.models import Booking

        rng = self.rng
        bookings = []
        for course in self.courses:
            venue = self.venues[course.venue]
            staff = self.communities[course.community].staff_id
            for session in course.session_objs:
                if session.status == "cancelled":
                    status = "cancelled"
                elif session.status == "scheduled" and venue.requires_confirmation and rng.random() < 0.3:
                    status = "pending"
                else:
                    status = "confirmed"
                bookings.append(
                    Booking(
                        venue_id=venue.id,
                        starts_at=session.starts_at,
                        ends_at=session.ends_at,
                        status=status,
                        session_id=session.pk,
                        purpose=course.obj.title,
                        booked_by_id=staff,
                    )
                )
        return bookings

    def _meeting_bookings(self, plan: _Plan) -> list:
        """Consultation meetings (协商议事) in free (venue, slot) pairs of the current term: bookings without a
        session."""
        from venues.models import Booking

        rng = self.rng
        bookings = []
        ti = len(plan.terms) - 1
        for ci, c in enumerate(self.communities):
            for v in c.venues[:1]:
                free = [
                    s
                    for s in self.venues[v].open_slots
                    if (ti, v, s) not in self.venue_busy and self.slots[s].start.hour >= 14
                ]
                if not free:
                    continue
                s = rng.choice(free)
                self.venue_busy.add((ti, v, s))
                day = self.today + timedelta(days=(self.slots[s].weekday - self.today.weekday()) % 7 + 7)
                if day > self.terms[-1].ends_on:
                    continue
                bookings.append(
                    Booking(
                        venue_id=self.venues[v].id,
                        starts_at=self.at(day, self.slots[s].start),
                        ends_at=self.at(day, self.slots[s].end),
                        status="confirmed",
                        purpose="居民议事会（协商议事）",
                        booked_by_id=self.communities[ci].staff_id,
                    )
                )
        return bookings

    def _held(self, course: _Course) -> int:
        end = self.slots[course.slot].end
        return sum(1 for d in course.dates if self.at(d, end) <= self.now and d not in course.cancelled_dates)


    def _course(self, ci: int, leaf: int, v: int, t: int, s: int, term, dates: list[date]) -> _Course:
        from activities.models import Course

        rng = self.rng
        spec = self.leaves[leaf]
        venue = self.venues[v]
        capacity = min(spec.max_size, venue.capacity)
        closed = self.at(dates[-1], self.slots[s].end) <= self.now
        started = self.at(dates[0], self.slots[s].start) <= self.now
        fill = rng.uniform(0.7, 1.0) if started or closed else rng.uniform(0.3, 1.0)
        if spec.name in FAVOURITES["old"] and rng.random() < 0.4:
            fill = 1.0  # the most ordered interests' classes fill up and keep a waiting list
        n_conf = max(min(spec.min_size, capacity), min(capacity, round(capacity * fill)))
        first = [self.demo_resident] if ci == 0 and t == 0 else []
        chosen = self._pick(
            ci,
            leaf,
            n_conf + (rng.randint(1, 5) if n_conf == capacity else 0) + rng.randint(0, 2),
            first=first,
        )
        confirmed = chosen[:n_conf]
        rest = chosen[n_conf:]
        if n_conf == capacity:
            waitlisted, cancelled = rest[:-1] if len(rest) > 1 else rest, rest[-1:] if len(rest) > 1 else []
        else:
            waitlisted, cancelled = [], rest
        groups = self.groups_by.get((ci, leaf))
        level = rng.choice(["入门班", "提高班", "兴趣班", "公益课"])
        title = f"{spec.name}{level}"
        obj = Course(
            title=title,
            category_id=self.leaf_ids[leaf],
            community_id=self.communities[ci].id,
            teacher_id=self.teachers[t].id,
            group_id=groups[0] if groups and rng.random() < 0.6 else None,
            term_id=term.pk,
            slot_id=self.slots[s].pk,
            venue_id=venue.id,
            description=f"{self.communities[ci].name}社区学院{spec.name}课程，每周{'一二三四五六日'[self.slots[s].weekday]}"
            f"{self.slots[s].start:%H:%M}上课，共{len(dates)}次。",
            capacity=capacity,
            confirmed_count=len(confirmed),
            status="closed" if closed else "open",
        )
        # A few meetings are called off (teacher ill, rain on the square …); their bookings are cancelled too.
        called_off = frozenset(d for d in dates if rng.random() < 0.02)
        return _Course(obj, ci, leaf, v, t, s, dates, confirmed, waitlisted, cancelled, closed, called_off)


    def stage_registrations(self) -> None:
        from activities.models import Registration

        rng = self.rng
        regs = []
        for k, course in enumerate(self.courses):
            first_start = self.at(course.dates[0], self.slots[course.slot].start)
            opened = first_start - timedelta(days=21)
            for status, people in (
                ("confirmed", course.confirmed),
                ("waitlisted", course.waitlisted),
                ("cancelled", course.cancelled),
            ):
                for r in people:
                    created = min(self.now, opened + timedelta(minutes=rng.randint(0, 20 * 24 * 60)))
                    order = self.order_of.get((k, r))
                    if order is not None:
                        created = max(created, order.dispatched_at)
                    changed = (
                        min(self.now, created + timedelta(days=rng.randint(1, 10)))
                        if status == "cancelled"
                        else created
                    )
                    user = self.res_ids[r]
                    placed_by = (
                        self.communities[course.community].staff_id
                        if order is None and rng.random() < 0.15
                        else user
                    )
                    regs.append(
                        Registration(
                            course_id=course.obj.pk,
                            resident_id=user,
                            status=status,
                            order=order,
                            placed_by_id=placed_by,
                            created=created,
                            status_changed=changed,
                        )
                    )
        self.insert_all((Registration, regs))


    def stage_attendance(self) -> None:
        """Attendance for held sessions, ratings by some who came, and policy talks before class."""
        from activities.models import Attendance, PolicyTalk
        from ratings.models import SessionRating

        rng = self.rng
        attendance, ratings, talks = [], [], []
        star_values, star_cum = zip(*STAR_WEIGHTS, strict=True)
        star_cum = list(accumulate(star_cum))
        # Per (community, month): sessions held, attendances, sum of stars, ratings.
        self.month_stats: dict[tuple[int, date], list] = defaultdict(lambda: [0, 0, 0, 0])
        for course in self.courses:
            teacher_id = self.teachers[course.teacher].id
            keen = {r: rng.uniform(0.6, 0.98) for r in course.confirmed}
            bias = rng.choice((0, 0, 0, 1, -1))  # some classes simply go better than others
            for session in course.session_objs:
                if session.status == "cancelled":
                    continue
                if rng.random() < self.scale.talk_share:
                    d = _weighted(rng, self.department_cum)
                    name, _kind, topics, _w = DEPARTMENTS[d]
                    status = (
                        "held"
                        if session.status == "held"
                        else rng.choice(("proposed", "confirmed", "confirmed"))
                    )
                    talks.append(
                        PolicyTalk(
                            session_id=session.pk,
                            department_id=self.departments[d].pk,
                            topic=rng.choice(topics),
                            speaker=self.name(),
                            status=status,
                        )
                    )
                if session.status != "held":
                    continue
                local = timezone.localtime(session.starts_at, self.tz).date()
                stats = self.month_stats[course.community, local.replace(day=1)]
                stats[0] += 1
                recorded = session.ends_at + timedelta(minutes=10)
                for r, p in keen.items():
                    came = rng.random() < p
                    user = self.res_ids[r]
                    attendance.append((session.pk, user, came, recorded))
                    if not came:
                        continue
                    stats[1] += 1
                    if rng.random() < 0.3:
                        stars = max(
                            1,
                            min(
                                5, star_values[_weighted(rng, star_cum)] + (bias if rng.random() < 0.5 else 0)
                            ),
                        )
                        created = min(
                            self.now, session.ends_at + timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                        )
                        comment = rng.choice(RATING_COMMENTS[stars]) if rng.random() < 0.6 else ""
                        ratings.append((session.pk, user, teacher_id, stars, comment, created))
                        stats[2] += stars
                        stats[3] += 1
        with self.bar(len(attendance) + len(ratings)) as bar:
            self.insert_rows(
                Attendance, ["session_id", "resident_id", "attended", "recorded_at"], attendance, bar
            )
            self.insert_rows(
                SessionRating,
                ["session_id", "resident_id", "teacher_id", "stars", "comment", "created"],
                ratings,
                bar,
            )
        self.insert_all((PolicyTalk, talks))


    def stage_stars(self) -> None:
        """Six months of star ratings per college; the college's level is its latest record."""
        from accounts.models import College
        from ratings.models import CollegeStarRecord

        rng = self.rng
        months = []
        first = self.today.replace(day=1)
        for _ in range(6):
            first = (first - timedelta(days=1)).replace(day=1)
            months.append(first)
        months.reverse()
        records = []
        for ci, (c, college) in enumerate(zip(self.communities, self.colleges, strict=True)):
            score = rng.uniform(55, 90)
            for month in months:
                score = max(30.0, min(99.0, score + rng.gauss(0.8, 4)))
                stars = (
                    5 if score >= 90 else 4 if score >= 80 else 3 if score >= 70 else 2 if score >= 60 else 1
                )
                held, present, star_sum, n_ratings = self.month_stats.get((ci, month), [0, 0, 0, 0])
                indicators = {
                    "sessions_held": held,
                    "attendances": present,
                    "average_rating": round(star_sum / n_ratings, 2) if n_ratings else None,
                    "residents": len(c.residents),
                }
                computed = self.at((month + timedelta(days=32)).replace(day=1), time(9))
                records.append(
                    CollegeStarRecord(
                        college_id=college.pk,
                        period=month,
                        score=round(score, 1),
                        stars=stars,
                        indicators=indicators,
                        computed_at=computed,
                    )
                )
            college.stars = records[-1].stars
        self.insert_all((CollegeStarRecord, records))
        College.objects.bulk_update(self.colleges, ["stars"], batch_size=BATCH_SIZE)
