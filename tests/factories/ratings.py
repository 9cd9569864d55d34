import datetime as dt

import factory
from factory.django import DjangoModelFactory

from ratings.models import CollegeStarRecord, SessionRating


class SessionRatingFactory(DjangoModelFactory):
    class Meta:
        model = SessionRating

    session = factory.SubFactory("tests.factories.activities.SessionFactory")
    resident = factory.SubFactory("tests.factories.accounts.ResidentFactory")
    teacher = factory.LazyAttribute(lambda o: o.session.course.teacher)
    stars = 5


class CollegeStarRecordFactory(DjangoModelFactory):
    class Meta:
        model = CollegeStarRecord

    college = factory.SubFactory("tests.factories.accounts.CollegeFactory")
    period = dt.date(2026, 10, 1)
    score = 72.5
    stars = 3
