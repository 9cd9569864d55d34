from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread_notices(request):
    """`unread_notice_count` for the header badge; counted only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notice_count": 0}
    return {"unread_notice_count": SimpleLazyObject(lambda: unread_count(user=user))}
