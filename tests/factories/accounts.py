import factory
from factory.django import DjangoModelFactory

from accounts.enums import DepartmentKind, Role
from accounts.models import College, Community, Department, District, Grid, RoleAssignment, Street, User


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    name = "两江新区"
    code = "liangjiang"
    latitude = 29.65
    longitude = 106.55


class StreetFactory(DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"第{n}街道")
    code = factory.Sequence(lambda n: f"street-{n}")
    latitude = 29.65
    longitude = 106.55


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"第{n}社区")
    code = factory.Sequence(lambda n: f"community-{n}")
    population = 8000
    latitude = 29.65
    longitude = 106.55


class GridFactory(DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")


class CollegeFactory(DjangoModelFactory):
    class Meta:
        model = College

    community = factory.SubFactory(CommunityFactory)
    name = factory.LazyAttribute(lambda o: f"{o.community.name}社区学院")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"部门{n}")
    kind = DepartmentKind.PROPAGANDA


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_verified = True
    name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("pass-word-123")


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.RESIDENT


class ResidentFactory(UserFactory):
    """A user with a resident profile in a community (pass `profile__community=`)."""

    profile = factory.RelatedFactory("tests.factories.interests.ResidentProfileFactory", factory_related_name="user")


class StaffFactory(UserFactory):
    """A staff member bound to a node: StaffFactory(role=Role.STREET_STAFF, street=s)."""

    is_staff = True

    @classmethod
    def _create(cls, model_class, *args, role=Role.COMMUNITY_STAFF, community=None, street=None, district=None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        RoleAssignment.objects.create(
            user=user,
            role=role,
            community=community if role == Role.COMMUNITY_STAFF else None,
            street=street if role == Role.STREET_STAFF else None,
            district=district if role == Role.DISTRICT_OFFICE else None,
        )
        return user
