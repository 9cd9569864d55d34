"""Demo data, people stage: Residents: users, profiles, interests, free times.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from .base import _weighted
from .data import ALL_DAYS, DAYPARTS, WEEKDAYS, WEEKEND


class PeopleStages:
    def stage_residents(self) -> None:
        from accounts.enums import Role
        from accounts.models import RoleAssignment, User
        from interests.models import ResidentAvailability, ResidentProfile

        rng = self.rng
        n = self.scale.residents
        # Share residents among communities by population, then shuffle so ids interleave.
        total_pop = self.community_cum[-1]
        shares = [c.population * n / total_pop for c in self.communities]
        counts = [int(x) for x in shares]
        for i in sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])[: n - sum(counts)]:
            counts[i] += 1
        home = [i for i, k in enumerate(counts) for _ in range(k)]
        rng.shuffle(home)
        home.remove(0)
        home.insert(0, 0)  # resident 0 is the demo resident, in the first community

        self.res_ids: list[int] = [0] * n
        self.res_community: list[int] = home
        self.res_interests: list[tuple[int, ...]] = [()] * n
        self.res_old: list[bool] = [False] * n
        self.interested: dict[tuple[int, int], list[int]] = defaultdict(list)
        demo = self.accounts[0]
        demo_interests = tuple(self.leaf_index[x] for x in ("智能手机使用", "书法", "太极拳"))
        free_time = {
            True: [(DAYPARTS["am"], list(ALL_DAYS)), (DAYPARTS["pm"], list(ALL_DAYS))],  # retirees: by day
            False: [
                (DAYPARTS["eve"], list(WEEKDAYS)),
                (DAYPARTS["am"], list(WEEKEND)),
                (DAYPARTS["pm"], list(WEEKEND)),
            ],
        }
        cum_old, cum_young = self.leaf_cum_old, self.leaf_cum_young
        how_many = (1, 1, 2, 2, 2, 3, 3, 4)
        joined_span = 730 * 86400
        password = self.password
        random_ = rng.random
        randint = rng.randint
        chunk = 25_000
        with self.bar(n, "residents") as bar:
            for begin in range(0, n, chunk):
                idx = range(begin, min(n, begin + chunk))
                users, profiles, metas = [], [], []
                for i in idx:
                    ci = home[i]
                    c = self.communities[ci]
                    r = random_()
                    birth = (
                        randint(1940, 1964)
                        if r < 0.45
                        else randint(1965, 1975)
                        if r < 0.7
                        else randint(1976, 2006)
                    )
                    if i == 0:
                        name, phone, birth, interests = demo.name, demo.phone, 1958, demo_interests
                    else:
                        name, phone = self.name(), self.phone()
                        cum = cum_old if birth <= 1964 else cum_young
                        interests = tuple(
                            dict.fromkeys(_weighted(rng, cum) for _ in range(rng.choice(how_many)))
                        )
                    old = birth <= 1964
                    registered_by = c.staff_id if old and random_() < 0.2 else None
                    users.append(
                        (
                            phone,
                            name,
                            birth,
                            password,
                            random_() < 0.85,
                            self.now - timedelta(seconds=rng.randrange(joined_span)),
                            registered_by,
                        )
                    )
                    lat, lon = self.jitter(c.lat, c.lon, 0.004)
                    # Grids are pie slices around the community centre.
                    grids = c.grid_ids
                    sector = int(
                        (math.atan2(lat - c.lat, lon - c.lon) + math.pi) / (2 * math.pi) * len(grids)
                    ) % len(grids)
                    profiles.append(
                        [
                            None,
                            c.id,
                            grids[sector],
                            lat,
                            lon,
                            random_() < 0.9,
                            random_() < 0.05,
                            random_() < 0.85,
                        ]
                    )
                    metas.append((ci, interests, old))
                user_ids = self.insert_rows(
                    User,
                    [
                        "phone",
                        "name",
                        "birth_year",
                        "password",
                        "phone_verified",
                        "date_joined",
                        "registered_by_id",
                    ],
                    users,
                )
                for row, uid in zip(profiles, user_ids, strict=True):
                    row[0] = uid
                profile_ids = self.insert_rows(
                    ResidentProfile,
                    [
                        "user_id",
                        "community_id",
                        "grid_id",
                        "latitude",
                        "longitude",
                        "consent_sms",
                        "consent_email",
                        "consent_recommendations",
                    ],
                    profiles,
                )
                self.insert_rows(
                    RoleAssignment, ["user_id", "role"], [(uid, Role.RESIDENT.value) for uid in user_ids]
                )
                through, windows = [], []
                for i, uid, pid, (ci, interests, old) in zip(idx, user_ids, profile_ids, metas, strict=True):
                    self.res_ids[i] = uid
                    self.res_interests[i] = interests
                    self.res_old[i] = old
                    self.communities[ci].residents.append(i)
                    for leaf in interests:
                        self.interested[ci, leaf].append(i)
                        through.append((pid, self.leaf_ids[leaf]))
                    if random_() < 0.7:
                        for (start, end), days in rng.sample(free_time[old], randint(1, 2)):
                            for d in rng.sample(days, min(len(days), randint(1, 3))):
                                windows.append((pid, d, start, end))
                self.insert_rows(
                    ResidentProfile.interests.through, ["residentprofile_id", "category_id"], through
                )
                self.insert_rows(ResidentAvailability, ["profile_id", "weekday", "start", "end"], windows)
                bar.update(len(idx))
        self.demo_resident = 0
