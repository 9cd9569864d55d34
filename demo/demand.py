"""Thin demand in the demo (issue 22): teachers who accept a smaller class, and the demo resident waiting
with two neighbours for an interest nobody else nearby has asked for.

After a matching run (`manage.py match --scope street` or the admin), the near misses page lists what one
relaxation would open (a smaller class the teacher accepts, a group to join …), and the demo resident's
orders page shows "2 neighbours want to learn … too (within a 15-minute walk); 2 more and a class can
open". Her order was accepted 35 days ago, so the daily "still waiting" notice (WAIT_NOTICE_DAYS) reaches
her too. Its own random generator, so adding it changes nothing else the seed draws.
"""

from __future__ import annotations

import random
from datetime import timedelta

from activities.geo import haversine_km, walking_circle_km
from activities.models import Order, OrderEvent
from interests.enums import OrderStatus
from interests.models import Category, ResidentProfile
from teachers.models import Teacher

# Grassroots teachers (skilled residents, volunteer teams) often start with whoever comes.
SMALLER_CLASS_SHARE = 0.5
SMALLER_CLASS_SIZE = 3
# The demo resident's quiet interest: the first of these the demo has, else the first leaf nobody nearby asked for.
QUIET_INTERESTS = ("国画", "围棋", "古筝", "摄影", "茶艺")


def seed_thin_demand(seeder) -> None:
    rng = random.Random(f"thin-demand-{seeder.report.seed}")
    smaller = [
        pk
        for pk in Teacher.objects.filter(
            source__in=["resident", "volunteer_team"], community__street__district_id=seeder.district.pk
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        if rng.random() < SMALLER_CLASS_SHARE
    ]
    Teacher.objects.filter(pk__in=smaller).update(min_class_size=SMALLER_CLASS_SIZE)
    _demo_resident_waits(seeder)


def _demo_resident_waits(seeder) -> None:
    me = (
        ResidentProfile.objects.filter(user__phone=seeder.accounts[0].phone)
        .select_related("community")
        .first()
    )
    if me is None or me.latitude is None:
        return
    taken = set(Order.objects.filter(community=me.community).values_list("category_id", flat=True))
    leaves = list(
        Category.objects.filter(parent__isnull=False, is_active=True, min_size__gte=5)
        .exclude(pk__in=taken)
        .order_by("sort_order", "pk")
    )
    if not leaves:
        return
    by_name = {c.name: c for c in leaves}
    interest = next((by_name[n] for n in QUIET_INTERESTS if n in by_name), leaves[0])
    circle = walking_circle_km()
    neighbours = [
        p.user_id
        for p in ResidentProfile.objects.filter(community=me.community, latitude__isnull=False)
        .exclude(user_id=me.user_id)
        .order_by("user_id")
        if haversine_km(me.latitude, me.longitude, p.latitude, p.longitude) <= circle * 0.8
    ][:2]
    # The community's staff member accepted the orders (the seeder's first community is the demo's).
    staff = next((c.staff_id or None for c in seeder.communities if c.id == me.community_id), None)
    now = seeder.now
    for k, user_id in enumerate([me.user_id, *neighbours]):
        submitted = now - timedelta(days=36 - k, hours=3)
        accepted = submitted + timedelta(hours=20)
        order = Order.objects.create(
            resident_id=user_id,
            community=me.community,
            category=interest,
            status=OrderStatus.ACCEPTED,
            placed_by_id=user_id,
            submitted_at=submitted,
            accepted_at=accepted,
        )
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(
                    order=order, from_status="", to_status="submitted", actor_id=user_id, at=submitted
                ),
                OrderEvent(
                    order=order, from_status="submitted", to_status="accepted", actor_id=staff, at=accepted
                ),
            ]
        )
