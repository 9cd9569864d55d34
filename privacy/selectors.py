"""Everything the portal holds about one resident, as plain data (the download of PIPL art. 45)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def resident_data(*, user: User) -> dict:
    """Profile, consents, orders with their timeline, registrations, attendance, ratings, notices,
    groups, recommendations and sign-in tokens of `user`: JSON-ready, in a stable order."""
    from activities.models import Attendance, Registration
    from interests.models import GroupMembership, Order
    from notices.models import Notice
    from ratings.models import SessionRating
    from teachers.models import TeacherRecommendation

    profile = getattr(user, "profile", None)
    data: dict = {
        "exported_at": _iso(timezone.now()),
        "account": {
            "id": user.pk,
            "name": user.name,
            "phone": user.phone,
            "email": user.email,
            "language": user.language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "profile": None,
        "consents": None,
    }
    if profile is not None:
        data["profile"] = {
            "community": str(profile.community) if profile.community_id else None,
            "grid": str(profile.grid) if profile.grid_id else None,
            "latitude": profile.latitude,
            "longitude": profile.longitude,
            "interests": sorted(category.name for category in profile.interests.all()),
            "availability": [str(window) for window in profile.availability.all()],
        }
        data["consents"] = {
            "sms": profile.consent_sms,
            "email": profile.consent_email,
            "recommendations": profile.consent_recommendations,
        }
    orders = Order.objects.filter(resident=user).select_related("category", "community").prefetch_related("events")
    data["orders"] = [
        {
            "id": order.pk,
            "interest": order.category.name,
            "community": str(order.community),
            "status": order.status,
            "note": order.note,
            "submitted_at": _iso(order.submitted_at),
            "timeline": [
                {"at": _iso(event.at), "from": event.from_status, "to": event.to_status, "note": event.note}
                for event in order.events.all()
            ],
        }
        for order in orders.order_by("id")
    ]
    data["registrations"] = [
        {"id": r.pk, "class": r.course.title, "status": r.status, "created": _iso(r.created)}
        for r in Registration.objects.filter(resident=user).select_related("course").order_by("id")
    ]
    data["attendance"] = [
        {"class": a.session.course.title, "session_starts_at": _iso(a.session.starts_at), "attended": a.attended}
        for a in Attendance.objects.filter(resident=user).select_related("session__course").order_by("id")
    ]
    data["ratings"] = [
        {"class": r.session.course.title, "stars": r.stars, "comment": r.comment, "created": _iso(r.created)}
        for r in SessionRating.objects.filter(resident=user).select_related("session__course").order_by("id")
    ]
    data["notices"] = [
        {"title": n.title, "text": n.body, "created": _iso(n.created), "read_at": _iso(n.read_at)}
        for n in Notice.objects.filter(recipient=user).order_by("id")
    ]
    data["groups"] = [
        {"group": m.group.name, "role": m.role, "joined": _iso(m.joined)}
        for m in GroupMembership.objects.filter(user=user).select_related("group").order_by("id")
    ]
    data["teacher_recommendations"] = [
        {"name": t.name, "note": t.note, "status": t.status}
        for t in TeacherRecommendation.objects.filter(recommended_by=user).order_by("id")
    ]
    data["api_tokens"] = [
        {"name": t.name, "created": _iso(t.created), "last_used": _iso(t.last_used)}
        for t in user.api_tokens.order_by("id")
    ]
    return data
