"""Demo data, vocabulary stage: The shared vocabulary: facilities, the interest tree, weekly slots, terms.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import accumulate

from .base import _term_of
from .data import CATEGORY_TREE, FACILITIES, SLOT_TIMES, USUAL_TIMES, WEEKDAY_CODES, WEEKDAYS, WEEKEND, Leaf


class VocabularyStages:
    def stage_vocabulary(self) -> None:
        from activities.models import Term, WeeklySlot
        from interests.models import Category
        from venues.models import Facility

        # get_or_create: a vocabulary that a data migration may one day provide is reused, not doubled.
        self.facility_ids = {
            code: Facility.objects.get_or_create(code=code, defaults={"name": name})[0].pk
            for code, name in FACILITIES
        }
        self.leaves: list[Leaf] = []
        self.leaf_ids: list[int] = []
        through = []
        with self.bar(
            sum(
                1 + len(subs) + sum(len(leaves) for _a, _b, leaves in subs) for _r, _e, subs in CATEGORY_TREE
            ),
            "categories",
        ) as bar:
            for r_order, (root_name, root_en, subs) in enumerate(CATEGORY_TREE):
                # .save() one by one (85 rows): Category.save() fills the pinyin search keys.
                root, _ = Category.objects.get_or_create(
                    parent=None, name=root_name, defaults={"name_en": root_en, "sort_order": r_order}
                )
                bar.update(1)
                for s_order, (sub_name, sub_en, leaves) in enumerate(subs):
                    sub, _ = Category.objects.get_or_create(
                        parent=root, name=sub_name, defaults={"name_en": sub_en, "sort_order": s_order}
                    )
                    bar.update(1)
                    for l_order, leaf in enumerate(leaves):
                        obj, created = Category.objects.get_or_create(
                            parent=sub,
                            name=leaf.name,
                            defaults={
                                "name_en": leaf.name_en,
                                "min_size": leaf.min_size,
                                "max_size": leaf.max_size,
                                "sort_order": l_order,
                            },
                        )
                        if created:
                            through += [
                                Category.facilities.through(
                                    category_id=obj.pk, facility_id=self.facility_ids[f]
                                )
                                for f in leaf.facilities
                            ]
                        self.leaves.append(leaf)
                        self.leaf_ids.append(obj.pk)
                        bar.update(1)
        self.insert(Category.facilities.through, through)
        self.report.rows[Category._meta.label] = Category.objects.count()
        self.leaf_index = {leaf.name: i for i, leaf in enumerate(self.leaves)}
        # Taste by age: retirees lean to "old" interests, working people and families to "young" ones.
        taste = {"old": (1.8, 0.4), "young": (0.3, 1.8), "all": (1.0, 1.0)}
        self.leaf_cum_old = list(
            accumulate(leaf.popularity * taste[leaf.audience][0] for leaf in self.leaves)
        )
        self.leaf_cum_young = list(
            accumulate(leaf.popularity * taste[leaf.audience][1] for leaf in self.leaves)
        )
        self.leaf_cum = list(accumulate(leaf.popularity for leaf in self.leaves))

        slots = [
            WeeklySlot(code=f"{WEEKDAY_CODES[d]}-{start:%H%M}", weekday=d, start=start, end=end)
            for d in range(7)
            for start, end in SLOT_TIMES
        ]
        existing = {s.code: s for s in WeeklySlot.objects.all()}
        self.insert(WeeklySlot, [s for s in slots if s.code not in existing])
        self.slots = [existing.get(s.code, s) for s in slots]
        # The weekly slots each interest is usually held at: the named ones, else two drawn by audience
        # (retirees by day on weekdays, working people in the evening or at the weekend).
        per_day = len(SLOT_TIMES)
        by_audience = {
            "old": [d * per_day + k for d in WEEKDAYS for k in (0, 1, 2)],
            "young": [d * per_day + 3 for d in WEEKDAYS]
            + [d * per_day + k for d in WEEKEND for k in (0, 1, 2)],
        }
        by_audience["all"] = by_audience["old"] + by_audience["young"]
        self.usual_slots: list[list[int]] = [
            [d * per_day + k for d, k in USUAL_TIMES[leaf.name]]
            if leaf.name in USUAL_TIMES
            else self.rng.sample(by_audience[leaf.audience], 2)
            for leaf in self.leaves
        ]

        # The current term and the two before it cover the past year.
        terms, day = [], self.today
        for _ in range(3):
            name, starts, ends = _term_of(day)
            terms.append(
                Term.objects.get_or_create(
                    district=self.district, name=name, defaults={"starts_on": starts, "ends_on": ends}
                )[0]
            )
            day = starts - timedelta(days=1)
        self.terms = terms[::-1]  # oldest first
        self.report.rows[Term._meta.label] = len(terms)
