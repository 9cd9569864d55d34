import factory
from factory.django import DjangoModelFactory

from consultation.models import MatterCategory


class MatterCategoryFactory(DjangoModelFactory):
    class Meta:
        model = MatterCategory

    name = factory.Sequence(lambda n: f"类别{n}")
