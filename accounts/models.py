"""Users, roles and the organisation tree: district → street (街道) → community (社区) → grid (网格)."""

import re
import unicodedata

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community_college.models import Located

from .enums import DepartmentKind, Role

MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")
mobile_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, for example 13812345678.")
)


# What people put between the digits of a number: spaces, dashes of every width, dots, brackets.
_PHONE_SEPARATORS = frozenset(" \t-.()\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def normalise_phone(value: str | None) -> str | None:
    """The one spelling of a mobile number: `１３８ 1234-5678`, `+86 138-1234-5678`, `0086…` → `13812345678`.

    NFKC turns full-width digits, the full-width plus and the ideographic space (typed with a Chinese
    input method) into their ASCII forms. A value with anything else in it (letters, emoji) comes back
    stripped but otherwise as typed, so the mobile validator refuses it instead of a guess being stored.
    Every place that reads a phone number (sign-up, sign-in, codes, the API, desk and spreadsheet imports)
    goes through here.
    """
    if not value:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    body = text[1:] if text.startswith("+") else text
    kept = [ch for ch in body if ch not in _PHONE_SEPARATORS]
    if not all(ch.isdecimal() for ch in kept):
        return text or None
    digits = "".join(str(unicodedata.decimal(ch)) for ch in kept)
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def mask_phone(value: str | None) -> str:
    """138****1234: how a mobile number appears in lists, exports and logs."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, phone, email, password, **extra):
        phone = normalise_phone(phone)
        email = self.normalize_email(email).lower() if email else None
        if not phone and not email:
            raise ValueError("A user needs a mobile number or an e-mail address.")
        user = self.model(phone=phone, email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, phone=None, password=None, email=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, email, password, **extra)

    def create_superuser(self, phone=None, password=None, email=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(phone, email, password, **extra)

    def get_by_natural_key(self, username):
        # Either identifier signs in: the mobile number (the residents' habit) or the e-mail.
        if username and "@" in username:
            return self.get(email__iexact=username)
        return self.get(phone=normalise_phone(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person: resident, teacher, staff member or liaison. Signs in by mobile number or e-mail."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[mobile_validator]
    )
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    email = models.EmailField(_("e-mail address"), null=True, blank=True)
    name = models.CharField(_("full name"), max_length=60)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2030)]
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can sign in to the staff admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    registered_by = models.ForeignKey(
        "self",
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who registered this resident by phone or at the desk."),
    )

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False), name="user_has_phone_or_email"
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name or mask_phone(self.phone) or (self.email or "")

    def clean(self) -> None:
        super().clean()
        self.phone = normalise_phone(self.phone)
        self.email = self.email.strip().lower() if self.email else None
        if not self.phone and not self.email:
            raise ValidationError(_("Enter a mobile number or an e-mail address."))

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class City(Located):
    """市: one deployment carries the districts of one city (全市共享); the city office reads them all."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_city_id() -> int:
    """The city a district belongs to when none is named: the deployment's first (one city is the usual case)."""
    city = City.objects.order_by("pk").first()
    if city is None:
        city = City.objects.create(name="重庆市", code="chongqing", latitude=29.563, longitude=106.551)
    return city.pk


class District(Located):
    city = models.ForeignKey(
        City, verbose_name=_("city"), on_delete=models.PROTECT, related_name="districts", default=default_city_id
    )
    name = models.CharField(_("name"), max_length=60, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Street(Located):
    """街道: the subdistrict that executes the programme."""

    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="streets")
    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="street_name_unique_in_district")]

    def __str__(self) -> str:
        return self.name


class Community(Located):
    """社区: a residents' committee, which runs one community college."""

    street = models.ForeignKey(Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    population = models.PositiveIntegerField(
        _("registered population"), default=0, help_text=_("Used for ratios such as teachers per 1,000 residents.")
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="community_name_unique_in_street")]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格: the smallest unit below a community, looked after by a grid worker."""

    community = models.ForeignKey(Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_name_unique_in_community")]

    def __str__(self) -> str:
        return f"{self.community} · {self.name}"


class College(models.Model):
    """社区学院: the community college each community runs, and its current star level."""

    community = models.OneToOneField(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="college"
    )
    name = models.CharField(_("name"), max_length=80)
    stars = models.PositiveSmallIntegerField(
        _("star level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    founded = models.DateField(_("founded"), null=True, blank=True)

    class Meta:
        verbose_name = _("community college")
        verbose_name_plural = _("community colleges")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="college_stars_1_to_5")]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A district department that gives policy talks in the five minutes before class."""

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=30, choices=DepartmentKind.choices)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="department_name_unique")]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """What a user may do and where: a role bound to its node of the organisation tree."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    city = models.ForeignKey(City, verbose_name=_("city"), on_delete=models.CASCADE, null=True, blank=True)
    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.CASCADE, null=True, blank=True)
    street = models.ForeignKey(Street, verbose_name=_("street"), on_delete=models.CASCADE, null=True, blank=True)
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, null=True, blank=True
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, null=True, blank=True
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Each role is bound to exactly the node it acts on, and to nothing else.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.COMMUNITY_STAFF, community__isnull=False, street__isnull=True, district__isnull=True)
                    | Q(role=Role.STREET_STAFF, street__isnull=False, community__isnull=True, district__isnull=True)
                    | Q(role=Role.DISTRICT_OFFICE, district__isnull=False, street__isnull=True, community__isnull=True)
                    | Q(
                        role=Role.CITY_OFFICE,
                        city__isnull=False,
                        district__isnull=True,
                        street__isnull=True,
                        community__isnull=True,
                    )
                    | Q(role=Role.DEPARTMENT_LIAISON, department__isnull=False)
                    # Personal roles: bound to no node (a venue owner is bound to venues by venues.VenueManager).
                    | Q(role__in=[Role.RESIDENT, Role.TEACHER, Role.VOLUNTEER, Role.VENUE_OWNER])
                ),
                name="role_bound_to_its_node",
            ),
            *[
                models.UniqueConstraint(fields=["user", node], condition=Q(role=role), name=f"role_unique_{role}")
                for role, node in [
                    (Role.COMMUNITY_STAFF, "community"),
                    (Role.STREET_STAFF, "street"),
                    (Role.DISTRICT_OFFICE, "district"),
                    (Role.CITY_OFFICE, "city"),
                    (Role.DEPARTMENT_LIAISON, "department"),
                ]
            ],
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(role__in=[Role.RESIDENT, Role.TEACHER]), name="role_unique_personal"
            ),
        ]

    def __str__(self) -> str:
        node = self.community or self.street or self.district or self.city or self.department
        return f"{self.user} · {self.get_role_display()}" + (f" · {node}" if node else "")


class ApiToken(models.Model):
    """A named secret an app signs in with (Authorization: Token …). Only its SHA-256 is stored: the
    secret is shown once, when it is made. A user holds several (phone, tablet) and revokes each alone."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    # The first characters of the secret, shown in lists so the owner can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
