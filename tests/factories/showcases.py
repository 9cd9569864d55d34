"""Showcases made the way the portal makes them: proposed by a group's leader (booking the venue), approved by
staff, and photos to go with them."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from interests.enums import GroupRole

from .accounts import ResidentFactory
from .interests import GroupMembershipFactory


def leader_of(group, user=None):
    """A resident of the group's community made its leader."""
    user = user or ResidentFactory(profile__community=group.community)
    GroupMembershipFactory(group=group, user=user, role=GroupRole.LEADER)
    return user


def propose(
    *,
    group,
    leader,
    venue,
    starts_at=None,
    hours: int = 2,
    capacity: int = 10,
    title: str = "汇报演出",
    kind: str = "performance",
):
    from activities.showcases import showcase_propose

    starts_at = starts_at or timezone.now().replace(microsecond=0) + timedelta(days=3)
    return showcase_propose(
        actor=leader,
        title=title,
        kind=kind,
        venue=venue,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity,
        programme="太极拳表演；合唱",
        participants="小组全体成员",
        group=group,
    )


def approved(*, group, leader, venue, staff, **kwargs):
    from activities.showcases import showcase_approve

    showcase = propose(group=group, leader=leader, venue=venue, **kwargs)
    showcase_approve(showcase=showcase, actor=staff)
    return showcase


def backdate(showcase, *, days: int = 2):
    """Move a showcase (and its audience's meeting) into the past, as if it had taken place."""
    from activities.models import Session, Showcase
    from venues.models import Booking

    delta = timedelta(days=days) + (showcase.ends_at - timezone.now())
    Showcase.objects.filter(pk=showcase.pk).update(
        starts_at=showcase.starts_at - delta, ends_at=showcase.ends_at - delta
    )
    Session.objects.filter(course_id=showcase.audience_id).update(
        starts_at=showcase.starts_at - delta, ends_at=showcase.ends_at - delta
    )
    Booking.objects.filter(session__course_id=showcase.audience_id).update(
        starts_at=showcase.starts_at - delta, ends_at=showcase.ends_at - delta
    )
    showcase.refresh_from_db()
    return showcase


def jpeg_with_gps(size=(900, 600), colour=(30, 120, 200)) -> bytes:
    """A JPEG whose EXIF carries a camera make and a GPS position (the resident's home, say)."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (29.0, 39.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 33.0, 1.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def photo_upload(name: str = "photo.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_gps(), "image/jpeg")
