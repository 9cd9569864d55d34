import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from activities.models import Order
from interests.enums import OrderStatus
from interests.models import Category, GroupMembership, InterestGroup, ResidentProfile


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"兴趣{n}")
    min_size = 2
    max_size = 20


class ResidentProfileFactory(DjangoModelFactory):
    class Meta:
        model = ResidentProfile

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    community = factory.SubFactory("tests.factories.accounts.CommunityFactory")
    latitude = factory.LazyAttribute(lambda o: o.community.latitude)
    longitude = factory.LazyAttribute(lambda o: o.community.longitude)


class InterestGroupFactory(DjangoModelFactory):
    class Meta:
        model = InterestGroup

    name = factory.Sequence(lambda n: f"兴趣小组{n}")
    category = factory.SubFactory(CategoryFactory)
    community = factory.SubFactory("tests.factories.accounts.CommunityFactory")


class GroupMembershipFactory(DjangoModelFactory):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(InterestGroupFactory)
    user = factory.SubFactory("tests.factories.accounts.UserFactory")


class OrderFactory(DjangoModelFactory):
    """A submitted order; for a later state use the services, which stamp the timeline."""

    class Meta:
        model = Order

    resident = factory.SubFactory("tests.factories.accounts.ResidentFactory")
    community = factory.LazyAttribute(lambda o: o.resident.profile.community)
    category = factory.SubFactory(CategoryFactory)
    status = OrderStatus.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    placed_by = factory.SelfAttribute("resident")
