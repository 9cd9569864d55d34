"""Ratings: residents' stars for sessions (and so teachers), and colleges' star levels over time."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
