"""Demo data, orders stage: Orders (点单) with their timelines, skewed as real demand is.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from itertools import accumulate

from .base import _weighted
from .data import (
    CANCEL_NOTES,
    FAVOURITE_SHARE,
    FAVOURITE_WEIGHTS,
    FAVOURITES,
    OLD_ORDER_SHARE,
    ORDER_NOTES,
    REJECT_REASONS,
    WORD_OF_MOUTH,
)


class OrdersStages:
    def stage_orders(self) -> None:
        """Orders (点单): those that became a place in a class, then the rest of the loop's states."""
        from activities.models import Order, OrderEvent

        rng = self.rng
        target = self.scale.orders
        open_pairs: set[tuple[int, int]] = set()  # (resident, leaf) with an open order
        total_confirmed = sum(len(c.confirmed) for c in self.courses)
        p_link = min(0.8, 0.5 * target / max(1, total_confirmed))
        orders, plans = [], []  # plans: (order, events, slots)
        self.order_of: dict[tuple[int, int], Order] = {}  # (course index, resident) -> order
        channels = ["app", "app", "app", "web", "web", "phone", "desk"]

        def new_order(
            r: int, leaf: int, status: str, submitted: datetime, course_idx: int | None = None
        ) -> None:
            ci = self.res_community[r]
            staff = self.communities[ci].staff_id
            resident = self.res_ids[r]
            channel = rng.choice(channels)
            placed_by = staff if channel in ("phone", "desk") else resident
            order = Order(
                resident_id=resident,
                community_id=self.communities[ci].id,
                category_id=self.leaf_ids[leaf],
                note=rng.choice(ORDER_NOTES),
                status=status,
                channel=channel,
                placed_by_id=placed_by,
                submitted_at=submitted,
            )
            latest = self.now - timedelta(minutes=1)
            events = [("", "submitted", placed_by, submitted, "")]
            at = submitted
            path = {
                "submitted": [],
                "accepted": ["accepted"],
                "dispatched": ["accepted", "dispatched"],
                "completed": ["accepted", "dispatched", "completed"],
            }.get(status)
            if path is None:  # rejected or cancelled, from submitted or accepted
                path = (["accepted"] if rng.random() < 0.5 else []) + [status]
            course = self.courses[course_idx] if course_idx is not None else None
            for step in path:
                if step == "dispatched":
                    at = min(
                        max(
                            at + timedelta(hours=1),
                            self.at(course.dates[0], time(9)) - timedelta(days=rng.randint(2, 10)),
                        ),
                        latest,
                    )
                    order.dispatched_at, order.course = at, course.obj
                    # No note: the timeline names the step and the class in the reader's language at read
                    # time; a note written here would stay Chinese for an English reader (issue 19).
                    events.append(("accepted", "dispatched", staff, at, ""))
                elif step == "completed":
                    at = self.at(course.dates[-1], self.slots[course.slot].end) + timedelta(
                        hours=rng.randint(1, 72)
                    )
                    at = min(at, self.now - timedelta(minutes=5))
                    order.completed_at = at
                    events.append(("dispatched", "completed", resident, at, ""))
                else:
                    at = min(at + timedelta(hours=rng.uniform(0.5, 72)), latest)
                    previous = events[-1][1]
                    if step == "accepted":
                        order.accepted_at = at
                        events.append((previous, "accepted", staff, at, ""))
                    elif step == "rejected":
                        order.closed_at, order.reject_reason = at, rng.choice(REJECT_REASONS)
                        events.append((previous, "rejected", staff, at, order.reject_reason))
                    else:
                        order.closed_at = at
                        events.append((previous, "cancelled", resident, at, rng.choice(CANCEL_NOTES)))
            if status in ("submitted", "accepted", "dispatched"):
                open_pairs.add((r, leaf))
            # Neighbouring communities keep the interest's times but start from a different one, so that
            # their classes do not all want the same teacher at the same hour.
            usual = self.usual_slots[leaf]
            usual = usual[ci % len(usual) :] + usual[: ci % len(usual)]
            if rng.random() < 0.85:
                # Most residents can come at the interest's usual times (some of them, at least one).
                preferred = [s for k, s in enumerate(usual) if rng.random() < (0.95 if k == 0 else 0.4)]
                preferred = preferred or [usual[0]]
            else:
                preferred = (
                    rng.sample(range(len(self.slots)), rng.randint(1, 3)) if rng.random() < 0.6 else []
                )
            if course is not None:
                preferred = [course.slot]
                self.order_of[course_idx, r] = order
            orders.append(order)
            plans.append((order, events, preferred))

        # Orders that became registrations: completed when the class is over, dispatched while it runs.
        for k, course in enumerate(self.courses):
            for r in course.confirmed:
                if (r != self.demo_resident and rng.random() >= p_link) or len(orders) >= target * 0.6:
                    continue
                if not course.closed and (r, course.leaf) in open_pairs:
                    continue
                submitted = self.at(course.dates[0], time(9)) - timedelta(
                    days=rng.randint(12, 40), minutes=rng.randint(0, 600)
                )
                submitted = min(submitted, self.now - timedelta(days=3, minutes=rng.randint(0, 3000)))
                new_order(r, course.leaf, "completed" if course.closed else "dispatched", submitted, k)

        # Each community ranks its age bands' favourite interests its own way (one dances, the next sings).
        favourites = {band: [self.leaf_index[x] for x in names] for band, names in FAVOURITES.items()}
        taste: list[dict[bool, tuple[list[int], list[float]]]] = []
        for _c in self.communities:
            bands = {}
            for old, band in ((True, "old"), (False, "young")):
                ranked = list(favourites[band])
                # Neighbouring communities share the district's taste, give or take a swap at the top.
                k = rng.randrange(len(ranked) - 1)
                if rng.random() < 0.5:
                    ranked[k], ranked[k + 1] = ranked[k + 1], ranked[k]
                bands[old] = (ranked, list(accumulate(FAVOURITE_WEIGHTS[: len(ranked)])))
            taste.append(bands)

        # The rest of the loop: waiting, accepted, turned down, withdrawn.
        states = ["submitted", "accepted", "rejected", "cancelled"]
        # Accepted orders are the matching queue: staff accept more than they leave waiting.
        state_cum = list(accumulate([0.2, 0.4, 0.13, 0.27]))
        demo_done = False
        # The last favourite ordered, as (community, leaf, old): the next order may be a neighbour's.
        word_of_mouth: tuple[int, int, bool] | None = None
        by_band: dict[bool, list[int]] = {True: [], False: []}
        neighbours: dict[tuple[int, bool], list[int]] = defaultdict(list)
        for r, (ci, old) in enumerate(zip(self.res_community, self.res_old, strict=True)):
            by_band[old].append(r)
            neighbours[ci, old].append(r)
        with self.bar(target, "orders") as bar:
            bar.update(len(orders))
            while len(orders) < target:
                status = states[_weighted(rng, state_cum)]
                leaf = None
                if not demo_done:
                    r, status, demo_done = self.demo_resident, "submitted", True
                elif word_of_mouth and rng.random() < WORD_OF_MOUTH:
                    # A neighbour heard of it: same community, same age band, same interest.
                    ci, leaf, old = word_of_mouth
                    r = rng.choice(neighbours[ci, old])
                else:
                    r = rng.choice(by_band[rng.random() < OLD_ORDER_SHARE])
                    if rng.random() < FAVOURITE_SHARE:
                        ranked, cum = taste[self.res_community[r]][self.res_old[r]]
                        leaf = ranked[_weighted(rng, cum)]
                        word_of_mouth = (self.res_community[r], leaf, self.res_old[r])
                if leaf is None:
                    interests = self.res_interests[r]
                    leaf = rng.choice(interests) if interests else _weighted(rng, self.leaf_cum)
                if status in ("submitted", "accepted") and (r, leaf) in open_pairs:
                    continue
                days = rng.uniform(0, 45) if status in ("submitted", "accepted") else rng.uniform(1, 360)
                new_order(r, leaf, status, self.now - timedelta(days=days))
                bar.update(1)
        self.insert(Order, orders)
        events = [(o.pk, a, b, actor, at, note) for o, evs, _p in plans for a, b, actor, at, note in evs]
        slots = [(o.pk, self.slots[s].pk) for o, _e, preferred in plans for s in preferred]
        with self.bar(len(events) + len(slots)) as bar:
            self.insert_rows(
                OrderEvent, ["order_id", "from_status", "to_status", "actor_id", "at", "note"], events, bar
            )
            self.insert_rows(Order.preferred_slots.through, ["order_id", "weeklyslot_id"], slots, bar)
