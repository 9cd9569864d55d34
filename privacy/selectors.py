"""Everything the portal holds about one resident, as plain data (the download of PIPL art. 45)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def resident_data(*, user: User) -> dict:
    """Profile, consents, orders with their timeline, registrations, attendance, ratings, notices,
    groups, recommendations, 协商议事 rows (matters, photos, comments, reports, confirmations, supports,
    votes, meeting participation, timeline steps they took), pledges and sign-in tokens of `user`:
    JSON-ready, in a stable order, in a fixed number of queries whatever the number of rows."""
    data: dict = {"exported_at": _iso(timezone.now()), "account": _account(user), "profile": None, "consents": None}
    profile = getattr(user, "profile", None)
    if profile is not None:
        data["profile"] = _profile(profile)
        data["consents"] = {
            "sms": profile.consent_sms,
            "email": profile.consent_email,
            "recommendations": profile.consent_recommendations,
        }
    data["orders"] = _orders(user)
    data.update(_classes_data(user))
    data.update(_portal_data(user))
    data.update(_consultation_data(user))
    data["pledges"] = _pledges(user)
    data["api_tokens"] = [
        {"name": t.name, "created": _iso(t.created), "last_used": _iso(t.last_used)}
        for t in user.api_tokens.order_by("id")
    ]
    return data


def _account(user: User) -> dict:
    return {
        "id": user.pk,
        "name": user.name,
        "phone": user.phone,
        "email": user.email,
        "language": user.language,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }


def _profile(profile) -> dict:
    return {
        "community": str(profile.community) if profile.community_id else None,
        "grid": str(profile.grid) if profile.grid_id else None,
        "latitude": profile.latitude,
        "longitude": profile.longitude,
        "interests": sorted(category.name for category in profile.interests.all()),
        "availability": [str(window) for window in profile.availability.all()],
    }


def _orders(user: User) -> list[dict]:
    from activities.models import Order

    orders = Order.objects.filter(resident=user).select_related("category", "community").prefetch_related("events")
    return [
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


def _classes_data(user: User) -> dict:
    """Registrations, attendance and ratings."""
    from activities.models import Attendance, Registration
    from ratings.models import SessionRating

    return {
        "registrations": [
            {"id": r.pk, "class": r.course.title, "status": r.status, "created": _iso(r.created)}
            for r in Registration.objects.filter(resident=user).select_related("course").order_by("id")
        ],
        "attendance": [
            {"class": a.session.course.title, "session_starts_at": _iso(a.session.starts_at), "attended": a.attended}
            for a in Attendance.objects.filter(resident=user).select_related("session__course").order_by("id")
        ],
        "ratings": [
            {"class": r.session.course.title, "stars": r.stars, "comment": r.comment, "created": _iso(r.created)}
            for r in SessionRating.objects.filter(resident=user).select_related("session__course").order_by("id")
        ],
    }


def _portal_data(user: User) -> dict:
    """Notices, group memberships and the teachers they recommended."""
    from interests.models import GroupMembership
    from notices.models import Notice
    from teachers.models import TeacherRecommendation

    return {
        "notices": [
            {"title": n.title, "text": n.body, "created": _iso(n.created), "read_at": _iso(n.read_at)}
            for n in Notice.objects.filter(recipient=user).order_by("id")
        ],
        "groups": [
            {"group": m.group.name, "role": m.role, "joined": _iso(m.joined)}
            for m in GroupMembership.objects.filter(user=user).select_related("group").order_by("id")
        ],
        "teacher_recommendations": [
            {"name": t.name, "note": t.note, "status": t.status}
            for t in TeacherRecommendation.objects.filter(recommended_by=user).order_by("id")
        ],
    }


def _consultation_data(user: User) -> dict:
    """The resident's 协商议事 rows: one query per kind."""
    return {**_matters_raised(user), **_words_on_matters(user), **_part_in_matters(user)}


def _matters_raised(user: User) -> dict:
    """The matters they raised, and the photos of them or that they added to others' matters."""
    from django.db.models import Q

    from consultation.models import Matter, MatterPhoto

    return {
        "matters": [
            {
                "id": m.pk,
                "title": m.title,
                "description": m.description,
                "community": str(m.community),
                "category": m.category.name,
                "latitude": m.latitude,
                "longitude": m.longitude,
                "show_name": m.show_name,
                "status": m.status,
                "raised_at": _iso(m.raised_at),
            }
            for m in Matter.objects.filter(raised_by=user).select_related("community", "category").order_by("id")
        ],
        # Photos of their matters and photos they added to others' (as file names, not the images).
        "matter_photos": [
            {"matter": p.matter_id, "file": p.name, "status": p.status, "created": _iso(p.created)}
            for p in MatterPhoto.objects.filter(Q(uploaded_by=user) | Q(matter__raised_by=user)).order_by("id")
        ],
    }


def _words_on_matters(user: User) -> dict:
    """What they wrote about matters: comments, reports of others' comments, "is it really done?" answers."""
    from consultation.models import Comment, CommentReport, Confirmation

    return {
        "matter_comments": [
            {"matter": c.matter_id, "comment": c.body, "status": c.status, "created": _iso(c.created)}
            for c in Comment.objects.filter(author=user).order_by("id")
        ],
        "comment_reports": [
            {"comment": r.comment_id, "reason": r.reason, "created": _iso(r.created)}
            for r in CommentReport.objects.filter(reporter=user).order_by("id")
        ],
        "matter_confirmations": [
            {
                "matter": c.matter_id,
                "really_done": c.is_done,
                "satisfaction": c.satisfaction,
                "comment": c.comment,
                "created": _iso(c.created),
            }
            for c in Confirmation.objects.filter(resident=user).order_by("id")
        ],
    }


def _part_in_matters(user: User) -> dict:
    """Where they took part: supports, votes, meetings they were invited to, timeline steps they took."""
    from consultation.models import MatterEvent, Participant, Support, Vote

    return {
        "matter_supports": [
            {"matter": s.matter_id, "created": _iso(s.created)}
            for s in Support.objects.filter(user=user).order_by("id")
        ],
        "matter_votes": [
            {"matter": v.decision.matter_id, "decision": v.decision.text, "vote": v.choice, "at": _iso(v.at)}
            for v in Vote.objects.filter(voter=user).select_related("decision").order_by("id")
        ],
        "meetings": [
            {
                "meeting": str(p.meeting),
                "invited_as": p.kind,
                "confirmed_at": _iso(p.confirmed_at),
                "declined_at": _iso(p.declined_at),
                "checked_in_at": _iso(p.present_at),
            }
            for p in Participant.objects.filter(user=user).select_related("meeting").order_by("id")
        ],
        "matter_steps": [
            {"matter": e.matter_id, "what": e.kind, "at": _iso(e.at), "note": e.note}
            for e in MatterEvent.objects.filter(actor=user).order_by("id")
        ],
    }


def _pledges(user: User) -> list[dict]:
    from funds.models import Pledge

    return [
        {
            "id": p.pk,
            "campaign": p.campaign.title,
            "amount": str(p.amount),
            "public_name": p.public_name,
            "unit_name": p.unit_name,
            "status": p.status,
            "method": p.method,
            "payment_reference": p.gateway_reference,
            "pledged_at": _iso(p.created),
            "received_at": _iso(p.received_at),
        }
        for p in Pledge.objects.filter(pledger=user).select_related("campaign").order_by("id")
    ]
