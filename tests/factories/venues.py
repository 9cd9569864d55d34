from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from venues.enums import BookingStatus, OwnerType
from venues.models import Booking, Facility, Venue


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"facility-{n}")
    name = factory.Sequence(lambda n: f"设施{n}")


class VenueFactory(DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"活动室{n}")
    owner_type = OwnerType.CIVIC_PRACTICE
    community = factory.SubFactory("tests.factories.accounts.CommunityFactory")
    address = "金渝大道1号"
    capacity = 30
    latitude = factory.LazyAttribute(lambda o: o.community.latitude)
    longitude = factory.LazyAttribute(lambda o: o.community.longitude)


class BookingFactory(DjangoModelFactory):
    class Meta:
        model = Booking

    venue = factory.SubFactory(VenueFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1, minutes=30))
    status = BookingStatus.CONFIRMED
