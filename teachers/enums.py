from django.db import models
from django.utils.translation import gettext_lazy as _


class TeacherSource(models.TextChoices):
    RESIDENT = "resident", _("Skilled resident")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
    SOCIAL_ORGANISATION = "social_organisation", _("Community social organisation")
    UNIVERSITY = "university", _("University")
    ASSOCIATION = "association", _("Professional association")
    NOTABLE = "notable", _("Notable local")


class TeacherKind(models.TextChoices):
    GRASSROOTS = "grassroots", _("Grassroots")
    PROFESSIONAL = "professional", _("Professional")


class SkillLevel(models.IntegerChoices):
    BASIC = 1, _("Can teach beginners")
    GOOD = 2, _("Can teach improvers")
    EXPERT = 3, _("Expert")
