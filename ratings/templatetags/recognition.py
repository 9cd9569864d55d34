"""{% recognition_badges %}: the 榜样 badges of a class's teacher and group, a group, or a person (and the
teacher they are), from `ratings.recognition.selectors.badges`: one query."""

from django import template

from ratings.recognition import selectors

register = template.Library()


@register.inclusion_tag("ratings/recognition/_badges.html")
def recognition_badges(*, teacher_id=None, group_id=None, person=None):
    person_ids = [person.pk] if person is not None and getattr(person, "is_authenticated", False) else []
    found = selectors.badges(
        teacher_ids=[teacher_id] if teacher_id else [],
        group_ids=[group_id] if group_id else [],
        person_ids=person_ids,
        teacher_user_ids=person_ids,
    )
    return {"badges": [b for badges in found.values() for b in badges]}
