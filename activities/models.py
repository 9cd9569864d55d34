"""Classes as they really happen: courses, their sessions, registrations, attendance, policy talks."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from community_college.models import Weekday
from interests.enums import OrderChannel, OrderStatus

from .dispatch.enums import (
    Consent,
    MatchRunStatus,
    MatchScope,
    MatchSolver,
    MemberConsent,
    NearMissRelaxation,
    NearMissStatus,
    ProposedClassStatus,
    UnassignedReason,
)
from .enums import (
    ACCEPTED_TALK_STATUSES,
    AttendanceSource,
    AttendanceStatus,
    CertificateKind,
    CourseKind,
    CourseStatus,
    MediaStatus,
    PolicyTalkSide,
    PolicyTalkStatus,
    ReconfirmationReason,
    ReconfirmationStatus,
    RegistrationStatus,
    SessionStatus,
    ShowcaseKind,
    ShowcaseStatus,
    StoryStatus,
    TermStatus,
    VolunteerShiftStatus,
)


class Term(models.Model):
    """A district's term: each district keeps its own calendar, so a name is unique within its district."""

    district = models.ForeignKey(
        "accounts.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="terms"
    )
    name = models.CharField(_("name"), max_length=60)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    # Moved by `activities.services.lifecycle_advance` (a beat task) from the dates; never typed in.
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TermStatus.choices,
        default=TermStatus.UPCOMING,
        db_default=TermStatus.UPCOMING,
        editable=False,
    )
    # Set by `activities.completion.term_certificates_issue` once the ended term's certificates are out.
    certificates_issued_at = models.DateTimeField(_("certificates issued"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lt=F("ends_on")), name="term_start_before_end"),
            models.UniqueConstraint(fields=["district", "name"], name="term_name_unique_in_district"),
        ]

    def __str__(self) -> str:
        return self.name


class WeeklySlot(models.Model):
    """A weekly time window classes are scheduled in (the matching service's `slots`)."""

    code = models.SlugField(_("code"), max_length=20, unique=True, help_text=_("For example mon-0900."))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly time slot")
        verbose_name_plural = _("weekly time slots")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="weeklyslot_start_before_end"),
            models.UniqueConstraint(fields=["weekday", "start"], name="weeklyslot_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Course(models.Model):
    """A class (课程): an interest taught by one teacher, usually weekly through a term."""

    title = models.CharField(_("title"), max_length=100)
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="courses"
    )
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="courses"
    )
    teacher = models.ForeignKey(
        "teachers.Teacher",
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="courses",
        null=True,
        blank=True,
    )
    group = models.ForeignKey(
        "interests.InterestGroup",
        verbose_name=_("interest group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
    )
    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.PROTECT, related_name="courses", null=True, blank=True)
    slot = models.ForeignKey(
        WeeklySlot, verbose_name=_("weekly time"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("usual venue"), on_delete=models.PROTECT, null=True, blank=True, related_name="courses"
    )
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    # Kept by the registration service in the same UPDATE that checks it, so the database
    # refuses an oversold class even when two residents take the last place at once.
    confirmed_count = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=CourseStatus.choices, default=CourseStatus.OPEN)
    # Before this moment only holders of a priority pass (activities.priority) may register; empty: open now.
    registration_opens_at = models.DateTimeField(_("registration opens at"), null=True, blank=True)
    # Database default too: the demo data inserts courses with COPY, naming only the older columns.
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=CourseKind.choices,
        default=CourseKind.CLASS,
        db_default=CourseKind.CLASS,
        editable=False,
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="course_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("capacity")), name="course_not_oversold"),
        ]
        indexes = [models.Index(fields=["community", "status"], name="course_community_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def free_places(self) -> int:
        return max(0, self.capacity - self.confirmed_count)


class Session(models.Model):
    """One meeting of a class (an activity): a venue, a start and an end."""

    course = models.ForeignKey(Course, verbose_name=_("class"), on_delete=models.CASCADE, related_name="sessions")
    venue = models.ForeignKey(
        "venues.Venue",
        verbose_name=_("venue"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("seats"), validators=[MinValueValidator(1)], help_text=_("Seats in the room for this meeting.")
    )
    status = models.CharField(_("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_start_before_end"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
        ]
        indexes = [models.Index(fields=["course", "starts_at"], name="session_course_start_idx")]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.course} · {local:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("The end must be later than the start.")})


def held_q(prefix: str = "", *, now=None) -> Q:
    """The one definition of a held meeting: marked held, or scheduled and over (its end is not after `now`).

    The beat task (`activities.tasks.advance_lifecycle`) marks such sessions held; until it has run, every
    reader counts them the same way through this. `prefix` leads from another model ("session__").
    """
    now = now or timezone.now()
    return Q(**{f"{prefix}status": SessionStatus.HELD}) | Q(
        **{f"{prefix}status": SessionStatus.SCHEDULED, f"{prefix}ends_at__lte": now}
    )


def session_is_held(session, *, now=None) -> bool:
    """`held_q` for one session already in memory."""
    now = now or timezone.now()
    return session.status == SessionStatus.HELD or (
        session.status == SessionStatus.SCHEDULED and session.ends_at <= now
    )


class Registration(models.Model):
    """A resident's place in a class, or their place on its waiting list."""

    course = models.ForeignKey(Course, verbose_name=_("class"), on_delete=models.CASCADE, related_name="registrations")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices)
    order = models.ForeignKey(
        "activities.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("placed by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The waiting list is served in the order residents joined it.
    created = models.DateTimeField(_("registered at"), default=timezone.now)
    status_changed = models.DateTimeField(_("status changed"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created", "id"]
        constraints = [
            # A double-click makes one registration: at most one live registration per class and resident.
            models.UniqueConstraint(
                fields=["course", "resident"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="registration_one_live_per_course",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status", "created"], name="registration_waitlist_idx"),
            models.Index(fields=["resident", "status"], name="registration_resident_idx"),
            # The waiting list alone, in the order it is served: who is ahead of a resident, and who is
            # first, are read from it without visiting the class's confirmed places (and without statistics,
            # which a freshly filled table lacks, the planner picks it over the wider indexes).
            models.Index(
                fields=["course", "created", "id"],
                condition=Q(status="waitlisted"),
                name="registration_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.course}"


class WaitingList(models.Model):
    """How many registrations of a class are on its waiting list: kept by the database, never by Python.

    On PostgreSQL, statement triggers on the registrations table (migration 0014) add and subtract every
    change of a registration to or from `waitlisted`, whatever makes it (services, the admin, a bulk update,
    a cascade), so the count is true in the same transaction as the rows. The registration statement
    (registration_sql.py) reads it, locked, after the class row: a new resident's place in the queue without
    counting the queue (which grows with every registration of a rush). SQLite has no triggers here: there
    the rows stay empty and the waiting list is counted, as before.
    """

    course = models.OneToOneField(
        Course, verbose_name=_("class"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # Signed: a count the triggers got wrong shows as a wrong number, never as a refused cancellation.
    waiting = models.IntegerField(_("waiting"), default=0)

    class Meta:
        verbose_name = _("waiting list length")
        verbose_name_plural = _("waiting list lengths")

    def __str__(self) -> str:
        return f"{self.course_id}: {self.waiting}"


class PriorityPass(models.Model):
    """A pass to register for one class `days_early` days before registration opens to everyone.

    Granted by a layer above (a recognition's honours, ratings.recognition) and enforced by the registration
    service through `activities.priority`; `reason` says where the pass came from, for staff and the holder.
    """

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.CASCADE, related_name="priority_passes"
    )
    course = models.ForeignKey(Course, verbose_name=_("class"), on_delete=models.CASCADE, related_name="priority_passes")
    days_early = models.PositiveSmallIntegerField(_("days before everyone"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=200)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("priority pass")
        verbose_name_plural = _("priority passes")
        constraints = [
            models.UniqueConstraint(fields=["holder", "course"], name="priority_pass_once_per_class"),
            models.CheckConstraint(condition=Q(days_early__gte=1), name="priority_pass_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} · {self.course}"


class Attendance(models.Model):
    """One resident at one meeting, as the roll call recorded them (`activities.services.attendance_record`).

    `attended` is what every reader counts (feedback, 返单, the attendance rate); `excused` tells an excused
    absence from a plain one, and `walk_in` a resident who came without a registration.
    """

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="attendances"
    )
    attended = models.BooleanField(_("attended"), default=True)
    # Database defaults too: the demo data inserts attendance with COPY, naming only the older columns.
    excused = models.BooleanField(_("excused"), default=False, db_default=False)
    walk_in = models.BooleanField(
        _("walk-in"), default=False, db_default=False, help_text=_("Came without a registration.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(
        _("recorded through"),
        max_length=20,
        choices=AttendanceSource.choices,
        default=AttendanceSource.ROLL_CALL,
        db_default=AttendanceSource.ROLL_CALL,
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "resident"], name="attendance_unique"),
            models.CheckConstraint(condition=~Q(attended=True, excused=True), name="attendance_present_not_excused"),
            models.CheckConstraint(condition=~Q(walk_in=True, attended=False), name="attendance_walk_in_present"),
        ]
        indexes = [models.Index(fields=["resident", "attended"], name="attendance_resident_idx")]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.session}"

    @property
    def status(self) -> str:
        if self.attended:
            return AttendanceStatus.PRESENT
        return AttendanceStatus.EXCUSED if self.excused else AttendanceStatus.ABSENT


class PolicyTalkQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # The seeding of demo data inserts talks in bulk, past `save()`: keep the mirror there too.
        objs = list(objs)
        for obj in objs:
            obj.sync_accepted_session()
        return super().bulk_create(objs, *args, **kwargs)


class PolicyTalk(models.Model):
    """课前5分钟: a short civic or policy talk given by a department at the start of a session.

    Departments and communities choose each other (双选): a department's liaison proposes a talk on a session,
    or a community's staff invite a department to one; the other side accepts or declines. A session may
    collect several proposals and invitations, but at most one talk is accepted for it.
    """

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="talks"
    )
    # Mirrors `session` while the talk is accepted (confirmed or held), so that `session.policy_talk` is the
    # one talk residents see, joinable with select_related; kept by `save()`, checked by the database.
    accepted_session = models.OneToOneField(
        Session,
        verbose_name=_("accepted for session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="policy_talk",
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="talks"
    )
    topic = models.CharField(_("topic"), max_length=120)
    speaker = models.CharField(_("speaker"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PolicyTalkStatus.choices, default=PolicyTalkStatus.PROPOSED
    )
    initiated_by = models.CharField(
        _("initiated by"), max_length=20, choices=PolicyTalkSide.choices, default=PolicyTalkSide.DEPARTMENT
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PolicyTalkQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy talk")
        verbose_name_plural = _("policy talks")
        ordering = ["-created"]
        constraints = [
            # The two-way choice may collect many offers for a session; only one talk opens it.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status__in=ACCEPTED_TALK_STATUSES),
                name="policy_talk_one_accepted_per_session",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=ACCEPTED_TALK_STATUSES, accepted_session=F("session"))
                    | (~Q(status__in=ACCEPTED_TALK_STATUSES) & Q(accepted_session__isnull=True))
                ),
                name="policy_talk_accepted_session_mirrors_status",
            ),
            models.CheckConstraint(
                condition=~Q(status=PolicyTalkStatus.DECLINED) | ~Q(decline_reason=""),
                name="policy_talk_declined_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="policy_talk_dept_status_idx")]

    def __str__(self) -> str:
        return self.topic

    def save(self, *args, **kwargs) -> None:
        self.sync_accepted_session()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "accepted_session"}
        super().save(*args, **kwargs)

    @property
    def is_accepted(self) -> bool:
        return self.status in ACCEPTED_TALK_STATUSES

    def sync_accepted_session(self) -> None:
        self.accepted_session_id = self.session_id if self.is_accepted else None


class TalkSlot(Session):
    """An upcoming session seen as a slot for a policy talk: what a department's liaison browses in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("session open for a policy talk")
        verbose_name_plural = _("sessions open for policy talks")


# --- The matching service (派单): proposals staff review, confirm or discard ------------------------------
# Written only by `activities.dispatch.service`; read through `activities.dispatch.selectors`.


class MatchRun(models.Model):
    """One run of the matching service over a community, a street or the district, and its figures.

    The proposal it made is its `proposed_classes` (with their placements) and its `unassigned` orders.
    """

    scope = models.CharField(_("scope"), max_length=10, choices=MatchScope.choices)
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        "accounts.Street", verbose_name=_("street"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    district = models.ForeignKey(
        "accounts.District", verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.PROTECT, related_name="match_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("run by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(_("run at"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=MatchRunStatus.choices, default=MatchRunStatus.OPEN)
    solver = models.CharField(_("solver"), max_length=10, choices=MatchSolver.choices, default=MatchSolver.SOLVER)
    seed = models.IntegerField(_("random seed"), default=0)
    time_limit = models.FloatField(_("time limit (s)"), default=60.0, validators=[MinValueValidator(0.1)])
    # What the instance held and what the solver made of it (the spec's objective).
    orders_total = models.PositiveIntegerField(_("orders considered"), default=0)
    orders_assigned = models.PositiveIntegerField(_("orders placed"), default=0)
    orders_unlocated = models.PositiveIntegerField(
        _("orders without a location"), default=0, help_text=_("Left out: neither the resident nor the community has a location.")
    )
    teachers = models.PositiveIntegerField(_("teachers available"), default=0)
    venues = models.PositiveIntegerField(_("venues available"), default=0)
    classes = models.PositiveIntegerField(_("classes proposed"), default=0)
    assigned_weight = models.FloatField(_("priority placed"), default=0.0)
    total_weight = models.FloatField(_("priority ordered"), default=0.0)
    walk_km = models.FloatField(_("walking distance (km)"), default=0.0)
    seconds = models.FloatField(_("solver seconds"), default=0.0)
    instance = models.JSONField(_("instance (exchange format)"), null=True, blank=True, editable=False)
    solution = models.JSONField(_("solution (exchange format)"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-created", "-id"]
        constraints = [
            # A run is bound to exactly the node its scope names.
            models.CheckConstraint(
                condition=(
                    Q(scope=MatchScope.COMMUNITY, community__isnull=False, street__isnull=True, district__isnull=True)
                    | Q(scope=MatchScope.STREET, street__isnull=False, community__isnull=True, district__isnull=True)
                    | Q(scope=MatchScope.DISTRICT, district__isnull=False, community__isnull=True, street__isnull=True)
                ),
                name="matchrun_bound_to_its_node",
            ),
            models.CheckConstraint(condition=Q(orders_assigned__lte=F("orders_total")), name="matchrun_assigned_le_total"),
        ]
        indexes = [models.Index(fields=["status", "created"], name="matchrun_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.node} · {timezone.localtime(self.created):%Y-%m-%d %H:%M}"

    @property
    def node(self):
        """The community, street or district the run pooled orders over."""
        return self.community or self.street or self.district


class ProposedClass(models.Model):
    """A class the matching service proposes: an interest, a teacher, a venue and a weekly slot in a term.

    Staff confirm it (a course with its sessions, bookings and registrations is created, the orders are
    dispatched), or discard it; the teacher, and the venue's owner when the venue requires it, accept or
    decline it. While it is proposed its orders, its teacher's slot and its venue's slot are reserved.
    """

    run = models.ForeignKey(MatchRun, verbose_name=_("matching run"), on_delete=models.CASCADE, related_name="proposed_classes")
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="+"
    )
    teacher = models.ForeignKey(
        "teachers.Teacher", verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="proposed_classes"
    )
    venue = models.ForeignKey("venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, related_name="proposed_classes")
    slot = models.ForeignKey(WeeklySlot, verbose_name=_("weekly time"), on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.PROTECT, related_name="+")
    # The venue's community, which will run the class: scope and dashboards filter on it.
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProposedClassStatus.choices, default=ProposedClassStatus.PROPOSED
    )
    teacher_consent = models.CharField(
        _("teacher's answer"), max_length=20, choices=Consent.choices, default=Consent.PENDING
    )
    teacher_answered_at = models.DateTimeField(_("teacher answered at"), null=True, blank=True)
    venue_consent = models.CharField(
        _("venue owner's answer"), max_length=20, choices=Consent.choices, default=Consent.NOT_REQUIRED
    )
    venue_answered_at = models.DateTimeField(_("venue owner answered at"), null=True, blank=True)
    size = models.PositiveSmallIntegerField(_("residents"), default=0)
    # Set when a near miss's "smaller class" relaxation proposed it: the size the teacher accepted.
    min_size = models.PositiveSmallIntegerField(_("smallest size accepted"), null=True, blank=True)
    weight = models.FloatField(_("priority"), default=0.0)
    walk_km = models.FloatField(_("walking distance (km)"), default=0.0)
    course = models.OneToOneField(
        Course, verbose_name=_("class"), on_delete=models.PROTECT, null=True, blank=True, related_name="proposal"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("proposed class")
        verbose_name_plural = _("proposed classes")
        # Creation order is the solution's canonical order: by slot, then venue.
        ordering = ["run_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ProposedClassStatus.CONFIRMED) | Q(course__isnull=False),
                name="proposedclass_confirmed_has_course",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProposedClassStatus.DECLINED)
                | Q(teacher_consent=Consent.DECLINED)
                | Q(venue_consent=Consent.DECLINED),
                name="proposedclass_declined_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(teacher_consent=Consent.NOT_REQUIRED), name="proposedclass_teacher_always_asked"
            ),
            # While proposed, a class holds its teacher's slot and its venue's slot: two runs at once cannot
            # both propose the same teacher or the same room at the same time.
            models.UniqueConstraint(
                fields=["teacher", "slot", "term"],
                condition=Q(status=ProposedClassStatus.PROPOSED),
                name="proposedclass_teacher_slot_once",
            ),
            models.UniqueConstraint(
                fields=["venue", "slot", "term"],
                condition=Q(status=ProposedClassStatus.PROPOSED),
                name="proposedclass_venue_slot_once",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="proposedclass_run_idx"),
            models.Index(fields=["community", "status"], name="proposedclass_community_idx"),
            models.Index(fields=["term", "status"], name="proposedclass_term_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.venue} · {self.slot}"


class ProposedPlacement(models.Model):
    """An order placed in a proposed class."""

    proposed_class = models.ForeignKey(
        ProposedClass, verbose_name=_("proposed class"), on_delete=models.CASCADE, related_name="placements"
    )
    order = models.ForeignKey("activities.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="placements")
    walk_km = models.FloatField(_("walking distance (km)"), default=0.0)
    # True while the class is proposed or confirmed; a declined or discarded class frees its orders.
    active = models.BooleanField(_("holds the order"), default=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["proposed_class_id", "order_id"]
        constraints = [
            models.UniqueConstraint(fields=["proposed_class", "order"], name="placement_unique"),
            # An order sits in one live class at most, whatever runs overlap.
            models.UniqueConstraint(fields=["order"], condition=Q(active=True), name="placement_one_live_per_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} → {self.proposed_class}"


class UnassignedOrder(models.Model):
    """An order a run left out, with the spec's reason; `latest` marks the order's current explanation."""

    run = models.ForeignKey(MatchRun, verbose_name=_("matching run"), on_delete=models.CASCADE, related_name="unassigned")
    order = models.ForeignKey("activities.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    # The order's community and interest, copied so that reason counts need no join.
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=UnassignedReason.choices)
    latest = models.BooleanField(_("latest explanation"), default=True)
    # From the run's instance: other residents waiting for the same interest within the walking circle,
    # and the interest's minimum class size, for the order's page ("3 neighbours …, 2 more to open").
    neighbours = models.PositiveIntegerField(_("neighbours waiting"), null=True, blank=True)
    min_size = models.PositiveSmallIntegerField(_("minimum class size"), null=True, blank=True)

    class Meta:
        verbose_name = _("unplaced order")
        verbose_name_plural = _("unplaced orders")
        ordering = ["run_id", "order_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "order"], name="unassigned_once_per_run"),
            models.UniqueConstraint(fields=["order"], condition=Q(latest=True), name="unassigned_one_latest_per_order"),
            models.CheckConstraint(condition=Q(reason__in=UnassignedReason.values), name="unassigned_reason_valid"),
        ]
        indexes = [
            models.Index(
                fields=["community", "category", "reason"], condition=Q(latest=True), name="unassigned_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id}: {self.get_reason_display()}"


class Order(models.Model):
    """点单: a resident asks for a class in an interest. Moves only through `activities.orders`.

    Its tables keep the names they had when orders lived in `interests` (moved in activities 0006).
    """

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="orders"
    )
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="orders"
    )
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="orders")
    note = models.TextField(_("note"), blank=True, max_length=500)
    preferred_slots = models.ManyToManyField(
        WeeklySlot, verbose_name=_("preferred times"), blank=True, related_name="+"
    )
    weight = models.FloatField(
        _("priority"), default=1.0, validators=[MinValueValidator(0.01), MaxValueValidator(100)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=OrderChannel.choices, default=OrderChannel.WEB)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who entered the order: the resident, or staff taking it by phone or at the desk."),
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("class"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    # Stamps of the loop, kept on the row so funnel medians need no join; OrderEvent holds who acted.
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(table_name="interests_historicalorder")

    class Meta:
        db_table = "interests_order"
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.REJECTED) | ~Q(reject_reason=""), name="order_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.COMPLETED])
                | Q(accepted_at__isnull=False),
                name="order_accepted_is_stamped",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[OrderStatus.DISPATCHED, OrderStatus.COMPLETED]) | Q(dispatched_at__isnull=False),
                name="order_dispatched_is_stamped",
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="order_completed_is_stamped",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="order_weight_positive"),
            # One open order per resident and interest: a double-click makes one order.
            models.UniqueConstraint(
                fields=["resident", "category"],
                condition=Q(status__in=["submitted", "accepted", "dispatched"]),
                name="order_one_open_per_interest",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "submitted_at"], name="order_inbox_idx"),
            models.Index(fields=["category", "status"], name="order_category_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} · {self.resident}"


class OrderEvent(models.Model):
    """One step of an order's timeline: who moved it, from what to what, when."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        db_table = "interests_orderevent"
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order", "at", "id"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.from_status or '∅'} → {self.to_status}"


class Certificate(models.Model):
    """A certificate (证书) issued to one person: its facts are copied in when it is issued and never change.

    Issued only by `activities.certificates.certificate_issue`, once per (kind, holder, subject): `subject`
    names what it is for ("course:12", "term:3:teacher", "round:4:category:2"), so issuing again returns
    the same certificate. The public page /certificates/<code>/ shows these facts and nothing else.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=CertificateKind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="certificates"
    )
    subject = models.CharField(_("subject"), max_length=100)
    code = models.CharField(_("verification code"), max_length=20, unique=True)
    holder_name = models.CharField(_("name"), max_length=60)
    college_name = models.CharField(_("college"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=120)
    course_title = models.CharField(_("class or category"), max_length=200, blank=True)
    teacher_name = models.CharField(_("teacher"), max_length=60, blank=True)
    hours = models.DecimalField(
        _("hours"), max_digits=7, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    # What it was issued for, when that is a class or a term: for lists and the recognition round's figures.
    course = models.ForeignKey(
        Course, verbose_name=_("class"), on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )
    term = models.ForeignKey(
        Term, verbose_name=_("term"), on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "holder", "subject"], name="certificate_once_per_subject"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__isnull=True) | Q(period_start__lte=F("period_end")),
                name="certificate_period_in_order",
            ),
        ]
        indexes = [models.Index(fields=["holder", "-issued_at"], name="certificate_holder_idx")]

    def __str__(self) -> str:
        return f"{self.title} · {self.holder_name} · {self.code}"


class Reconfirmation(models.Model):
    """A confirmed resident asked to reconfirm their place before one session (`activities.noshow`).

    Asked RECONFIRM_ASK_HOURS before the session when the class has a waiting list (or the resident is under
    the no-show rule); a place not reconfirmed by RECONFIRM_DEADLINE_HOURS before goes to the waiting list.
    The rows are the resident's timeline of these steps.
    """

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="reconfirmations"
    )
    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="reconfirmations")
    # Copied from the registration so the resident's list and the sweep need no join.
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="reconfirmations"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=ReconfirmationReason.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ReconfirmationStatus.choices, default=ReconfirmationStatus.ASKED
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    deadline = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconfirmation")
        verbose_name_plural = _("reconfirmations")
        ordering = ["-asked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "session"], name="reconfirmation_once_per_session"),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="reconfirmation_due_idx"),
            models.Index(fields=["resident", "-asked_at"], name="reconfirmation_resident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.session}"


class NoShowRule(models.Model):
    """A resident absent without notice from NOSHOW_LIMIT sessions of a term must reconfirm every session of
    that term. Imposed by `activities.noshow.noshow_rules_impose`; staff lift it (`noshow_rule_lift`)."""

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="noshow_rules"
    )
    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.CASCADE, related_name="noshow_rules")
    # Whose staff may lift it: the resident's home community (else the community of their classes).
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    absences = models.PositiveIntegerField(_("absences without notice"))
    imposed_at = models.DateTimeField(_("imposed at"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lifted by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(_("reason for lifting"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("no-show rule")
        verbose_name_plural = _("no-show rules")
        ordering = ["-imposed_at", "-id"]
        # Once per term: a rule staff lifted is not imposed again in the same term.
        constraints = [models.UniqueConstraint(fields=["resident", "term"], name="noshow_rule_once_per_term")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.term}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class VolunteerShift(models.Model):
    """Hours a volunteer helped at one session, recorded by the class's teacher or staff and confirmed by staff
    (`activities.volunteering`). Only confirmed hours count and go on the hours certificate."""

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="volunteer_shifts"
    )
    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.PROTECT, related_name="volunteer_shifts")
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    task = models.CharField(_("what they did"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=VolunteerShiftStatus.choices, default=VolunteerShiftStatus.RECORDED
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer hours")
        verbose_name_plural = _("volunteer hours")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "session"], name="volunteer_shift_once_per_session"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="volunteer_shift_hours_positive"),
        ]
        indexes = [models.Index(fields=["volunteer", "status"], name="volunteer_shift_idx")]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.session} · {self.hours}"
class NearMiss(models.Model):
    """A group of unplaced orders that one relaxation would turn into a class (or into members of a group).

    Found by a run (`activities.matching.near_miss` on the run's instance); staff apply it, the residents
    whose walk, time or interest would change are asked, and the class is proposed once enough agree.
    Written only by `activities.dispatch.near_miss`.
    """

    run = models.ForeignKey(MatchRun, verbose_name=_("matching run"), on_delete=models.CASCADE, related_name="near_misses")
    relaxation = models.CharField(_("relaxation"), max_length=10, choices=NearMissRelaxation.choices)
    category = models.ForeignKey("interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="+")
    # The venue's community (or the group's): scope and dashboards filter on it.
    community = models.ForeignKey("accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    venue = models.ForeignKey("venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    slot = models.ForeignKey(WeeklySlot, verbose_name=_("weekly time"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    teacher = models.ForeignKey("teachers.Teacher", verbose_name=_("teacher"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    group = models.ForeignKey(
        "interests.InterestGroup", verbose_name=_("interest group"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    needed = models.PositiveSmallIntegerField(_("minimum class size"))
    min_size = models.PositiveSmallIntegerField(_("size it opens with"))
    radius_km = models.FloatField(_("farthest walk (km)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=NearMissStatus.choices, default=NearMissStatus.OPEN)
    asked_at = models.DateTimeField(_("residents asked at"), null=True, blank=True)
    deadline = models.DateTimeField(_("answers due by"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_class = models.OneToOneField(
        ProposedClass, verbose_name=_("proposed class"), on_delete=models.SET_NULL, null=True, blank=True, related_name="near_miss"
    )

    class Meta:
        verbose_name = _("near miss")
        verbose_name_plural = _("near misses")
        ordering = ["run_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NearMissStatus.values), name="nearmiss_status_valid"),
            models.CheckConstraint(condition=Q(min_size__gte=1) & Q(min_size__lte=F("needed")), name="nearmiss_min_size_range"),
            models.CheckConstraint(
                condition=~Q(status=NearMissStatus.ASKING) | Q(deadline__isnull=False), name="nearmiss_asking_has_deadline"
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="nearmiss_community_idx")]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_relaxation_display()}"


class NearMissMember(models.Model):
    """An order of a near miss; `extra` orders join only under the relaxation and are asked first."""

    near_miss = models.ForeignKey(NearMiss, verbose_name=_("near miss"), on_delete=models.CASCADE, related_name="members")
    order = models.ForeignKey("Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="near_misses")
    extra = models.BooleanField(_("joins under the relaxation"), default=False)
    consent = models.CharField(_("answer"), max_length=10, choices=MemberConsent.choices, default=MemberConsent.NOT_ASKED)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("near-miss order")
        verbose_name_plural = _("near-miss orders")
        ordering = ["near_miss_id", "order_id"]
        constraints = [
            models.UniqueConstraint(fields=["near_miss", "order"], name="nearmissmember_unique"),
            models.CheckConstraint(
                condition=Q(extra=True) | Q(consent=MemberConsent.NOT_ASKED), name="nearmissmember_only_extra_asked"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} · {self.near_miss}"


class WaitingNotice(models.Model):
    """The one "still waiting" notice an accepted order gets after WAIT_NOTICE_DAYS (sent once per order)."""

    order = models.OneToOneField("Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("waiting notice")
        verbose_name_plural = _("waiting notices")

    def __str__(self) -> str:
        return f"#{self.order_id} @ {self.sent_at:%Y-%m-%d}"
# --- Showcases (兴趣展示) and stories (人物故事) -------------------------------------------------------------
# Written only by `activities.showcases`; read through `activities.showcase_selectors`.


class Showcase(models.Model):
    """兴趣展示: a group or a class shows what it made — a performance, an exhibition, a match, an open class.

    Proposed by the group's leader or the class's teacher (or staff), approved by staff. Its audience is the
    `audience` course (kind "showcase") with one session holding the venue's booking: residents register
    through `activities.services.registration_create`, with the same capacity guard and waiting list as a class.
    """

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ShowcaseKind.choices)
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="showcases"
    )
    group = models.ForeignKey(
        "interests.InterestGroup",
        verbose_name=_("interest group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="showcases",
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="showcases",
        help_text=_("The class that shows its work (a group's showcase has none)."),
    )
    audience = models.OneToOneField(
        Course, verbose_name=_("audience"), on_delete=models.PROTECT, related_name="showcase", editable=False
    )
    venue = models.ForeignKey("venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, related_name="showcases")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    programme = models.TextField(_("programme"), max_length=2000)
    participants = models.TextField(
        _("participants"), max_length=1000, help_text=_("Who performs or exhibits: names or teams.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ShowcaseStatus.choices, default=ShowcaseStatus.PROPOSED, editable=False
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("showcase")
        verbose_name_plural = _("showcases")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="showcase_start_before_end"),
            # Shown by a group or by a class, never both nor neither.
            models.CheckConstraint(
                condition=Q(group__isnull=False, course__isnull=True) | Q(group__isnull=True, course__isnull=False),
                name="showcase_group_or_class",
            ),
            models.CheckConstraint(
                condition=~Q(status=ShowcaseStatus.REJECTED) | ~Q(decision_note=""), name="showcase_rejected_with_reason"
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "starts_at"], name="showcase_community_idx")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("The end must be later than the start.")})

    @property
    def is_over(self) -> bool:
        return self.ends_at <= timezone.now()


class Story(models.Model):
    """人物故事: a short story of a person or a case, written by staff, published with the subject's consent.

    Generic on purpose: the subject may be a registered person or only a name, and a story may tell of a
    showcase; other parts of the portal (the 榜样 wall) link their own records to a story.
    """

    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="stories"
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("story"), max_length=3000)
    subject_name = models.CharField(_("about"), max_length=60, blank=True, help_text=_("The person or case told of."))
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stories",
    )
    showcase = models.ForeignKey(
        Showcase, verbose_name=_("showcase"), on_delete=models.SET_NULL, null=True, blank=True, related_name="stories"
    )
    consent_recorded = models.BooleanField(
        _("consent recorded"), default=False, help_text=_("The people in the story agreed to its publication.")
    )
    consent_note = models.CharField(
        _("how consent was given"), max_length=200, blank=True, help_text=_("For example: signed form, 2026-12-01.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=StoryStatus.choices, default=StoryStatus.DRAFT, editable=False
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        ordering = ["-published_at", "-created", "-id"]
        constraints = [
            # Nothing is published without the recorded consent of the people in it.
            models.CheckConstraint(
                condition=~Q(status=StoryStatus.PUBLISHED) | Q(consent_recorded=True, published_at__isnull=False),
                name="story_published_with_consent",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="story_community_idx")]

    def __str__(self) -> str:
        return self.title


class ShowcaseMedia(models.Model):
    """A photo of a showcase or of a story, stored by `community_college.uploads` (re-encoded: no EXIF, no GPS;
    outside the web root); shown only once staff have approved it, and only with the uploader's word that the
    people in it agreed."""

    showcase = models.ForeignKey(
        Showcase, verbose_name=_("showcase"), on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    story = models.ForeignKey(
        Story, verbose_name=_("story"), on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    # The showcase's or story's community, copied so that scope and walls filter without a join.
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    name = models.CharField(_("file"), max_length=200, editable=False)
    thumbnail = models.CharField(_("thumbnail"), max_length=200, editable=False)
    content_type = models.CharField(_("type"), max_length=40, editable=False)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    consent_confirmed = models.BooleanField(
        _("consent confirmed"), default=False, help_text=_("The uploader confirmed the people shown agreed.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MediaStatus.choices, default=MediaStatus.PENDING, editable=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    created = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("showcase photo")
        verbose_name_plural = _("showcase photos")
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(showcase__isnull=False, story__isnull=True) | Q(showcase__isnull=True, story__isnull=False),
                name="showcasemedia_showcase_or_story",
            ),
            models.CheckConstraint(condition=Q(consent_confirmed=True), name="showcasemedia_consent_confirmed"),
        ]
        indexes = [models.Index(fields=["community", "status"], name="showcasemedia_community_idx")]

    def __str__(self) -> str:
        return self.caption or self.name


class CourseTemplate(models.Model):
    """复制推广: a well-run class published by its district for other districts to copy.

    The template keeps what another district needs to run the class again (the description, materials and
    the session plan, taken from the source class when published) and where it came from: the source class
    and its district. Only the publishing district's office edits it (`activities.course_templates`).
    """

    title = models.CharField(_("title"), max_length=100)
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="course_templates"
    )
    description = models.TextField(_("description"), blank=True)
    materials = models.TextField(_("materials"), blank=True, help_text=_("What the class uses: books, tools, handouts."))
    # [{"n": 1, "weekday": 0, "start": "09:00", "minutes": 90}, …]: the meetings of the source class in order.
    session_plan = models.JSONField(_("session plan"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    source_course = models.ForeignKey(
        Course,
        verbose_name=_("source class"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="templates",
    )
    district = models.ForeignKey(
        "accounts.District", verbose_name=_("publishing district"), on_delete=models.PROTECT, related_name="course_templates"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last edited"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("class template")
        verbose_name_plural = _("class templates")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="course_template_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseTemplateCopy(models.Model):
    """A class draft made from a template: the origin (template → source class and district) stays known."""

    template = models.ForeignKey(
        CourseTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="copies"
    )
    course = models.OneToOneField(
        Course, verbose_name=_("class"), on_delete=models.CASCADE, related_name="template_copy"
    )
    district = models.ForeignKey(
        "accounts.District", verbose_name=_("copying district"), on_delete=models.PROTECT, related_name="+"
    )
    copied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("copied by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    copied_at = models.DateTimeField(_("copied at"), default=timezone.now)

    class Meta:
        verbose_name = _("copy of a class template")
        verbose_name_plural = _("copies of class templates")
        ordering = ["-copied_at", "-id"]

    def __str__(self) -> str:
        return f"{self.template} → {self.course}"
