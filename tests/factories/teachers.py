import factory
from factory.django import DjangoModelFactory

from teachers.enums import TeacherKind, TeacherSource
from teachers.models import Teacher, TeacherSkill


class TeacherFactory(DjangoModelFactory):
    class Meta:
        model = Teacher

    name = factory.Faker("name", locale="zh_CN")
    source = TeacherSource.VOLUNTEER_TEAM
    kind = TeacherKind.GRASSROOTS
    community = factory.SubFactory("tests.factories.accounts.CommunityFactory")
    latitude = 29.65
    longitude = 106.55


class TeacherSkillFactory(DjangoModelFactory):
    class Meta:
        model = TeacherSkill

    teacher = factory.SubFactory(TeacherFactory)
    category = factory.SubFactory("tests.factories.interests.CategoryFactory")
