"""Demo showcases (兴趣展示) and stories (人物故事) for `seed_demo`, through the real services.

In a handful of colleges (the demo staff member's community first): showcases held earlier this month and last
month by active interest groups, with photos drawn by Pillow, uploaded through `community_college.uploads`
(re-encoded, thumbnails) and approved by the community's staff; showcases to come, approved, with an audience
registered through the class registration service (a full one has a waiting list); and a few published
stories with consent recorded. The walls, the dashboards' showcases tab and the `showcases_held` star
indicator then have something to show. A few dozen rows at any scale; its own random generator.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.enums import Role
from accounts.models import College, RoleAssignment
from activities.enums import SessionStatus, ShowcaseKind
from activities.models import Session, Showcase
from interests.enums import GroupRole
from interests.models import GroupMembership, InterestGroup, ResidentProfile
from venues.enums import HOLDING_STATUSES
from venues.models import Booking, Venue

COLLEGES = 6
PAST_PER_COLLEGE = 2
COMING_PER_COLLEGE = 2
AUDIENCE = 24

TITLES = {
    ShowcaseKind.PERFORMANCE: "{group}汇报演出",
    ShowcaseKind.EXHIBITION: "{group}作品展",
    ShowcaseKind.MATCH: "{group}友谊赛",
    ShowcaseKind.OPEN_CLASS: "{group}公开课",
}
STORIES = [
    ("从学员到老师：{name}的太极十年", "退休后在社区学院学太极拳，如今带着三十多位邻居每天清晨练拳。"),
    ("一支合唱团，把楼上楼下唱成了一家人", "合唱团成立两年，成员从八人到四十人，今年在街道展演中获得好评。"),
    ("闲置车间变课堂", "园区企业把午休时段的会议室借给社区，开了书法和手机摄影课。"),
]


def _picture(rng: random.Random, caption: str) -> bytes:
    """A colourful JPEG drawn with Pillow: a stage, some figures, a banner; different every time."""
    from PIL import Image, ImageDraw

    width, height = 960, 640
    image = Image.new("RGB", (width, height), tuple(rng.randint(150, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.7, width, height), fill=tuple(rng.randint(60, 140) for _ in range(3)))
    draw.rectangle((width * 0.1, height * 0.08, width * 0.9, height * 0.2), fill=(190, 30, 45))
    for _ in range(rng.randint(4, 9)):
        x = rng.randint(60, width - 60)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        draw.ellipse((x - 22, height * 0.42, x + 22, height * 0.42 + 44), fill=colour)
        draw.rectangle((x - 26, height * 0.42 + 46, x + 26, height * 0.7), fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _slot(day, start_hour: int, tz) -> tuple[datetime, datetime]:
    starts = timezone.make_aware(datetime.combine(day, time(start_hour, 30)), tz)
    return starts, starts + timedelta(hours=2)


def _propose(services, *, actor, group, venues, starts, kind, rng, capacity):
    """Propose in the first venue free at that time (the booking services refuse a taken room)."""
    for venue in venues:
        try:
            return services.showcase_propose(
                actor=actor,
                title=TITLES[kind].format(group=group.name)[:100],
                kind=kind,
                venue=venue,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=capacity,
                programme="1. 开场合唱\n2. 小组成员展示\n3. 居民互动体验",
                participants=f"{group.name}全体成员",
                group=group,
            )
        except ValidationError:
            continue
    return None


def _at(day, like: datetime, tz) -> datetime:
    """`day` at the local time of day of `like`."""
    return timezone.make_aware(datetime.combine(day, timezone.localtime(like, tz).time()), tz)


def _move(showcase: Showcase, starts_at: datetime, *, held: bool = False) -> None:
    """Move a showcase with its meeting and booking to `starts_at` (the services take only times to come), a
    day later (earlier, for a held one) at a time until the room is free then: holding bookings never overlap."""
    length = showcase.ends_at - showcase.starts_at
    booking = Booking.objects.get(session__course_id=showcase.audience_id)
    while (
        Booking.objects.filter(
            venue_id=booking.venue_id,
            status__in=HOLDING_STATUSES,
            starts_at__lt=starts_at + length,
            ends_at__gt=starts_at,
        )
        .exclude(pk=booking.pk)
        .exists()
    ):
        starts_at += timedelta(days=-1 if held else 1)
    ends_at = starts_at + length
    Showcase.objects.filter(pk=showcase.pk).update(starts_at=starts_at, ends_at=ends_at)
    Session.objects.filter(course_id=showcase.audience_id).update(
        starts_at=starts_at, ends_at=ends_at, status=SessionStatus.HELD if held else SessionStatus.SCHEDULED
    )
    Booking.objects.filter(pk=booking.pk).update(starts_at=starts_at, ends_at=ends_at)
    showcase.refresh_from_db()


def seed_showcases(seeder) -> None:
    from activities import showcases as services

    rng = random.Random(16)
    tz = timezone.get_default_timezone()
    now = timezone.now()
    today = timezone.localdate(now, tz)
    seeder_today = timezone.localdate(seeder.now, tz)
    staff_of = dict(
        RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF, user__is_active=True)
        .order_by("community_id", "user_id")
        .values_list("community_id", "user_id")
    )
    from accounts.models import User

    colleges = list(
        College.objects.filter(community__street__district_id=seeder.district.pk)
        .select_related("community")
        .order_by("id")
    )
    demo_community = getattr(getattr(seeder, "demo_community", None), "pk", None)
    colleges.sort(key=lambda c: (c.community_id != demo_community, c.pk))
    done = 0
    for college in colleges:
        if done >= COLLEGES:
            break
        community = college.community
        staff_id = staff_of.get(community.pk)
        groups = list(InterestGroup.objects.filter(community=community, is_active=True).order_by("id")[:4])
        venues = list(
            Venue.objects.filter(community=community, is_active=True).order_by("-capacity", "id")[:4]
        )
        if staff_id is None or not groups or not venues:
            continue
        staff = User.objects.get(pk=staff_id)
        residents = list(
            ResidentProfile.objects.filter(community=community)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:200]
        )
        done += 1
        for n, group in enumerate(groups[: PAST_PER_COLLEGE + COMING_PER_COLLEGE]):
            # "leader" sorts before "member": the group's leader if it has one, else its first member.
            leader_id = (
                GroupMembership.objects.filter(group=group)
                .order_by("role", "id")
                .values_list("user_id", flat=True)
                .first()
            )
            if leader_id is None and residents:
                leader_id = residents[n % len(residents)]
                GroupMembership.objects.get_or_create(group=group, user_id=leader_id)
            if leader_id is None:
                continue
            GroupMembership.objects.filter(group=group, role=GroupRole.LEADER).exclude(
                user_id=leader_id
            ).update(role=GroupRole.MEMBER)
            GroupMembership.objects.filter(group=group, user_id=leader_id).update(role=GroupRole.LEADER)
            leader = User.objects.get(pk=leader_id)
            # By position, not by id: ids differ between databases and runs, the demo must not.
            kind = list(ShowcaseKind)[(done + n) % len(ShowcaseKind)]
            past = n < PAST_PER_COLLEGE
            # Proposed for next week (a showcase is proposed for a time to come), moved back for the past ones.
            starts, _ends = _slot(today + timedelta(days=8 + n * 3), 18 + n % 2, tz)
            showcase = _propose(
                services,
                actor=leader,
                group=group,
                venues=venues,
                starts=starts,
                kind=kind,
                rng=rng,
                capacity=12 if n == PAST_PER_COLLEGE else 40,
            )
            if showcase is None:
                continue
            services.showcase_approve(showcase=showcase, actor=staff)
            seeder.report.rows["activities.Showcase"] += 1
            audience = [r for r in residents if r != leader_id]
            rng.shuffle(audience)
            seats = audience[: AUDIENCE if not past else AUDIENCE // 2]
            users = User.objects.in_bulk(seats)
            # In the drawn order, not the database's: the same seed gives the same audience and waiting list.
            for user in (users[pk] for pk in seats):
                try:
                    services.showcase_register(showcase=showcase, resident=user)
                except ValidationError:
                    continue
                seeder.report.rows["activities.Registration"] += 1
            if not past:
                # To the seed's clock (the real one, except in tests that pin it), a few days ahead.
                _move(showcase, _at(seeder_today + timedelta(days=3 + n * 4), starts, tz))
                continue
            # One held earlier this month (or at the end of last month early in a month), one last month.
            days_back = (seeder_today.day // 2 + 1) if n == 0 else seeder_today.day + 10
            _move(showcase, _at(seeder_today - timedelta(days=days_back), starts, tz), held=True)
            for k in range(rng.randint(2, 4)):
                caption = ["精彩瞬间", "全体合影", "作品展示", "观众互动"][k % 4]
                upload = SimpleUploadedFile(f"p{k}.jpg", _picture(rng, caption), "image/jpeg")
                item = services.media_add(
                    actor=leader, showcase=showcase, upload=upload, consent_confirmed=True, caption=caption
                )
                services.media_moderate(item=item, actor=staff, approve=k < 3)
        for k, (title, body) in enumerate(STORIES[: 1 + done % 2]):
            name = rng.choice(["张秀英", "李桂兰", "王建华", "刘明"])
            story = services.story_create(
                actor=staff,
                community=community,
                title=title.format(name=name)[:100],
                body=body,
                subject_name=name if k == 0 else "",
                consent_recorded=True,
                consent_note="本人签署知情同意书",
            )
            services.story_publish(story=story, actor=staff)
            seeder.report.rows["activities.Story"] += 1
            upload = SimpleUploadedFile("story.jpg", _picture(rng, title), "image/jpeg")
            item = services.media_add(actor=staff, story=story, upload=upload, consent_confirmed=True)
            services.media_moderate(item=item, actor=staff, approve=True)
