"""Demo data, teaching stage: The teacher pool: teachers, skills, free times.

A mixin of `demo.seed._Seeder` (its plumbing is `demo.base.SeederBase`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from itertools import accumulate

from .base import _km, _Teacher, _weighted
from .data import ASSOCIATIONS, DAYPARTS, FAVOURITES, SLOT_TIMES, SOCIAL_ORGS, UNIVERSITIES


class TeachingStages:
    def stage_teachers(self) -> None:
        from accounts.enums import Role
        from accounts.models import RoleAssignment, User
        from teachers.models import Teacher, TeacherAvailability, TeacherSkill

        rng = self.rng
        sources = [
            "resident",
            "volunteer_team",
            "social_organisation",
            "university",
            "association",
            "notable",
        ]
        source_cum = list(accumulate([0.3, 0.2, 0.15, 0.12, 0.13, 0.1]))
        teachers, skills, windows, extra_users, teacher_roles, infos = [], [], [], [], [], []
        teaching_residents: set[int] = {self.demo_resident}  # Teacher.user is one-to-one
        demo_skills = [self.leaf_index["智能手机使用"], self.leaf_index["书法"]]
        favourites = sorted({self.leaf_index[x] for names in FAVOURITES.values() for x in names})
        for i in range(self.scale.teachers):
            source = sources[i] if i < len(sources) else sources[_weighted(rng, source_cum)]
            professional = source in ("university", "association") or (
                source == "notable" and rng.random() < 0.5
            )
            if i == 0:
                source, professional = (
                    "resident",
                    False,
                )  # the demo teacher: a skilled resident of the first community
            ci = 0 if i == 0 else _weighted(rng, self.community_cum)
            c = self.communities[ci]
            if professional:
                lat, lon = self.jitter(self.district_spec[3], self.district_spec[4], 0.05)
                ci = min(
                    range(len(self.communities)),
                    key=lambda k: _km(lat, lon, self.communities[k].lat, self.communities[k].lon),
                )
                c = self.communities[ci]
                max_km, max_weekly = float(rng.randint(10, 30)), rng.randint(3, 6)
            else:
                lat, lon = self.jitter(c.lat, c.lon, 0.004)
                max_km, max_weekly = float(rng.randint(2, 6)), rng.randint(2, 4)
            user_id, name, phone, recommended = None, None, None, None
            if i == 0:
                user_id, name, phone = (
                    self.demo_teacher_user.pk,
                    self.demo_teacher_user.name,
                    self.demo_teacher_user.phone,
                )
            elif source == "resident" and c.residents:
                r = rng.choice(c.residents)  # skilled residents teach under their own account
                if r not in teaching_residents:
                    teaching_residents.add(r)
                    user_id = self.res_ids[r]
                    teacher_roles.append(user_id)
            elif professional and rng.random() < 0.3:
                name, phone = self.name(), self.phone()
                user = User(
                    phone=phone,
                    name=name,
                    password=self.password,
                    phone_verified=True,
                    birth_year=rng.randint(1960, 1995),
                    date_joined=self.now - timedelta(days=rng.randint(30, 600)),
                )
                extra_users.append(user)
            if not professional and rng.random() < 0.4 and c.residents:
                recommended = self.res_ids[rng.choice(c.residents)]
            name = name or self.name()
            phone = phone or self.phone()
            k = 1 + (rng.random() < 0.45) + (rng.random() < 0.2)
            leaves = (
                demo_skills
                if i == 0
                else list(dict.fromkeys(_weighted(rng, self.leaf_cum) for _ in range(k)))
            )
            if i and rng.random() < 0.5:
                # Supply follows demand: half the teachers teach one of the interests most residents order.
                leaves = list(dict.fromkeys([rng.choice(favourites), *leaves]))[:3]
            # Free time: retirees by day, professionals in the evening and at weekends.
            if professional:
                options = [(d, "eve") for d in range(5)] + [(d, p) for d in (5, 6) for p in ("am", "pm")]
            else:
                options = [(d, p) for d in range(7) for p in ("am", "pm")] + [(d, "eve") for d in range(7)]
            free = (
                [(d, p) for d in range(7) for p in ("am", "pm")]
                if i == 0
                else rng.sample(options, rng.randint(3, 6))
            )
            if i:
                # A teacher of an interest is mostly free when it is usually held (tai chi teachers in the
                # morning): that is where demand and supply meet.
                parts = ("am", "am", "pm", "eve")
                for leaf in leaves:
                    for s in self.usual_slots[leaf]:
                        d, p = divmod(s, len(SLOT_TIMES))
                        if rng.random() < 0.7 and (d, parts[p]) not in free:
                            free.append((d, parts[p]))
            free_slots = frozenset(
                s
                for s, slot in enumerate(self.slots)
                for d, p in free
                if slot.weekday == d and DAYPARTS[p][0] <= slot.start and slot.end <= DAYPARTS[p][1]
            )
            bio = self._bio(source, [self.leaves[x].name for x in leaves], rng)
            teacher = Teacher(
                user_id=user_id,
                name=name,
                phone=phone,
                source=source,
                kind="professional" if professional else "grassroots",
                bio=bio,
                community_id=c.id,
                max_weekly_sessions=max_weekly,
                max_travel_km=max_km,
                recommended_by_id=recommended,
                latitude=lat,
                longitude=lon,
            )
            teachers.append(teacher)
            infos.append((teacher, leaves, free, lat, lon, max_weekly, max_km, free_slots, professional))
        self.insert(User, extra_users)
        by_name = {u.phone: u for u in extra_users}
        for teacher in teachers:
            if teacher.user_id is None and teacher.phone in by_name:
                teacher.user_id = by_name[teacher.phone].pk
                teacher_roles.append(teacher.user_id)
        self.insert(Teacher, teachers)
        self.teachers: list[_Teacher] = []
        self.teachers_by_leaf: dict[int, list[int]] = defaultdict(list)
        for t_idx, (
            teacher,
            leaves,
            free,
            lat,
            lon,
            max_weekly,
            max_km,
            free_slots,
            professional,
        ) in enumerate(infos):
            self.teachers.append(_Teacher(teacher.pk, lat, lon, max_weekly, max_km, free_slots))
            for leaf in leaves:
                self.teachers_by_leaf[leaf].append(t_idx)
                level = rng.choice((2, 3, 3)) if professional else rng.choice((1, 2, 2, 3))
                skills.append(
                    TeacherSkill(teacher_id=teacher.pk, category_id=self.leaf_ids[leaf], level=level)
                )
            for d, p in free:
                windows.append(
                    TeacherAvailability(
                        teacher_id=teacher.pk, weekday=d, start=DAYPARTS[p][0], end=DAYPARTS[p][1]
                    )
                )
        roles = [RoleAssignment(user_id=u, role=Role.TEACHER) for u in dict.fromkeys(teacher_roles)]
        self.insert_all((TeacherSkill, skills), (TeacherAvailability, windows), (RoleAssignment, roles))


    @staticmethod
    def _bio(source: str, skills: list[str], rng: random.Random) -> str:
        what = "、".join(skills)
        years = rng.randint(3, 30)
        return {
            "resident": f"社区热心居民，{what}爱好者{years}年，退休后义务为邻居授课。",
            "volunteer_team": f"两江新区{rng.choice(['银龄', '邻里', '文明'])}志愿服务队骨干，擅长{what}。",
            "social_organisation": f"{rng.choice(SOCIAL_ORGS)}社会工作服务中心讲师，长期在社区开展{what}公益课程。",
            "university": f"{rng.choice(UNIVERSITIES)}教师，{what}方向，从教{years}年。",
            "association": f"{rng.choice(ASSOCIATIONS)}会员，{what}专业指导，教龄{years}年。",
            "notable": f"两江新区文化能人，{what}造诣深厚，多次在区级比赛中获奖。",
        }[source]
