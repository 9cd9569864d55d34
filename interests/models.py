"""Interests: the category tree (V-model decomposition), groups and residents' profiles.

Orders (点单) live in `activities.models`: an order's life ends in a class, and nothing below activities
may know of classes."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from community_college.models import Located, WeeklyWindow

from .enums import GroupRole


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class Category(models.Model):
    """A node of the interest tree: a broad field (文化, 体育 …) down to a concrete interest (太极拳)."""

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    # Filled on save from the Chinese name so that `taiji`, `tjq` and `太极` all find 太极拳.
    pinyin = models.CharField(_("pinyin"), max_length=200, blank=True, editable=False, db_index=True)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=60, blank=True, editable=False, db_index=True)
    facilities = models.ManyToManyField(
        "venues.Facility",
        verbose_name=_("facilities needed"),
        blank=True,
        related_name="categories",
        help_text=_("A class of this interest can only meet in a venue that has all of these."),
    )
    min_size = models.PositiveSmallIntegerField(_("minimum class size"), default=5, validators=[MinValueValidator(1)])
    max_size = models.PositiveSmallIntegerField(_("maximum class size"), default=30, validators=[MinValueValidator(1)])
    sort_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("interest category")
        verbose_name_plural = _("interest categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_unique_under_parent"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="category_root_name_unique"),
            models.CheckConstraint(condition=Q(min_size__gte=1), name="category_min_size_positive"),
            models.CheckConstraint(condition=Q(min_size__lte=F("max_size")), name="category_min_not_above_max"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .search import pinyin_keys

        self.pinyin, self.pinyin_initials = pinyin_keys(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "pinyin", "pinyin_initials"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the English name for an English reader, when there is one."""
        language = get_language() or ""
        return self.name_en if self.name_en and language.startswith("en") else self.name


class DistrictCategory(models.Model):
    """A district's own version of one node of the city's category tree (adopted, then perhaps adapted).

    The city's tree (`Category`) stays the one set of interests that orders, classes and skills point at, so
    figures compare across districts; what a district adapts is how it offers a node: its name, class
    sizes, order and whether it is offered at all. `category` is the origin: the city default it came from.
    """

    district = models.ForeignKey(
        "accounts.District", verbose_name=_("district"), on_delete=models.CASCADE, related_name="categories"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("city default"), on_delete=models.CASCADE, related_name="district_versions"
    )
    name = models.CharField(_("name"), max_length=60)
    min_size = models.PositiveSmallIntegerField(_("minimum class size"), validators=[MinValueValidator(1)])
    max_size = models.PositiveSmallIntegerField(_("maximum class size"), validators=[MinValueValidator(1)])
    sort_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("adopted by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    adopted_at = models.DateTimeField(_("adopted at"), default=timezone.now)
    adapted_at = models.DateTimeField(_("last adapted"), null=True, blank=True)
    adapted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last adapted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("district's interest category")
        verbose_name_plural = _("district's interest categories")
        ordering = ["district", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "category"], name="district_category_once"),
            models.CheckConstraint(condition=Q(min_size__gte=1), name="district_category_min_size_positive"),
            models.CheckConstraint(condition=Q(min_size__lte=F("max_size")), name="district_category_min_not_above_max"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.min_size and self.max_size and self.min_size > self.max_size:
            raise ValidationError(_("The minimum class size cannot be above the maximum."))


class ResidentProfile(Located):
    """画像: where a resident lives, what they like, when they are free, and what they consent to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="profile"
    )
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("home community"), on_delete=models.PROTECT, related_name="residents"
    )
    grid = models.ForeignKey(
        "accounts.Grid", verbose_name=_("grid"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interests = models.ManyToManyField(Category, verbose_name=_("interests"), blank=True, related_name="+")
    consent_sms = models.BooleanField(_("notices by SMS"), default=True)
    consent_email = models.BooleanField(_("notices by e-mail"), default=False)
    consent_recommendations = models.BooleanField(
        _("personalised recommendations"),
        default=True,
        help_text=_("Use my interests, history and location to suggest classes. Can be refused at any time."),
    )
    # The secret in the URL of the resident's personal calendar feed; rotating it revokes old links.
    calendar_token = models.CharField(
        _("calendar token"), max_length=43, unique=True, default=new_calendar_token, editable=False
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")
        indexes = [models.Index(fields=["latitude", "longitude"], name="profile_location_idx")]

    def __str__(self) -> str:
        return str(self.user)


class ResidentAvailability(WeeklyWindow):
    profile = models.ForeignKey(
        ResidentProfile, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="availability"
    )

    class Meta(WeeklyWindow.Meta):
        verbose_name = _("free time")
        verbose_name_plural = _("free times")
        constraints = WeeklyWindow.window_constraints("residentavailability")


class InterestGroup(models.Model):
    """兴趣小组: residents of a community who share an interest."""

    name = models.CharField(_("name"), max_length=80)
    category = models.ForeignKey(Category, verbose_name=_("interest"), on_delete=models.PROTECT, related_name="groups")
    community = models.ForeignKey(
        "accounts.Community", verbose_name=_("community"), on_delete=models.PROTECT, related_name="groups"
    )
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMembership", verbose_name=_("members"), related_name="interest_groups"
    )
    max_members = models.PositiveIntegerField(_("maximum members"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("interest group")
        verbose_name_plural = _("interest groups")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="group_name_unique_in_community")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(InterestGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=GroupRole.choices, default=GroupRole.MEMBER)
    joined = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_unique"),
            # A group has one leader at a time.
            models.UniqueConstraint(fields=["group"], condition=Q(role=GroupRole.LEADER), name="group_single_leader"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.group}"
