"""Classes as they really happen: courses, their sessions, registrations, attendance, policy talks."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from community_college.models import Weekday

from .enums import CourseStatus, PolicyTalkStatus, RegistrationStatus, SessionStatus


class Term(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(starts_on__lt=F("ends_on")), name="term_start_before_end")]

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


class Registration(models.Model):
    """A resident's place in a class, or their place on its waiting list."""

    course = models.ForeignKey(Course, verbose_name=_("class"), on_delete=models.CASCADE, related_name="registrations")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices)
    order = models.ForeignKey(
        "interests.Order",
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
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.course}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="attendances"
    )
    attended = models.BooleanField(_("attended"), default=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "resident"], name="attendance_unique")]
        indexes = [models.Index(fields=["resident", "attended"], name="attendance_resident_idx")]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.session}"


class PolicyTalk(models.Model):
    """课前5分钟: a short civic or policy talk given by a department at the start of a session."""

    session = models.OneToOneField(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="policy_talk")
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="talks"
    )
    topic = models.CharField(_("topic"), max_length=120)
    speaker = models.CharField(_("speaker"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PolicyTalkStatus.choices, default=PolicyTalkStatus.PROPOSED)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy talk")
        verbose_name_plural = _("policy talks")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.topic
