"""协商议事: matters residents raise, the supports and comments they gather, the deliberation meetings that
take them up, the decisions recorded there, and the path of each decision until residents confirm it done.

The lifecycle of a matter is a status plus one timestamp per step (raised, answered, referred, deliberated,
decided, done, closed), so medians per step need no join; `MatterEvent` is the public timeline with the
actor. Every change goes through `consultation.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_college.models import Located

from .enums import (
    Channel,
    CommentStatus,
    DecisionStatus,
    EventKind,
    Level,
    MatterStatus,
    MeetingStatus,
    Outcome,
    OwnerKind,
    ParticipantKind,
    PhotoStatus,
    ReportReason,
    VoteChoice,
)

USER = settings.AUTH_USER_MODEL


class MatterCategory(models.Model):
    """A node of the configurable tree of matters: environment › rubbish sorting, parking, elderly care …"""

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="matter_category_unique_under_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="matter_category_root_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="matter_category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name


class WorkdayException(models.Model):
    """A public holiday on a weekday, or a weekend day worked in exchange (调休): deadlines count working days."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), default=False)
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("holiday or exchanged working day")
        verbose_name_plural = _("holidays and exchanged working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


class Matter(Located):
    """说事: a community matter raised by a resident (or by staff on their behalf)."""

    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="matters"
    )
    category = models.ForeignKey(
        MatterCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="matters"
    )
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), max_length=2000)
    # Filled on save: pinyin syllables of the title, for duplicate suggestions that catch homophones.
    title_pinyin = models.CharField(_("title in pinyin"), max_length=400, blank=True, editable=False)
    raised_by = models.ForeignKey(
        USER, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="matters_raised"
    )
    show_name = models.BooleanField(
        _("show my name"), default=False, help_text=_("Show the name of the resident who raised it to neighbours.")
    )
    entered_by = models.ForeignKey(
        USER,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who typed it in: the resident, or staff taking it by phone or at the desk."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(
        _("status"), max_length=20, choices=MatterStatus.choices, default=MatterStatus.RAISED, db_index=True
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("public answer"), blank=True, max_length=2000)
    level = models.PositiveSmallIntegerField(_("answered at level"), choices=Level.choices, default=Level.COMMUNITY)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("referred to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    support_count = models.PositiveIntegerField(_("supports"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(
        _("first answered at"), null=True, blank=True, help_text=_("The first triage step: answer, referral, merge or deliberation.")
    )
    answered_on_time = models.BooleanField(_("answered on time"), null=True, blank=True)
    referred_at = models.DateTimeField(_("referred at"), null=True, blank=True)
    deliberation_at = models.DateTimeField(_("taken to deliberation at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MatterStatus.values), name="matter_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=MatterStatus.CLOSED) | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="matter_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.MERGED) | Q(merged_into__isnull=False), name="matter_merged_has_target"
            ),
            models.CheckConstraint(
                condition=~Q(status=MatterStatus.REFERRED) | Q(department__isnull=False),
                name="matter_referred_has_department",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("id")), name="matter_not_merged_into_itself"),
            models.CheckConstraint(condition=Q(level__gte=0, level__lte=2), name="matter_level_valid"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "-raised_at"], name="matter_list_idx"),
            models.Index(fields=["status", "due_at"], name="matter_due_idx"),
            models.Index(fields=["department", "status"], name="matter_department_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def save(self, *args, **kwargs):
        from .similar import pinyin_syllables

        self.title_pinyin = " ".join(pinyin_syllables(self.title))[:400]
        if kwargs.get("update_fields") is not None and "title" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "title_pinyin"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status != MatterStatus.CLOSED


class MatterEvent(models.Model):
    """One step of a matter's public timeline. `note` is public text; staff-only remarks do not go here."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        USER, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("matter event")
        verbose_name_plural = _("matter events")
        ordering = ["matter", "at", "id"]
        indexes = [models.Index(fields=["matter", "at"], name="matter_event_timeline_idx")]

    def __str__(self) -> str:
        return f"#{self.matter_id} {self.get_kind_display()}"


class MatterPhoto(models.Model):
    """A photo of a matter, stored by `community_college.uploads` (no metadata, outside the web root)."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="photos")
    name = models.CharField(_("file"), max_length=200)
    thumbnail = models.CharField(_("thumbnail"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    status = models.CharField(_("status"), max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.PENDING)
    uploaded_by = models.ForeignKey(
        USER, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("matter photo")
        verbose_name_plural = _("matter photos")
        ordering = ["matter", "id"]

    def __str__(self) -> str:
        return self.name


class Support(models.Model):
    """One resident's support of a matter: one per resident, held by the database."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(USER, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["matter", "user"], name="support_one_per_resident")]
        indexes = [models.Index(fields=["user", "matter"], name="support_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → #{self.matter_id}"


class Comment(models.Model):
    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("comment"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=CommentStatus.choices, default=CommentStatus.VISIBLE
    )
    report_count = models.PositiveIntegerField(_("reports"), default=0, editable=False)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["matter", "created", "id"]
        indexes = [models.Index(fields=["matter", "status", "created"], name="comment_matter_idx")]

    def __str__(self) -> str:
        return self.body[:40]

    @property
    def removed_note(self) -> str:
        """What readers see instead of a comment that is gone ("" while it stands): one a moderator removed,
        or one blanked when its author closed their account (the row stays so the counts stay right)."""
        if self.status == CommentStatus.REMOVED:
            return str(CommentStatus.REMOVED.label)
        if not self.body.strip():
            return str(_("Removed at its author's request"))
        return ""


class CommentReport(models.Model):
    """One resident's report of a comment (one each); enough of them hide it until a moderator reviews it."""

    comment = models.ForeignKey(Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(USER, verbose_name=_("reported by"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=ReportReason.choices)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="comment_report_one_per_user")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.comment_id}"


class Meeting(models.Model):
    """议事会: a deliberation meeting in a college venue, booked through the venues' booking service."""

    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=100)
    venue = models.ForeignKey("venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, related_name="+")
    booking = models.OneToOneField(
        "venues.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Held as a session of a class instead of its own booking (the session holds the room); check-in then goes
    # through the class's roll call (`activities.services.attendance_record`).
    session = models.ForeignKey(
        "activities.Session",
        verbose_name=_("class session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliberations",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    matters = models.ManyToManyField(Matter, verbose_name=_("matters"), related_name="meetings", blank=True)
    agenda = models.TextField(_("agenda"), blank=True, max_length=4000)
    agenda_published_at = models.DateTimeField(_("agenda published at"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=10000)
    status = models.CharField(_("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    held_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("deliberation meeting")
        verbose_name_plural = _("deliberation meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="meeting_start_before_end"),
            models.CheckConstraint(
                condition=Q(booking__isnull=True) | Q(session__isnull=True), name="meeting_booking_or_session"
            ),
            # One meeting per class session (a cancelled one frees it).
            models.UniqueConstraint(
                fields=["session"], condition=~Q(status=MeetingStatus.CANCELLED), name="meeting_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class Participant(models.Model):
    """Someone invited to a meeting: a resident who raised or supported its matters, a grid or party member,
    a unit, a department liaison. `present_at` is the check-in that gives a resident a vote."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(USER, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("invited as"), max_length=20, choices=ParticipantKind.choices)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    present_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["meeting", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="participant_once_per_meeting")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class Decision(models.Model):
    """A decision of a meeting about one matter, with an owner and a due date, tracked until done."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="decisions")
    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("decision"), max_length=2000)
    owner_kind = models.CharField(_("owner is"), max_length=12, choices=OwnerKind.choices)
    owner_user = models.ForeignKey(
        USER, verbose_name=_("owner (person)"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_department = models.ForeignKey(
        "accounts.Department", verbose_name=_("owner (department)"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_name = models.CharField(_("owner (unit or group)"), max_length=100, blank=True)
    due_date = models.DateField(_("due"))
    needs_vote = models.BooleanField(_("needs a vote"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.OPEN)
    progress = models.PositiveSmallIntegerField(
        _("progress in percent"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="decision_progress_0_100"),
            models.CheckConstraint(
                condition=~Q(status=DecisionStatus.DONE) | Q(done_at__isnull=False, progress=100),
                name="decision_done_is_stamped",
            ),
            models.CheckConstraint(
                condition=(
                    Q(owner_kind=OwnerKind.STAFF, owner_user__isnull=False)
                    | Q(owner_kind=OwnerKind.DEPARTMENT, owner_department__isnull=False)
                    | (Q(owner_kind__in=[OwnerKind.UNIT, OwnerKind.RESIDENTS]) & ~Q(owner_name=""))
                ),
                name="decision_has_owner",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="decision_due_idx")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def owner_label(self) -> str:
        if self.owner_kind == OwnerKind.STAFF and self.owner_user_id:
            return str(self.owner_user)
        if self.owner_kind == OwnerKind.DEPARTMENT and self.owner_department_id:
            return str(self.owner_department)
        return self.owner_name


class DecisionUpdate(models.Model):
    decision = models.ForeignKey(Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(USER, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("update"), max_length=2000)
    progress = models.PositiveSmallIntegerField(_("progress in percent"), validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["decision", "at", "id"]

    def __str__(self) -> str:
        return f"{self.progress}% {self.text[:40]}"


class Vote(models.Model):
    """One vote of a resident present at the meeting on a decision that needs one."""

    decision = models.ForeignKey(Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(USER, verbose_name=_("voter"), on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(_("vote"), max_length=10, choices=VoteChoice.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["decision", "voter"], name="vote_one_per_resident")]

    def __str__(self) -> str:
        return f"{self.voter_id}: {self.choice}"


class Confirmation(models.Model):
    """A raiser's or supporter's answer to "is it really done?": satisfaction 1–5 and a comment."""

    matter = models.ForeignKey(Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="confirmations")
    resident = models.ForeignKey(USER, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="+")
    is_done = models.BooleanField(_("really done"))
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        constraints = [
            models.UniqueConstraint(fields=["matter", "resident"], name="confirmation_one_per_resident"),
            models.CheckConstraint(condition=Q(satisfaction__gte=1, satisfaction__lte=5), name="confirmation_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"#{self.matter_id} {self.satisfaction}/5"
