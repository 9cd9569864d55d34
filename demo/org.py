"""Demo data, org stage: The organisation tree (district, streets, communities, grids, colleges, departments) and its staff.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from itertools import accumulate

from .base import _Community
from .data import DEPARTMENTS, DISTRICT, GRID_NAMES, STREETS

# 两江新区's centre: the streets' coordinates in data.py are around it.
STREET_ORIGIN = (DISTRICT[2], DISTRICT[3])


class OrgStages:
    def stage_organisation(self) -> None:
        from faker.providers.person.zh_CN import Provider as Person

        from accounts.models import College, Community, Department, District, Grid, Street

        rng = self.rng
        self.surnames = list(Person.last_names)
        self.surname_cum = list(accumulate(float(w) for w in Person.last_names.values()))
        self.given_names = list(dict.fromkeys(Person.first_names))
        existing = self._existing_phones()
        self.used_phones |= existing

        name, code, prefix, lat, lon = self.district_spec
        district = District.objects.create(name=name, code=code, latitude=lat, longitude=lon)
        self.district = district
        # A further district is 两江新区's streets moved to its own centre (zero shift for the first).
        d_lat, d_lon = lat - STREET_ORIGIN[0], lon - STREET_ORIGIN[1]
        self.street_coords = [
            (round(s[2] + d_lat, 6), round(s[3] + d_lon, 6)) for s in STREETS[: self.scale.streets]
        ]
        streets = [
            Street(district=district, name=s[0], code=f"{prefix}-{s[1]}", latitude=s_lat, longitude=s_lon)
            for s, (s_lat, s_lon) in zip(STREETS[: self.scale.streets], self.street_coords, strict=True)
        ]
        self.insert(Street, streets)
        self.street_ids = [s.pk for s in streets]

        communities, plans = [], []
        for s_idx, (_n, _c, _lat, _lon, names) in enumerate(STREETS[: self.scale.streets]):
            s_lat, s_lon = self.street_coords[s_idx]
            low, high = self.scale.communities_per_street
            for c_idx, cname in enumerate(names[: rng.randint(low, min(high, len(names)))]):
                angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0.004, 0.02)
                c_lat, c_lon = (
                    round(s_lat + radius * math.sin(angle), 6),
                    round(s_lon + radius * math.cos(angle), 6),
                )
                population = rng.randrange(6000, 22000, 100)
                communities.append(
                    Community(
                        street_id=streets[s_idx].pk,
                        name=f"{cname}社区",
                        code=f"{prefix}-{STREETS[s_idx][1]}-{c_idx + 1:02d}",
                        population=population,
                        latitude=c_lat,
                        longitude=c_lon,
                    )
                )
                plans.append((s_idx, c_lat, c_lon, population))
        self.insert(Community, communities)
        grids = [
            Grid(community_id=c.pk, name=g) for c in communities for g in GRID_NAMES[: rng.randint(4, 8)]
        ]
        self.insert(Grid, grids)
        grid_ids = defaultdict(list)
        for g in grids:
            grid_ids[g.community_id].append(g.pk)
        colleges = [
            College(
                community_id=c.pk,
                name=f"{c.name}学院",
                founded=date(rng.choice([2022, 2023, 2023, 2024]), rng.randint(1, 12), 1),
            )
            for c in communities
        ]
        self.insert(College, colleges)
        self.colleges = colleges
        self.communities = [
            _Community(c.pk, s_idx, c.name, c_lat, c_lon, population, grid_ids[c.pk], college_id=col.pk)
            for c, col, (s_idx, c_lat, c_lon, population) in zip(communities, colleges, plans, strict=True)
        ]
        self.community_cum = list(accumulate(c.population for c in self.communities))
        departments = [Department(district=district, name=n, kind=k) for n, k, _t, _w in DEPARTMENTS]
        self.insert(Department, departments)
        self.departments = departments
        self.department_cum = list(accumulate(w for *_x, w in DEPARTMENTS))


    def _existing_phones(self) -> set[str]:
        from accounts.models import User

        return set(User.objects.exclude(phone=None).values_list("phone", flat=True))


    def stage_staff(self) -> None:
        from accounts.enums import Role
        from accounts.models import RoleAssignment, User

        rng = self.rng
        demo = {a.role: a for a in self.accounts}
        users, roles = [], []

        def staff(name: str, phone: str, role: str, is_staff: bool, **node) -> User:
            user = User(
                phone=phone,
                name=name,
                password=self.password,
                is_staff=is_staff,
                phone_verified=True,
                birth_year=rng.randint(1970, 1998),
                date_joined=self.now - timedelta(days=rng.randint(400, 700)),
            )
            users.append(user)
            roles.append((user, role, node))
            return user

        c0 = self.communities[0]
        community_staff = []
        for i, c in enumerate(self.communities):
            account = demo[Role.COMMUNITY_STAFF] if i == 0 else None
            community_staff.append(
                staff(
                    account.name if account else self.name(),
                    account.phone if account else self.phone(),
                    Role.COMMUNITY_STAFF,
                    True,
                    community_id=c.id,
                )
            )
        for i, street_id in enumerate(self.street_ids):
            account = demo[Role.STREET_STAFF] if i == 0 else None
            staff(
                account.name if account else self.name(),
                account.phone if account else self.phone(),
                Role.STREET_STAFF,
                True,
                street_id=street_id,
            )
        a = demo[Role.DISTRICT_OFFICE]
        staff(a.name, a.phone, Role.DISTRICT_OFFICE, True, district_id=self.district.pk)
        staff(self.name(), self.phone(), Role.DISTRICT_OFFICE, True, district_id=self.district.pk)
        # Drawn from no random stream: the city office came later, and the demo around it stays as it was.
        # One city office for the city: the first district's.
        a = demo.get(Role.CITY_OFFICE)
        city_office = a and User(
            phone=a.phone,
            name=a.name,
            password=self.password,
            is_staff=True,
            phone_verified=True,
            birth_year=1976,
            date_joined=self.now - timedelta(days=600),
        )
        if city_office:
            users.append(city_office)
            roles.append((city_office, Role.CITY_OFFICE, {"city_id": self.district.city_id}))
        police = next(d for d in self.departments if d.kind == "police")
        for d in self.departments:
            account = demo[Role.DEPARTMENT_LIAISON] if d is police else None
            staff(
                account.name if account else self.name(),
                account.phone if account else self.phone(),
                Role.DEPARTMENT_LIAISON,
                False,
                department_id=d.pk,
            )
        # The demo teacher's account; the Teacher row comes in the teachers stage.
        a = demo[Role.TEACHER]
        self.demo_teacher_user = staff(a.name, a.phone, Role.TEACHER, False)
        self.insert(User, users)
        self.insert(RoleAssignment, [RoleAssignment(user_id=u.pk, role=r, **node) for u, r, node in roles])
        for c, user in zip(self.communities, community_staff, strict=True):
            c.staff_id = user.pk
        self.demo_community = c0
