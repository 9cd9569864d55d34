import django_filters

from activities.dispatch.enums import MatchRunStatus, ProposedClassStatus
from activities.enums import RegistrationStatus
from activities.models import MatchRun, ProposedClass, Registration
from interests.api.filters import IdFilter
from teachers.models import Teacher


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)

    class Meta:
        model = Registration
        fields = ["status"]


class TeacherFilter(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    skill = IdFilter(field_name="skills__category_id", distinct=True, label="Teaches this interest")

    class Meta:
        model = Teacher
        fields = ["community", "kind", "is_active"]


class MatchRunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MatchRunStatus.choices)

    class Meta:
        model = MatchRun
        fields = ["status", "scope"]


class ProposedClassFilter(django_filters.FilterSet):
    run = IdFilter(field_name="run_id")
    status = django_filters.ChoiceFilter(choices=ProposedClassStatus.choices)

    class Meta:
        model = ProposedClass
        fields = ["run", "status"]
