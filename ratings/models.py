"""Ratings: residents' stars for sessions (and so teachers), and colleges' star levels over time."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import CandidateKind, CandidateSource, Decision, RoundStatus, StoryStatus


class SessionRating(models.Model):
    """返单: a resident's 1–5 stars and comment for a session they attended."""

    session = models.ForeignKey(
        "activities.Session", verbose_name=_("session"), on_delete=models.CASCADE, related_name="ratings"
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="ratings"
    )
    # Denormalised from session.course.teacher so teacher averages are one indexed aggregate.
    teacher = models.ForeignKey(
        "teachers.Teacher", verbose_name=_("teacher"), on_delete=models.SET_NULL, null=True, blank=True, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    is_hidden = models.BooleanField(_("hidden by moderation"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("session rating")
        verbose_name_plural = _("session ratings")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["session", "resident"], name="rating_once_per_session"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5"),
        ]
        indexes = [models.Index(fields=["teacher", "created"], name="rating_teacher_idx")]

    def __str__(self) -> str:
        return f"{self.stars}★ {self.session}"


class CollegeStarRecord(models.Model):
    """One period's star level of a college, with the score and indicators it came from."""

    college = models.ForeignKey(
        "accounts.College", verbose_name=_("community college"), on_delete=models.CASCADE, related_name="star_history"
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month rated."))
    score = models.FloatField(_("score"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    stars = models.PositiveSmallIntegerField(_("star level"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    indicators = models.JSONField(_("indicators"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("college star record")
        verbose_name_plural = _("college star records")
        ordering = ["college", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["college", "period"], name="star_record_once_per_period"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="star_record_1_to_5"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="star_record_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.college} {self.period:%Y-%m} {self.stars}★"


# --- 榜样评选: recognition rounds, their categories, candidates, nominations, votes and objections ----------


class RecognitionRound(models.Model):
    """A round of recognition opened by the district or a street for a term, over that district or street.

    The honours (礼遇) a winner of the round gets are configured here, per round.
    """

    title = models.CharField(_("title"), max_length=100)
    term = models.ForeignKey("activities.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="recognition_rounds")
    # The area: exactly one of district and street (a check constraint).
    district = models.ForeignKey(
        "accounts.District", verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True, related_name="recognition_rounds"
    )
    street = models.ForeignKey(
        "accounts.Street", verbose_name=_("street"), on_delete=models.PROTECT, null=True, blank=True, related_name="recognition_rounds"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.NOMINATING, editable=False
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    notice_starts_at = models.DateTimeField(_("public notice from"), null=True, blank=True, editable=False)
    notice_ends_at = models.DateTimeField(_("public notice until"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # 礼遇: what a winner of this round gets.
    gives_certificate = models.BooleanField(_("certificate"), default=True)
    gives_badge = models.BooleanField(_("badge on the profile and the classes or group"), default=True)
    priority_days = models.PositiveSmallIntegerField(
        _("days of priority registration"),
        default=0,
        help_text=_("Winners may register this many days before registration opens to everyone, for classes they choose (0: none)."),
    )
    gives_showcase_invitation = models.BooleanField(_("invitation to the district's annual showcase"), default=False)

    class Meta:
        verbose_name = _("recognition round")
        verbose_name_plural = _("recognition rounds")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(district__isnull=False, street__isnull=True) | Q(district__isnull=True, street__isnull=False),
                name="recognition_round_one_area",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def area(self):
        return self.street or self.district

    @property
    def gives_priority(self) -> bool:
        return self.priority_days > 0


class RecognitionCategory(models.Model):
    """A category of a round (优秀教师, 优秀兴趣小组 …) and its rule: who may be a candidate."""

    round = models.ForeignKey(RecognitionRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("who may be a candidate"), max_length=20, choices=CandidateKind.choices)
    rules = models.TextField(_("rules"), blank=True, max_length=2000)
    winners = models.PositiveSmallIntegerField(_("places"), default=3, validators=[MinValueValidator(1)])
    sort_order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("recognition category")
        verbose_name_plural = _("recognition categories")
        ordering = ["round", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="recognition_category_name_unique"),
            models.CheckConstraint(condition=Q(winners__gte=1), name="recognition_category_places_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    """A candidate of a category: a teacher, a group or a person (volunteer or resident), from the figures or
    nominated. Figures are never stored here: selectors compute them beside each candidate."""

    category = models.ForeignKey(RecognitionCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="candidates")
    # Denormalised from the category, so votes and the wall need no join to the round.
    round = models.ForeignKey(RecognitionRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="candidates")
    teacher = models.ForeignKey(
        "teachers.Teacher", verbose_name=_("teacher"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "interests.InterestGroup", verbose_name=_("interest group"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The subject's community, checked against the round's area when the candidate is made; scopes staff.
    community = models.ForeignKey("accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=CandidateSource.choices, editable=False)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING, editable=False)
    decision_reason = models.TextField(_("reason for the decision"), blank=True, max_length=1000, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    story = models.TextField(_("story"), blank=True, max_length=4000, editable=False)
    story_status = models.CharField(
        _("story"), max_length=20, choices=StoryStatus.choices, default=StoryStatus.NONE, editable=False
    )
    story_answered_at = models.DateTimeField(_("story answered at"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["category", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(teacher__isnull=False, group__isnull=True, person__isnull=True)
                | Q(teacher__isnull=True, group__isnull=False, person__isnull=True)
                | Q(teacher__isnull=True, group__isnull=True, person__isnull=False),
                name="candidate_names_one_subject",
            ),
            models.UniqueConstraint(fields=["category", "teacher"], name="candidate_teacher_once"),
            models.UniqueConstraint(fields=["category", "group"], name="candidate_group_once"),
            models.UniqueConstraint(fields=["category", "person"], name="candidate_person_once"),
        ]
        indexes = [models.Index(fields=["round", "decision"], name="candidate_round_decision_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        subject = self.teacher or self.group or self.person
        return str(subject) if subject is not None else ""

    @property
    def subject_id(self) -> int:
        return self.teacher_id or self.group_id or self.person_id


class Nomination(models.Model):
    """A nomination by staff or a resident, with the reason (500 characters)."""

    candidate = models.ForeignKey(Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="nominations")
    nominator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("nominated by"), on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"), max_length=500)
    by_staff = models.BooleanField(_("by staff"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["candidate", "nominator"], name="nomination_once_per_nominator")]

    def __str__(self) -> str:
        return f"{self.nominator} → {self.candidate}"


class Vote(models.Model):
    """A resident's vote in a category of a round: one per resident per category (the database says so)."""

    round = models.ForeignKey(RecognitionRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="votes")
    category = models.ForeignKey(RecognitionCategory, verbose_name=_("category"), on_delete=models.CASCADE, related_name="votes")
    candidate = models.ForeignKey(Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("voter"), on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["round", "category", "voter"], name="vote_once_per_category")]
        indexes = [models.Index(fields=["candidate"], name="vote_candidate_idx")]

    def __str__(self) -> str:
        return f"{self.voter} → {self.candidate}"


class Objection(models.Model):
    """An objection raised during the public notice; staff answer each before the round may close."""

    candidate = models.ForeignKey(Candidate, verbose_name=_("candidate"), on_delete=models.CASCADE, related_name="objections")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"), max_length=500)
    created = models.DateTimeField(_("created"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True, max_length=1000, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""), name="objection_answer_has_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.raised_by} → {self.candidate}"
