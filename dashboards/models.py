"""The published star standard (星级评价标准) and the daily roll-ups the dashboards read.

The standard: the district publishes weights, anchors and thresholds; the monthly star computation
(`dashboards.services.college_stars_recompute`) uses the standard in force for the period, and copies
what it used into each `ratings.CollegeStarRecord`, so a record stays explainable after the standard
changes.

The roll-ups: per local day and community (and interest), counters the dashboards sum instead of
aggregating attendance and ratings row by row. They are derived data: `dashboards.services.rollups_refresh`
rebuilds any range of days from the source tables, so they can be dropped and rebuilt at any time.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ratings import stars


class StarStandard(models.Model):
    """A version of the published star standard: thresholds here, weights and anchors in its indicators."""

    name = models.CharField(_("name"), max_length=100)
    # Empty: the city's default, written by the city office only. Set: that district's own version, adopted
    # from a default (or another version) named by `origin` and then, perhaps, adapted.
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="star_standards",
        help_text=_("Empty for the city's default."),
    )
    origin = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="copies",
    )
    effective_from = models.DateField(
        _("rates periods from"),
        help_text=_("The first month rated with this standard (the first day of the month)."),
    )
    two_stars = models.FloatField(_("score for 2 stars"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    three_stars = models.FloatField(_("score for 3 stars"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    four_stars = models.FloatField(_("score for 4 stars"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    five_stars = models.FloatField(_("score for 5 stars"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    note = models.TextField(_("note"), blank=True, help_text=_("What changed and why, for the published text."))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("star standard")
        verbose_name_plural = _("star standards")
        ordering = ["-effective_from", "-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(two_stars__gte=0)
                & Q(two_stars__lt=F("three_stars"))
                & Q(three_stars__lt=F("four_stars"))
                & Q(four_stars__lt=F("five_stars"))
                & Q(five_stars__lte=100),
                name="star_standard_thresholds_rise",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def thresholds(self) -> tuple[float, float, float, float]:
        return (self.two_stars, self.three_stars, self.four_stars, self.five_stars)

    def clean(self) -> None:
        if None not in self.thresholds and not stars.thresholds_valid(self.thresholds):
            raise ValidationError(_("The scores for 2, 3, 4 and 5 stars must rise, between 0 and 100."))
        if self.effective_from and self.effective_from.day != 1:
            raise ValidationError({"effective_from": _("Periods are months: choose the first day of a month.")})

    def as_standard(self) -> stars.Standard:
        """The computation's view of this standard (uses `indicators`, prefetch it)."""
        return stars.Standard(
            anchors={i.code: stars.Anchor(i.weight, i.worst, i.best) for i in self.indicators.all()},
            thresholds=self.thresholds,
            id=self.pk,
            name=self.name,
        )


class StandardIndicator(models.Model):
    """One indicator's weight and anchors in a standard: `worst` scores 0, `best` scores full marks."""

    standard = models.ForeignKey(
        StarStandard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("indicator"), max_length=40, choices=stars.INDICATOR_CHOICES)
    weight = models.FloatField(_("weight"), default=0, validators=[MinValueValidator(0)])
    worst = models.FloatField(_("scores 0 at"), help_text=_("Shares are written as fractions: 0.6 for 60 %."))
    best = models.FloatField(_("scores full marks at"), help_text=_("Less is better when this is below 'scores 0 at'."))

    class Meta:
        verbose_name = _("indicator of the standard")
        verbose_name_plural = _("indicators of the standard")
        ordering = ["standard", "id"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="standard_indicator_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="standard_indicator_weight_not_negative"),
            models.CheckConstraint(condition=~Q(worst=F("best")), name="standard_indicator_anchors_differ"),
        ]

    def __str__(self) -> str:
        return self.get_code_display()

    def clean(self) -> None:
        if self.worst is not None and self.worst == self.best:
            raise ValidationError(_("'Scores 0 at' and 'scores full marks at' must differ."))


class CommunityDay(models.Model):
    """Per local day and community: residents who joined (their sum up to a day is the registered count)."""

    day = models.DateField(_("day"))
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.CASCADE, related_name="+"
    )
    residents_joined = models.PositiveIntegerField(_("residents joined"), default=0)

    class Meta:
        verbose_name = _("daily community figures")
        verbose_name_plural = _("daily community figures")
        constraints = [models.UniqueConstraint(fields=["day", "community"], name="community_day_once")]

    def __str__(self) -> str:
        return f"{self.day} · {self.community_id}"


class CategoryDay(models.Model):
    """Per local day, community and interest: meetings, attendance, ratings, talks and the order loop.

    Meetings, attendance, ratings and talks count on the day of the session; orders on the day of each stamp.
    """

    day = models.DateField(_("day"))
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.CASCADE, related_name="+"
    )
    sessions = models.PositiveIntegerField(_("sessions (not cancelled)"), default=0)
    sessions_held = models.PositiveIntegerField(_("sessions held"), default=0)
    sessions_cancelled = models.PositiveIntegerField(_("sessions cancelled"), default=0)
    attendance_records = models.PositiveIntegerField(_("attendance records"), default=0)
    attendance_present = models.PositiveIntegerField(_("present"), default=0)
    ratings = models.PositiveIntegerField(_("visible ratings"), default=0)
    rating_stars = models.PositiveIntegerField(_("stars of visible ratings"), default=0)
    talks_held = models.PositiveIntegerField(_("policy talks held"), default=0)
    orders_submitted = models.PositiveIntegerField(_("orders submitted"), default=0)
    orders_accepted = models.PositiveIntegerField(_("orders accepted"), default=0)
    orders_dispatched = models.PositiveIntegerField(_("orders dispatched"), default=0)
    orders_completed = models.PositiveIntegerField(_("orders completed"), default=0)

    COUNTERS = (
        "sessions",
        "sessions_held",
        "sessions_cancelled",
        "attendance_records",
        "attendance_present",
        "ratings",
        "rating_stars",
        "talks_held",
        "orders_submitted",
        "orders_accepted",
        "orders_dispatched",
        "orders_completed",
    )

    class Meta:
        verbose_name = _("daily interest figures")
        verbose_name_plural = _("daily interest figures")
        constraints = [models.UniqueConstraint(fields=["day", "community", "category"], name="category_day_once")]
        indexes = [models.Index(fields=["community", "day"], name="category_day_community_idx")]

    def __str__(self) -> str:
        return f"{self.day} · {self.community_id} · {self.category_id}"


class ResidentActivity(models.Model):
    """Per resident, community and interest: the last local day the resident was present at a session.

    "Distinct residents active in the last N days" is then a count of rows with `last_day` from N days
    ago, instead of a DISTINCT over every attendance of the period. It works because the dashboards'
    periods always end today; the monthly star rating, whose periods end in the past, reads attendance.
    """

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "interests.Category", verbose_name=_("interest"), on_delete=models.CASCADE, related_name="+"
    )
    last_day = models.DateField(_("last present"))

    class Meta:
        verbose_name = _("resident activity")
        verbose_name_plural = _("resident activity")
        constraints = [
            models.UniqueConstraint(fields=["resident", "community", "category"], name="resident_activity_once")
        ]
        indexes = [models.Index(fields=["last_day", "community"], name="resident_activity_day_idx")]

    def __str__(self) -> str:
        return f"{self.resident_id} · {self.community_id} · {self.category_id} · {self.last_day}"
