from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    TEACHER = "teacher", _("Teacher")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_STAFF = "street_staff", _("Street staff")
    DISTRICT_OFFICE = "district_office", _("District office")
    # Reads every district; writes only the city's defaults (category tree, star standard) that districts adopt.
    CITY_OFFICE = "city_office", _("City office")
    DEPARTMENT_LIAISON = "department_liaison", _("Department liaison")
    # Bound to the venues they lend (venues.VenueManager): answer bookings of those venues only.
    VENUE_OWNER = "venue_owner", _("Venue owner")
    # Helpers at classes and showcases, group leaders: hours from sessions they helped, confirmed by staff.
    VOLUNTEER = "volunteer", _("Volunteer")


class DepartmentKind(models.TextChoices):
    PROPAGANDA = "propaganda", _("Propaganda")
    CULTURE = "culture", _("Culture and tourism")
    CITY_MANAGEMENT = "city_management", _("City management")
    EDUCATION = "education", _("Education")
    POLICE = "police", _("Public security")
    HEALTH = "health", _("Health")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    JUSTICE = "justice", _("Justice")
    EMERGENCY = "emergency", _("Emergency management")
    OTHER = "other", _("Other")


STAFF_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT_OFFICE})
