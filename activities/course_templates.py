"""复制推广: class templates. A district publishes a well-run class; another district copies it.

Writes: `course_template_publish` (the source class's district office), `course_template_update` (the
publishing district's office only), `course_template_copy` (the copying district's office, into one of its
own communities, as a class draft). Reads: `course_templates_list`. The source class is never written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community
from accounts.offices import require_district_office
from community_college.writes import update_allowed_fields

from .enums import CourseStatus, SessionStatus
from .models import Course, CourseTemplate, CourseTemplateCopy

EDITABLE_FIELDS = ("title", "description", "materials", "session_plan", "capacity")


def session_plan_of(course: Course) -> list[dict]:
    """The meetings of `course` that were not cancelled, in order: weekday, local start and length."""
    plan = []
    sessions = course.sessions.exclude(status=SessionStatus.CANCELLED).order_by("starts_at")
    for n, session in enumerate(sessions, start=1):
        local = timezone.localtime(session.starts_at)
        plan.append(
            {
                "n": n,
                "weekday": local.weekday(),
                "start": f"{local:%H:%M}",
                "minutes": int((session.ends_at - session.starts_at).total_seconds() // 60),
            }
        )
    return plan


@transaction.atomic
def course_template_publish(*, course: Course, actor, materials: str = "") -> CourseTemplate:
    """Publish `course` as a template of its district; the class itself is left as it is."""
    course = Course.objects.select_related("community__street").get(pk=course.pk)
    district_id = course.community.street.district_id
    require_district_office(actor, district_id)
    if course.status == CourseStatus.CANCELLED:
        raise ValidationError(_("A cancelled class cannot be published as a template."))
    template = CourseTemplate(
        title=course.title,
        category_id=course.category_id,
        description=course.description,
        materials=materials,
        session_plan=session_plan_of(course),
        capacity=course.capacity,
        source_course=course,
        district_id=district_id,
        published_by=actor,
    )
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def course_template_update(*, template: CourseTemplate, actor, **changes) -> CourseTemplate:
    """Edit a template: only its own district's office may, and only the text, plan and size."""
    template = CourseTemplate.objects.select_for_update().get(pk=template.pk)
    require_district_office(actor, template.district_id)
    return update_allowed_fields(
        template,
        changes,
        allowed=EDITABLE_FIELDS,
        stamps={"updated_at": timezone.now(), "updated_by": actor},
        refusal=_("These fields of a template cannot be changed: %(f)s"),
    )


@transaction.atomic
def course_template_copy(*, template: CourseTemplate, community: Community, actor) -> CourseTemplateCopy:
    """Copy `template` into a class draft (proposed, not yet open) of `community`, in the actor's district.

    Teacher, term, time and venue are the copying district's to choose; the draft keeps the template as
    its origin, and the template keeps its source class and district.
    """
    community = Community.objects.select_related("street").get(pk=community.pk)
    district_id = community.street.district_id
    require_district_office(actor, district_id)
    template = CourseTemplate.objects.get(pk=template.pk)
    course = Course(
        title=template.title,
        category_id=template.category_id,
        community=community,
        teacher=None,
        description=template.description,
        capacity=template.capacity,
        status=CourseStatus.PROPOSED,
    )
    course.full_clean()
    course.save()
    return CourseTemplateCopy.objects.create(
        template=template, course=course, district_id=district_id, copied_by=actor
    )


def course_templates_list() -> QuerySet[CourseTemplate]:
    """Every published template, for every district to browse: origin joined, copies counted."""
    return CourseTemplate.objects.select_related(
        "category", "district", "source_course__community", "published_by"
    ).annotate(copies_count=Count("copies"))
