"""The teacher pool (师资库): grassroots and professional teachers, their skills and free time."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from community_college.models import Located, WeeklyWindow

from .enums import SkillLevel, TeacherKind, TeacherSource


class Teacher(Located):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher",
    )
    name = models.CharField(_("full name"), max_length=60)
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    source = models.CharField(_("source"), max_length=30, choices=TeacherSource.choices)
    kind = models.CharField(_("grassroots or professional"), max_length=20, choices=TeacherKind.choices)
    bio = models.TextField(_("introduction"), blank=True)
    community = models.ForeignKey(
        "accounts.Community",
        verbose_name=_("home community"),
        on_delete=models.PROTECT,
        related_name="teachers",
        null=True,
        blank=True,
    )
    # A teacher reaches their district through the home community; one without a community (a district
    # department's expert, a retired professional) names the district whose pool they belong to.
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="teachers",
        null=True,
        blank=True,
        help_text=_("Only for a teacher without a home community: the district whose teacher pool they join."),
    )
    max_weekly_sessions = models.PositiveSmallIntegerField(
        _("most sessions a week"), default=3, validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    max_travel_km = models.FloatField(
        _("furthest travel (km)"), default=5.0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recommended by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommended_teachers",
    )
    # Read by the matching's near misses: a teacher who would start with fewer residents than the interest asks.
    min_class_size = models.PositiveSmallIntegerField(
        _("smallest class accepted"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("The fewest residents this teacher agrees to start a class with; blank: the interest's minimum."),
    )
    # 城市师资共享: the teacher's own choice to be offered to the matching of other districts too, within
    # `max_travel_km`; their sessions anywhere count against `max_weekly_sessions` all the same.
    serves_neighbouring_districts = models.BooleanField(
        _("serves neighbouring districts"),
        default=False,
        db_default=False,
        help_text=_("Offered to the matching of other districts within the furthest travel distance."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(max_weekly_sessions__gte=1), name="teacher_max_sessions_positive"),
            models.CheckConstraint(condition=Q(max_travel_km__gte=0), name="teacher_travel_not_negative"),
            # Exactly one way to the district: the home community's, or the district itself.
            models.CheckConstraint(
                condition=Q(community__isnull=False, district__isnull=True)
                | Q(community__isnull=True, district__isnull=False),
                name="teacher_in_one_district",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeacherSkill(models.Model):
    teacher = models.ForeignKey(Teacher, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="skills")
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.PROTECT, related_name="teacher_skills"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=SkillLevel.choices, default=SkillLevel.GOOD)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "category"], name="teacher_skill_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="teacher_skill_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.category}"


class TeacherAvailability(WeeklyWindow):
    teacher = models.ForeignKey(Teacher, verbose_name=_("teacher"), on_delete=models.CASCADE, related_name="availability")

    class Meta(WeeklyWindow.Meta):
        verbose_name = _("free time")
        verbose_name_plural = _("free times")
        constraints = WeeklyWindow.window_constraints("teacheravailability")


class RecommendationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved: teacher added to the pool")
    REJECTED = "rejected", _("Rejected")


class TeacherRecommendation(models.Model):
    """A resident's recommendation of someone who could teach: staff of their community review it.

    Approval (`teachers.services.teacher_recommendation_approve`) creates the Teacher with its skills.
    """

    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recommended by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher_recommendations",
    )
    community = models.ForeignKey(
        "accounts.Community",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="teacher_recommendations",
        help_text=_("The community whose staff review the recommendation: the recommending resident's."),
    )
    name = models.CharField(_("full name"), max_length=60)
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    categories = models.ManyToManyField(
        "interests.Category", verbose_name=_("can teach"), related_name="+", blank=True
    )
    note = models.TextField(_("why this teacher"), blank=True, max_length=1000)
    status = models.CharField(
        _("status"), max_length=20, choices=RecommendationStatus.choices, default=RecommendationStatus.PENDING
    )
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    teacher = models.OneToOneField(
        Teacher, verbose_name=_("teacher"), on_delete=models.SET_NULL, null=True, blank=True, related_name="recommendation"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created = models.DateTimeField(_("recommended at"), auto_now_add=True)

    class Meta:
        verbose_name = _("teacher recommendation")
        verbose_name_plural = _("teacher recommendations")
        ordering = ["created"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="recommendation_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(teacher__isnull=False), name="recommendation_approved_has_teacher"
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "created"], name="recommendation_queue_idx")]

    def __str__(self) -> str:
        return self.name
