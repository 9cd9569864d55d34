"""Demo data: the community colleges of one district (两江新区) at a chosen scale.

`seed_demo(scale=...)` builds the organisation tree, the interest tree, venues, teachers, residents,
groups, orders and a year of classes with registrations, attendance, policy talks and ratings, all in
ONE transaction: a failure leaves nothing half-seeded. `manage.py seed_demo` is a thin wrapper.

How it stays fast (district scale: 250,000 residents, about two million rows):
- nothing goes through the services; the small tables are written with `bulk_create` in large batches;
- the big tables (users, profiles, interests, free time, attendance …) skip model instances altogether
  (`_Seeder.insert_rows`: tuples, pre-allocated ids, COPY on PostgreSQL, executemany on SQLite);
- the demo password is hashed ONCE and the hash reused for every account;
- names come from Faker's zh_CN lists combined by our own seeded `random.Random`, not from Faker calls;
- the schedule is collision-free by construction: inside a term each (venue, weekly slot) pair and each
  (teacher, weekly slot) pair is used by at most one course, terms never overlap and slots of one day
  never overlap, so no two holding bookings of a venue can overlap (PostgreSQL's exclusion constraint
  would refuse them otherwise).

Invariants kept: one leader per group; at most one open order per resident and interest; each order's
stamps match its status and its OrderEvent timeline; a course's `confirmed_count` equals its confirmed
registrations and never exceeds its capacity; ratings only for sessions the resident attended, and the
rating's teacher is the course's teacher; each college's `stars` equals its latest star record.

`bulk_create` does not write django-simple-history rows (Order, Registration, Booking, Teacher): demo
data starts without history, which is fine, the history begins with the first real change.

Residents: a resident is a user with a ResidentProfile. We also give each one a
`RoleAssignment(role=resident)`, like `accounts.services.resident_register` does, so seeded residents look
exactly like registered ones; at district scale that is ~5 s of writes plus its share of the commit's
foreign-key checks, 5–8 % of the run, cheap enough to keep the two kinds of residents indistinguishable.

The same scale and seed give the same rows, names, places and schedule in any process; timestamps are
reckoned back from the moment of the run (pass `now=` to pin it), and the profiles' calendar tokens are
fresh secrets on every run.

Measured (2 busy cores, PostgreSQL 15 with its default configuration, other test suites running):
district scale 56 s end to end at load 2.6 and 94 s at load 7–14, of which the COMMIT (deferred
foreign-key checks of ~2.1 million rows) is 14–23 s; street scale ~1 s on SQLite.
`bench/seed_bench.py` prints the figures per stage and per table.
"""

from __future__ import annotations

import io
import math
import random
import sys
import time as clock
from bisect import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

DEMO_PASSWORD = "demo12345"
DEFAULT_SEED = 2024
BATCH_SIZE = 5000
COPY_CHUNK = 50_000


# --- Scales ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    streets: int
    communities_per_street: tuple[int, int]
    residents: int
    orders: int
    groups: int
    venues: int
    teachers: int
    held_sessions: int
    talk_share: float = 0.14  # 1,000+ talks for 7,600 activities in the programme's figures


# fmt: off
# The data tables below read best one entry a line; the formatter leaves them alone.
SCALES: dict[str, Scale] = {
    # For tests: every kind of row, in a couple of seconds.
    "tiny": Scale("tiny", 1, (2, 2), residents=300, orders=30, groups=6, venues=10, teachers=12, held_sessions=40),
    # What `make run` loads: one street. 600 orders: a district street's share of the 10,000 (about 770), enough
    # for a matching run to form classes.
    "street": Scale("street", 1, (7, 7), residents=5000, orders=600, groups=40, venues=30, teachers=40, held_sessions=300),
    # The programme's published figures.
    "district": Scale(
        "district", 13, (7, 11), residents=250_000, orders=10_000, groups=1_000, venues=600, teachers=750, held_sessions=7_600
    ),
}

# fmt: on

# --- The district -----------------------------------------------------------------------------------------

DISTRICT = ("两江新区", "liangjiang", 29.65, 106.55)

# fmt: off

# name, code, latitude, longitude, communities (plausible names; the first ones are used first)
STREETS: list[tuple[str, str, float, float, list[str]]] = [
    ("人和街道", "renhe", 29.6450, 106.5230, ["万年路", "杨柳路", "邢家桥", "人和", "星光", "童家院子", "高义口", "天山", "和睦路", "金山寺"]),
    ("天宫殿街道", "tiangongdian", 29.6180, 106.5150, ["紫薇", "天宫殿", "汇祥", "黄泥塝", "金渝", "龙湖", "青枫", "湖云", "东湖"]),
    ("翠云街道", "cuiyun", 29.6560, 106.4950, ["翠云", "云竹", "翠湖", "云湖", "翠屏", "云栖", "白马", "金竹", "新牌坊"]),
    ("大竹林街道", "dazhulin", 29.6340, 106.4800, ["大竹林", "竹林路", "星湖", "康庄", "中华村", "汇景", "金科", "鲁能"]),
    ("礼嘉街道", "lijia", 29.6650, 106.4600, ["礼嘉", "白林", "龙塘", "嘉和", "锦绣", "嘉州", "礼悦", "清溪", "天湖"]),
    ("金山街道", "jinshan", 29.6390, 106.5360, ["金山", "金童路", "金开", "湖霞", "金州", "星辰", "金港", "翠微"]),
    ("康美街道", "kangmei", 29.6970, 106.6150, ["康美", "空港", "双凤", "桥南", "桂花", "民心佳园", "天湖美镇", "康庄美地"]),
    ("鸳鸯街道", "yuanyang", 29.6600, 106.5600, ["鸳鸯", "金鹏", "春华", "丹鹤", "人和苑", "金紫", "栖霞", "凤凰", "天竺"]),
    ("悦来街道", "yuelai", 29.7180, 106.4800, ["悦来", "会展", "江悦", "嘉悦", "悦港", "生态城", "悦城", "玉峰"]),
    ("郭家沱街道", "guojiatuo", 29.6010, 106.6630, ["郭家沱", "望江", "长安", "铁山坪", "平江", "港城", "华阳", "明月"]),
    ("复盛镇", "fusheng", 29.6600, 106.7300, ["复盛", "广福", "新华", "黄印", "五一", "石坪", "御临"]),
    ("龙兴镇", "longxing", 29.7170, 106.7950, ["龙兴", "古镇", "两江", "龙华", "新城", "太和", "御临河", "盘龙", "迎龙"]),
    ("鱼嘴镇", "yuzui", 29.6560, 106.8300, ["鱼嘴", "五宝", "双溪", "长河", "复兴", "东风", "沙坪", "果园港"]),
]
# fmt: on
GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格", "第七网格", "第八网格"]

# fmt: off
# name, kind, talk topics for the five minutes before class (课前5分钟), how often it is chosen
DEPARTMENTS: list[tuple[str, str, list[str], float]] = [
    ("两江新区党工委宣传部", "propaganda", ["文明新风进社区", "移风易俗 婚事新办", "身边好人事迹分享"], 1.0),
    ("两江新区文化旅游局", "culture", ["非遗文化进社区", "全民阅读推广", "文明旅游小贴士"], 1.0),
    ("两江新区城市管理局", "city_management", ["垃圾分类新规解读", "文明养犬", "违章搭建与占道经营"], 1.2),
    ("两江新区教育局", "education", ["家庭教育促进法解读", "老年教育资源介绍", "暑期防溺水安全"], 0.8),
    ("重庆市公安局两江新区分局", "police", ["防范电信网络诈骗", "识破养老诈骗套路", "国家反诈中心App使用"], 2.0),
    ("两江新区卫生健康局", "health", ["医保政策解读", "流感与慢病防治", "家庭医生签约服务"], 1.5),
    ("两江新区民政局", "civil_affairs", ["养老服务补贴政策", "高龄津贴申领", "社会救助政策"], 1.0),
    ("两江新区司法局", "justice", ["民法典进社区", "遗嘱与继承常识", "法律援助申请指南"], 0.8),
    ("两江新区应急管理局", "emergency", ["家庭消防安全", "燃气使用安全", "防汛避险常识"], 1.0),
    ("两江新区市场监督管理局", "other", ["食品安全与消费维权", "识别保健品虚假宣传"], 0.7),
]

# fmt: on

FACILITIES = [
    ("music_room", "音乐室"),
    ("dance_mirror", "练功镜"),
    ("projector", "投影仪"),
    ("kitchen", "厨房"),
    ("computers", "电脑"),
    ("tables", "书画桌"),
    ("open_ground", "室外场地"),
    ("sports_table", "乒乓球台"),
    ("piano", "钢琴"),
]


class Leaf(NamedTuple):
    name: str
    name_en: str
    facilities: tuple[str, ...]
    min_size: int
    max_size: int
    popularity: float
    audience: str  # "old": liked above all by retirees; "young": by working people and families; "all"
    group_name: str  # how residents name a group of this interest


# The V-model: broad field → sub-field → concrete interest.
# fmt: off
CATEGORY_TREE: list[tuple[str, str, list[tuple[str, str, list[Leaf]]]]] = [
    ("文化", "Culture", [
        ("书法绘画", "Calligraphy and painting", [
            Leaf("书法", "Calligraphy", ("tables",), 5, 20, 6, "old", "书法社"),
            Leaf("国画", "Chinese painting", ("tables",), 5, 15, 4, "old", "国画社"),
            Leaf("硬笔书法", "Pen calligraphy", ("tables",), 5, 25, 2, "all", "练字小组"),
        ]),
        ("阅读与语言", "Reading and languages", [
            Leaf("读书会", "Book club", (), 5, 25, 2, "all", "读书会"),
            Leaf("诗词鉴赏", "Classical poetry", ("projector",), 5, 30, 2, "old", "诗词社"),
            Leaf("英语口语", "Spoken English", ("projector",), 5, 20, 3, "young", "英语角"),
        ]),
        ("传统文化", "Traditional culture", [
            Leaf("茶艺", "Tea ceremony", ("tables",), 5, 12, 2, "all", "茶艺社"),
            Leaf("剪纸", "Paper cutting", ("tables",), 5, 20, 2, "all", "剪纸兴趣小组"),
            Leaf("川剧", "Sichuan opera", ("music_room", "dance_mirror"), 5, 15, 1.5, "old", "川剧票友会"),
        ]),
    ]),
    ("艺术", "Arts", [
        ("器乐", "Instrumental music", [
            Leaf("二胡", "Erhu", ("music_room",), 5, 15, 4, "old", "二胡队"),
            Leaf("古筝", "Guzheng", ("music_room",), 4, 12, 3, "all", "古筝兴趣小组"),
            Leaf("葫芦丝", "Hulusi", ("music_room",), 5, 20, 2, "old", "葫芦丝队"),
            Leaf("钢琴", "Piano", ("piano",), 3, 8, 1.5, "young", "钢琴兴趣小组"),
        ]),
        ("声乐", "Singing", [
            Leaf("合唱", "Choir", ("music_room", "piano"), 10, 40, 7, "old", "合唱团"),
            Leaf("民族声乐", "Folk singing", ("music_room",), 5, 20, 2, "old", "民歌队"),
        ]),
        ("舞蹈", "Dance", [
            Leaf("广场舞", "Square dancing", ("open_ground",), 10, 40, 10, "old", "广场舞队"),
            Leaf("民族舞", "Folk dance", ("dance_mirror",), 6, 20, 4, "all", "民族舞队"),
            Leaf("旗袍走秀", "Qipao catwalk", ("dance_mirror",), 6, 20, 2, "old", "旗袍队"),
        ]),
        ("手工与摄影", "Crafts and photography", [
            Leaf("插花", "Flower arranging", ("tables",), 5, 15, 3, "all", "插花兴趣小组"),
            Leaf("手工编织", "Knitting", ("tables",), 5, 15, 2.5, "old", "编织小组"),
            Leaf("摄影", "Photography", ("projector",), 5, 20, 3, "all", "摄影协会"),
        ]),
    ]),
    ("体育", "Sports", [
        ("传统健身", "Traditional exercise", [
            Leaf("太极拳", "Tai chi", ("open_ground",), 6, 30, 8, "old", "太极拳队"),
            Leaf("八段锦", "Baduanjin", ("open_ground",), 6, 30, 5, "old", "八段锦队"),
            Leaf("太极扇", "Tai chi fan", ("open_ground",), 6, 25, 2, "old", "太极扇队"),
        ]),
        ("球类", "Ball games", [
            Leaf("乒乓球", "Table tennis", ("sports_table",), 4, 12, 5, "all", "乒乓球队"),
            Leaf("门球", "Gateball", ("open_ground",), 6, 20, 1.5, "old", "门球队"),
            Leaf("气排球", "Soft volleyball", ("open_ground",), 8, 20, 2, "all", "气排球队"),
        ]),
        ("健身", "Fitness", [
            Leaf("瑜伽", "Yoga", ("dance_mirror",), 6, 20, 4, "young", "瑜伽兴趣小组"),
            Leaf("健身操", "Aerobics", ("dance_mirror",), 8, 30, 3, "all", "健身操队"),
            Leaf("健步走", "Fitness walking", ("open_ground",), 10, 40, 3, "old", "健步走队"),
        ]),
        ("棋类", "Board games", [
            Leaf("象棋", "Chinese chess", ("tables",), 4, 16, 3, "old", "象棋协会"),
            Leaf("围棋", "Go", ("tables",), 4, 16, 1.5, "all", "围棋社"),
        ]),
    ]),
    ("科技", "Technology", [
        ("数字生活", "Digital life", [
            Leaf("智能手机使用", "Using a smartphone", ("projector",), 5, 25, 8, "old", "智能手机互助小组"),
            Leaf("网上办事与移动支付", "Online services and mobile payment", ("projector",), 5, 25, 4, "old", "数字生活互助小组"),
        ]),
        ("数字创作", "Digital creation", [
            Leaf("短视频剪辑", "Short-video editing", ("computers",), 5, 20, 4, "all", "短视频创作小组"),
            Leaf("电脑基础", "Computer basics", ("computers",), 5, 20, 2, "old", "电脑兴趣小组"),
            Leaf("人工智能应用入门", "Getting started with AI tools", ("computers",), 5, 20, 2, "young", "AI兴趣小组"),
        ]),
        ("青少年科技", "Science for children", [
            Leaf("少儿编程", "Coding for children", ("computers",), 5, 15, 2, "young", "少儿编程兴趣小组"),
            Leaf("科学小实验", "Science experiments", ("tables",), 6, 20, 2, "young", "小小科学家"),
        ]),
    ]),
    ("便民", "Everyday services", [
        ("安全防范", "Staying safe", [
            Leaf("防诈骗知识", "Spotting scams", ("projector",), 10, 50, 5, "old", "反诈宣传队"),
            Leaf("消防安全", "Fire safety", ("projector",), 10, 50, 2, "all", "消防志愿队"),
        ]),
        ("生活技能", "Life skills", [
            Leaf("烹饪", "Cooking", ("kitchen",), 5, 12, 3, "all", "美食兴趣小组"),
            Leaf("家电维修", "Fixing household appliances", ("tables",), 5, 15, 1.5, "all", "义修小组"),
            Leaf("收纳整理", "Tidying and storage", (), 5, 20, 1.5, "young", "收纳兴趣小组"),
        ]),
        ("法律与理财", "Law and money", [
            Leaf("法律常识", "Everyday law", ("projector",), 10, 40, 2, "all", "法律明白人小组"),
            Leaf("家庭理财", "Household finance", ("projector",), 10, 40, 2, "all", "理财兴趣小组"),
        ]),
    ]),
    ("健康", "Health", [
        ("中医保健", "Traditional Chinese medicine", [
            Leaf("中医养生", "TCM wellbeing", ("projector",), 10, 40, 6, "old", "养生兴趣小组"),
            Leaf("艾灸推拿", "Moxibustion and massage", ("tables",), 5, 15, 2, "old", "推拿兴趣小组"),
        ]),
        ("慢病与急救", "Chronic illness and first aid", [
            Leaf("慢病管理", "Living with chronic illness", ("projector",), 10, 40, 3, "old", "慢病自我管理小组"),
            Leaf("急救培训", "First aid", ("projector",), 8, 30, 2, "all", "急救志愿队"),
        ]),
        ("心理健康", "Mental health", [
            Leaf("情绪减压", "Managing stress", ("projector",), 8, 30, 1.5, "young", "心灵驿站"),
        ]),
    ]),
    ("亲子", "Families", [
        ("亲子阅读", "Family reading", [
            Leaf("绘本共读", "Picture-book reading", (), 6, 20, 2, "young", "绘本共读会"),
        ]),
        ("亲子手作", "Family making", [
            Leaf("亲子烘焙", "Family baking", ("kitchen",), 4, 10, 2, "young", "亲子烘焙小组"),
            Leaf("亲子手工", "Family crafts", ("tables",), 6, 20, 2, "young", "亲子手工坊"),
        ]),
        ("课后服务", "After school", [
            Leaf("四点半课堂", "After-school club", ("tables",), 8, 30, 3, "young", "四点半课堂"),
        ]),
    ]),
]

# fmt: on

# Weekly slots: four a day, never overlapping within a day.
SLOT_TIMES = [
    (time(9, 0), time(10, 30)),
    (time(10, 30), time(12, 0)),
    (time(14, 30), time(16, 0)),
    (time(19, 0), time(20, 30)),
]
WEEKDAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Parts of the day people give as their free time.
DAYPARTS = {
    "am": (time(8, 30), time(12, 0)),
    "pm": (time(14, 0), time(17, 30)),
    "eve": (time(18, 30), time(21, 0)),
}

ALL_DAYS = range(7)
WEEKDAYS = range(5)
WEEKEND = (5, 6)

# fmt: off
# Demand is skewed: a handful of interests draw most orders, and each is held at the times its residents
# keep (tai chi in the morning, square dancing after dinner). (weekday, index in SLOT_TIMES)
USUAL_TIMES: dict[str, list[tuple[int, int]]] = {
    "太极拳": [(0, 0), (2, 0), (4, 0)],
    "广场舞": [(0, 3), (2, 3), (4, 3)],
    "书法": [(1, 2), (3, 2), (5, 2)],
    "智能手机使用": [(1, 0), (3, 0), (5, 1)],
    "合唱": [(2, 2), (4, 2), (6, 2)],
    "瑜伽": [(1, 3), (3, 3), (5, 1)],
    "英语口语": [(1, 3), (3, 3), (5, 0)],
    "乒乓球": [(2, 3), (5, 1), (6, 1)],
}
# What each age band mostly orders, district-wide; each community reorders the list to its own taste.
FAVOURITES = {
    "old": ["智能手机使用", "书法", "太极拳", "广场舞", "合唱"],
    "young": ["英语口语", "瑜伽", "乒乓球"],
}
FAVOURITE_WEIGHTS = [0.65, 0.2, 0.08, 0.04, 0.03]  # by a community's own ranking
FAVOURITE_SHARE = 0.85  # orders for one of the community's favourites; the rest follow each resident's interests
OLD_ORDER_SHARE = 0.8  # retirees place most orders
WORD_OF_MOUTH = 0.5  # the next order is a neighbour's for the same interest (classes start by word of mouth)
# fmt: on


class VenueKind(NamedTuple):
    weight: float
    always: tuple[str, ...]
    optional: dict[str, float]
    capacity: tuple[int, int]
    requires_confirmation: float
    hours: list[tuple[range | tuple[int, ...], list[tuple[time, time]]]]


# fmt: off
# Owner types (venues.enums.OwnerType) with what their rooms typically offer and when they are open.
VENUE_KINDS: dict[str, VenueKind] = {
    "community_centre": VenueKind(
        0.3,  # every community has one already; this weight is for second rooms
        ("tables", "projector"), {"kitchen": 0.4, "music_room": 0.3, "dance_mirror": 0.3, "sports_table": 0.3, "computers": 0.2},
        (20, 60), 0.0, [(ALL_DAYS, [(time(8, 30), time(12, 0)), (time(14, 0), time(21, 0))])],
    ),
    "elderly_care": VenueKind(
        0.9, ("tables",), {"projector": 0.7, "kitchen": 0.5, "open_ground": 0.4, "sports_table": 0.3, "music_room": 0.2},
        (15, 40), 0.1, [(range(6), [(time(8, 30), time(17, 30))])],
    ),
    "civic_practice": VenueKind(
        0.9, ("tables", "projector"), {"music_room": 0.4, "dance_mirror": 0.4, "piano": 0.2, "computers": 0.2},
        (30, 80), 0.0, [(ALL_DAYS, [(time(9, 0), time(21, 0))])],
    ),
    "square_park": VenueKind(0.7, ("open_ground",), {"sports_table": 0.3}, (50, 200), 0.0, [(ALL_DAYS, [(time(6, 0), time(22, 0))])]),
    "enterprise": VenueKind(
        0.6, ("projector", "tables"), {"computers": 0.6, "kitchen": 0.2, "dance_mirror": 0.2},
        (20, 60), 0.8, [(WEEKDAYS, [(time(18, 30), time(21, 0))]), (WEEKEND, [(time(9, 0), time(17, 0))])],
    ),
    "school": VenueKind(
        0.5, ("tables", "projector"),
        {"computers": 0.7, "music_room": 0.6, "piano": 0.5, "dance_mirror": 0.4, "sports_table": 0.6, "open_ground": 0.8},
        (30, 60), 0.9, [(WEEKDAYS, [(time(18, 30), time(21, 0))]), (WEEKEND, [(time(8, 30), time(17, 30))])],
    ),
    "culture_centre": VenueKind(
        0.3, ("music_room", "dance_mirror", "projector", "tables"), {"piano": 0.7, "computers": 0.4},
        (40, 120), 0.2, [(range(1, 7), [(time(9, 0), time(21, 0))])],
    ),
}

ROADS = ["金开大道", "星光大道", "黄山大道", "金渝大道", "人和大道", "湖云街", "杨柳路", "民心路", "汇流路", "云杉南路",
         "悦来大道", "礼嘉大道", "金童路", "天山大道", "青枫北路", "栖霞路", "龙兴大道", "星湖路", "翠云路", "鸳鸯路"]
PARKS = ["中央公园", "照母山森林公园", "园博园", "龙头寺公园", "金海湾公园", "民心公园", "星光广场", "汇祥广场", "悦来滨江公园", "礼嘉智慧公园"]
COMPANY_PREFIX = ["两江", "金开", "星湖", "礼嘉", "悦来", "水土", "龙兴", "鱼复", "空港", "果园"]
COMPANY_CORE = ["智造", "数联", "云谷", "汽车", "电子", "生物", "新材", "物流", "软件", "光电"]
COMPANY_ROOM = ["多功能厅", "会议室", "职工之家", "培训室", "活动中心"]
UNIVERSITIES = ["重庆大学", "西南大学", "重庆师范大学", "四川美术学院", "重庆交通大学", "重庆邮电大学", "重庆工商大学", "重庆第二师范学院"]
ASSOCIATIONS = ["重庆市书法家协会", "重庆市音乐家协会", "重庆市舞蹈家协会", "重庆市摄影家协会", "重庆市老年人体育协会", "重庆市营养学会", "重庆市围棋协会"]
SOCIAL_ORGS = ["乐和", "同心", "邻里", "善美", "暖阳", "和美", "益家"]

ORDER_NOTES = ["希望安排在上午", "周末有空，离家近一点最好", "家里老人想学，能否有人陪同", "之前学过一点，想继续提高",
               "想和邻居一起报名", "晚上下班后可以参加", "孩子放学后想参加", ""]
REJECT_REASONS = ["本社区暂无该项目师资，已推荐至邻近社区学院", "报名人数不足，暂无法开班", "场地条件不满足，需专业场地", "该时段场地已满，请选择其他时间"]
CANCEL_NOTES = ["时间冲突", "身体原因暂不参加", "已在其他社区报名", ""]

RATING_COMMENTS = {
    5: ["老师讲得特别细致，受益匪浅！", "课堂气氛很好，认识了好多邻居。", "离家近，时间合适，下次还来。", "老师很有耐心，一个动作教好几遍。",
        "内容实用，回家就用上了。", "非常满意，希望多开几期。", "课前5分钟的讲解很有用，涨知识了。"],
    4: ["总体不错，就是人有点多。", "老师很专业，希望进度再慢一点。", "场地不错，空调有点冷。", "学到了东西，希望增加练习时间。"],
    3: ["一般般，内容有点简单。", "时间有点早，赶过来比较匆忙。", "场地有点小，后排看不太清楚。"],
    2: ["讲得太快，跟不上。", "场地太吵，影响上课。"],
    1: ["临时换了老师也没提前通知。", "等了很久才开始，体验不好。"],
}
STAR_WEIGHTS = [(1, 2), (2, 3), (3, 10), (4, 30), (5, 55)]

# Mobile prefixes of the three carriers; every number matches ^1[3-9]\d{9}$.
MOBILE_PREFIXES = [130, 131, 132, 133, 135, 136, 137, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173,
                   175, 176, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199]

# fmt: on

# --- Demo logins ------------------------------------------------------------------------------------------


class DemoAccount(NamedTuple):
    role: str
    phone: str
    name: str


# One account per role; the resident, the teacher and the staff all act in the first community and street.
DEMO_ACCOUNTS = [
    DemoAccount("resident", "13800000001", "张秀英"),
    DemoAccount("teacher", "13800000002", "李建国"),
    DemoAccount("community_staff", "13800000003", "王芳"),
    DemoAccount("street_staff", "13800000004", "陈伟"),
    DemoAccount("district_office", "13800000005", "刘洋"),
    DemoAccount("department_liaison", "13800000006", "赵磊"),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    role_label: str
    phone: str
    password: str
    name: str
    where: str


def demo_logins() -> list[DemoLogin]:
    """The demo accounts present in the database, one per role, with their shared password."""
    from accounts.enums import Role
    from accounts.models import RoleAssignment, User

    users = {u.phone: u for u in User.objects.filter(phone__in=[a.phone for a in DEMO_ACCOUNTS])}
    assignments = {
        (ra.user_id, ra.role): ra
        for ra in RoleAssignment.objects.filter(user__in=users.values()).select_related(
            "community", "street", "district", "department"
        )
    }
    logins = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.phone)
        if user is None:
            continue
        ra = assignments.get((user.pk, account.role))
        node = ra and (ra.community or ra.street or ra.district or ra.department)
        if account.role == Role.RESIDENT and hasattr(user, "profile"):
            node = user.profile.community
        elif account.role == Role.TEACHER and hasattr(user, "teacher"):
            node = user.teacher.community
        logins.append(
            DemoLogin(
                account.role,
                str(Role(account.role).label),
                account.phone,
                DEMO_PASSWORD,
                user.name,
                str(node or ""),
            )
        )
    return logins


def format_logins(logins: list[DemoLogin]) -> str:
    """The logins as a plain-text table (East Asian characters count as two columns)."""
    if not logins:
        return "No demo logins in this database: run `python manage.py seed_demo --scale street`."

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    def pad(text: str, n: int) -> str:
        return text + " " * (n - width(text))

    header = ("role", "phone", "password", "name", "where")
    rows = [header] + [
        (login.role_label, login.phone, login.password, login.name, login.where) for login in logins
    ]
    widths = [max(width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- Entry points ---------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    scale: str
    seed: int
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Seconds spent writing each table (mostly the database's time).
    insert_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def database_has_data() -> bool:
    """True when the operational tables the seed fills already hold rows (users alone do not count:
    a superuser made with `createsuperuser` should not stop the demo data from loading)."""
    from accounts.models import District
    from activities.models import Course
    from interests.models import ResidentProfile
    from teachers.models import Teacher
    from venues.models import Venue

    return any(m.objects.exists() for m in (District, ResidentProfile, Venue, Teacher, Course))


class DemoDataError(Exception):
    pass


def seed_demo(
    *, scale: str, seed: int = DEFAULT_SEED, now: datetime | None = None, progress: bool = False
) -> SeedReport:
    """Fill an empty database with the demo district at `scale`, in one transaction.

    `now` pins "today" (tests); the same scale, seed and day always give the same data.
    """
    if scale not in SCALES:
        raise DemoDataError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    if database_has_data():
        raise DemoDataError("The database already holds districts, residents, venues, teachers or classes.")
    seeder = _Seeder(SCALES[scale], seed=seed, now=now or timezone.now(), progress=progress)
    started = clock.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Demo data: the commit need not wait for the WAL to reach the disk (this transaction only;
            # a crash right after it could lose the seed, never corrupt the database).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        seeder.run()
        committing = clock.perf_counter()
    # PostgreSQL runs the deferred foreign-key checks of every inserted row here, at COMMIT.
    seeder.report.stages["commit"] = clock.perf_counter() - committing
    seeder.report.seconds = clock.perf_counter() - started
    return seeder.report


# --- The seeder -------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, cum: list[float]) -> int:
    """Index drawn from cumulative weights (faster than rng.choices for one draw)."""
    return bisect(cum, rng.random() * cum[-1])


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if any(ch in value for ch in "\\\t\n\r"):
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular is plenty at district size (< 0.1% error over 40 km).
    dx = (lon2 - lon1) * 111.195 * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * 111.195
    return math.hypot(dx, dy)


def _term_of(day: date) -> tuple[str, date, date]:
    """Spring term February–July, autumn term August–January: every day belongs to one term."""
    if 2 <= day.month <= 7:
        return f"{day.year}年春季学期", date(day.year, 2, 1), date(day.year, 7, 31)
    year = day.year if day.month >= 8 else day.year - 1
    return f"{year}年秋季学期", date(year, 8, 1), date(year + 1, 1, 31)


@dataclass
class _Community:
    id: int
    street_idx: int
    name: str
    lat: float
    lon: float
    population: int
    grid_ids: list[int]
    college_id: int = 0
    staff_id: int = 0
    residents: list[int] = field(default_factory=list)  # resident indexes
    venues: list[int] = field(default_factory=list)  # venue indexes


@dataclass
class _Venue:
    id: int
    community: int
    lat: float
    lon: float
    capacity: int
    facilities: frozenset[str]
    requires_confirmation: bool
    open_slots: list[int]  # indexes of the weekly slots its opening hours cover


@dataclass
class _Teacher:
    id: int
    lat: float
    lon: float
    max_weekly: int
    max_km: float
    free_slots: frozenset[int]


@dataclass
class _Course:
    obj: object
    community: int
    leaf: int
    venue: int
    teacher: int
    slot: int
    dates: list[date]
    confirmed: list[int]
    waitlisted: list[int]
    cancelled: list[int]
    closed: bool
    cancelled_dates: frozenset[date]
    session_objs: list = field(default_factory=list)


class _Seeder:
    def __init__(self, scale: Scale, *, seed: int, now: datetime, progress: bool):
        self.scale = scale
        self.rng = random.Random(seed)
        self.now = now
        self.tz = timezone.get_default_timezone()
        self.today = timezone.localdate(now, self.tz)
        self.progress = progress
        self.report = SeedReport(scale=scale.name, seed=seed)
        self.password = make_password(DEMO_PASSWORD)  # hashed once, reused for every account
        self.used_phones: set[str] = {a.phone for a in DEMO_ACCOUNTS}

    # -- plumbing

    def run(self) -> None:
        for label, stage in [
            ("organisation", self.stage_organisation),
            ("vocabulary", self.stage_vocabulary),
            ("staff", self.stage_staff),
            ("residents", self.stage_residents),
            ("venues", self.stage_venues),
            ("teachers", self.stage_teachers),
            ("groups", self.stage_groups),
            ("schedule", self.stage_schedule),
            ("orders", self.stage_orders),
            ("registrations", self.stage_registrations),
            ("attendance", self.stage_attendance),
            ("star ratings", self.stage_stars),
            ("funds", self.stage_funds),
            ("showcases", self.stage_showcases),
        ]:
            started = clock.perf_counter()
            self._stage = label
            stage()
            self.report.stages[label] = clock.perf_counter() - started

    def bar(self, total: int, unit: str = "rows"):
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=f"{self._stage:>14}",
            unit=f" {unit}",
            unit_scale=total >= 10_000,
            file=sys.stderr,
            disable=not self.progress,
            leave=True,
            dynamic_ncols=True,
        )

    def insert(self, model, objs: list, bar=None) -> list:
        """bulk_create in batches; primary keys come back (PostgreSQL, SQLite ≥ 3.35)."""
        started = clock.perf_counter()
        for i in range(0, len(objs), BATCH_SIZE):
            chunk = objs[i : i + BATCH_SIZE]
            model.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
            if bar is not None:
                bar.update(len(chunk))
        self.report.rows[model._meta.label] += len(objs)
        self.report.insert_seconds[model._meta.label] += clock.perf_counter() - started
        return objs

    def insert_rows(self, model, fields: list[str], rows: list[tuple], bar=None) -> range:
        """The lean path for the big tables: plain tuples, no model instances. Returns the new primary keys.

        bulk_create spends ~60 µs a row on model instances and per-field preparation, two minutes for the
        district's two million rows. Here a row costs a tuple: primary keys are allocated from MAX(id)
        (we hold the only writing transaction of a seed), columns not given are filled as bulk_create
        would (auto_now stamps, defaults, callable defaults per row, NULL), and the rows go out with
        executemany on SQLite and COPY on PostgreSQL. (psycopg2's execute_values was tried first, COPY-free:
        the district took 150 s on 2 busy cores, too close to the 3-minute budget; with COPY, 56–94 s.)
        """
        started = clock.perf_counter()
        meta = model._meta
        ops = connection.ops
        by_name = {f.name: f for f in meta.local_concrete_fields} | {
            f.attname: f for f in meta.local_concrete_fields
        }
        given = [by_name[name] for name in fields]
        extra = [f for f in meta.local_concrete_fields if f is not meta.pk and f not in given]
        adapters = {
            "DateTimeField": ops.adapt_datetimefield_value,
            "DateField": ops.adapt_datefield_value,
            "TimeField": ops.adapt_timefield_value,
        }
        adapt = [adapters.get(f.get_internal_type()) for f in given]
        const_fields, constants, call_fields, per_row = [], [], [], []
        for f in extra:
            kind_adapter = adapters.get(f.get_internal_type()) or (lambda v: v)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                const_fields.append(f)
                constants.append(kind_adapter(self.now))
            elif f.has_default() and callable(f.default):
                call_fields.append(f)
                per_row.append(lambda default=f.default, adapt=kind_adapter: adapt(default()))
            elif f.has_default() or f.null:
                const_fields.append(f)
                constants.append(kind_adapter(f.get_default()) if f.has_default() else None)
            else:
                raise DemoDataError(f"{meta.label}.{f.name} needs a value in the demo seed.")
        columns = [f.column for f in (meta.pk, *given, *const_fields, *call_fields)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MAX({ops.quote_name(meta.pk.column)}) FROM {ops.quote_name(meta.db_table)}"
            )
            start = (cursor.fetchone()[0] or 0) + 1
            raw = cursor.cursor
            table = ops.quote_name(meta.db_table)
            names = ", ".join(ops.quote_name(c) for c in columns)
            postgres = connection.vendor == "postgresql"
            if postgres:
                sql = f"COPY {table} ({names}) FROM STDIN"
            else:
                marks = ", ".join(["?" if connection.vendor == "sqlite" else "%s"] * len(columns))
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            need_adapt = [(i, a) for i, a in enumerate(adapt) if a is not None]
            tail = tuple(constants)
            step = COPY_CHUNK if postgres else BATCH_SIZE
            for begin in range(0, len(rows), step):
                chunk = rows[begin : begin + step]
                if need_adapt:
                    adapted = []
                    for row in chunk:
                        row = list(row)
                        for i, a in need_adapt:
                            row[i] = a(row[i])
                        adapted.append(row)
                    chunk = adapted
                values = [
                    (start + begin + k, *row, *tail, *(call() for call in per_row))
                    for k, row in enumerate(chunk)
                ]
                if postgres:
                    raw.copy_expert(
                        sql, io.StringIO("".join("\t".join(map(_copy_text, v)) + "\n" for v in values))
                    )
                else:
                    raw.executemany(sql, values)
                if bar is not None:
                    bar.update(len(chunk))
            # Later inserts in this run (bulk_create, the portal) draw ids from the sequence: move it past
            # ours now. SQLite's AUTOINCREMENT follows explicit ids by itself (the statement list is empty).
            for statement in ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
        self.report.rows[meta.label] += len(rows)
        self.report.insert_seconds[meta.label] += clock.perf_counter() - started
        return range(start, start + len(rows))

    def insert_all(self, *batches: tuple) -> None:
        """Insert several (model, objs) lists under one progress bar."""
        with self.bar(sum(len(objs) for _m, objs in batches)) as bar:
            for model, objs in batches:
                self.insert(model, objs, bar)

    def phone(self) -> str:
        rng = self.rng
        while True:
            number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def name(self) -> str:
        rng = self.rng
        surname = self.surnames[_weighted(rng, self.surname_cum)]
        return surname + rng.choice(self.given_names)

    def at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.tz)

    def jitter(self, lat: float, lon: float, sd_deg: float) -> tuple[float, float]:
        return round(lat + self.rng.gauss(0, sd_deg), 6), round(lon + self.rng.gauss(0, sd_deg), 6)

    # -- stages

    def stage_organisation(self) -> None:
        from faker.providers.person.zh_CN import Provider as Person

        from accounts.models import College, Community, Department, District, Grid, Street

        rng = self.rng
        self.surnames = list(Person.last_names)
        self.surname_cum = list(accumulate(float(w) for w in Person.last_names.values()))
        self.given_names = list(dict.fromkeys(Person.first_names))
        existing = self._existing_phones()
        self.used_phones |= existing

        name, code, lat, lon = DISTRICT
        district = District.objects.create(name=name, code=code, latitude=lat, longitude=lon)
        self.district = district
        streets = [
            Street(district=district, name=s[0], code=f"lj-{s[1]}", latitude=s[2], longitude=s[3])
            for s in STREETS[: self.scale.streets]
        ]
        self.insert(Street, streets)
        self.street_ids = [s.pk for s in streets]

        communities, plans = [], []
        for s_idx, (_n, _c, s_lat, s_lon, names) in enumerate(STREETS[: self.scale.streets]):
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
                        code=f"lj-{STREETS[s_idx][1]}-{c_idx + 1:02d}",
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
                Term.objects.get_or_create(name=name, defaults={"starts_on": starts, "ends_on": ends})[0]
            )
            day = starts - timedelta(days=1)
        self.terms = terms[::-1]  # oldest first
        self.report.rows[Term._meta.label] = len(terms)

    def stage_staff(self) -> None:
        from accounts.enums import Role
        from accounts.models import RoleAssignment, User

        rng = self.rng
        demo = {a.role: a for a in DEMO_ACCOUNTS}
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
        demo = DEMO_ACCOUNTS[0]
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

    def stage_venues(self) -> None:
        from venues.models import OpeningHours, Venue

        rng = self.rng
        kinds = list(VENUE_KINDS)
        kind_cum = list(accumulate(VENUE_KINDS[k].weight for k in kinds))
        n_comm = len(self.communities)
        # Every community has its service centre; then one venue of each other owner type; then by weight.
        plan = [("community_centre", c) for c in range(n_comm)]
        plan += [(k, _weighted(rng, self.community_cum)) for k in kinds if k != "community_centre"]
        while len(plan) < self.scale.venues:
            plan.append((kinds[_weighted(rng, kind_cum)], _weighted(rng, self.community_cum)))
        plan = plan[: max(self.scale.venues, n_comm + len(kinds) - 1)]
        venues, facility_rows, hours, infos = [], [], [], []
        per_kind = defaultdict(int)
        for kind, ci in plan:
            c = self.communities[ci]
            spec = VENUE_KINDS[kind]
            per_kind[kind, ci] += 1
            name = self._venue_name(kind, c, per_kind[kind, ci])
            lat, lon = self.jitter(
                c.lat, c.lon, 0.006 if kind in ("square_park", "school", "enterprise") else 0.003
            )
            facilities = set(spec.always) | {f for f, p in spec.optional.items() if rng.random() < p}
            capacity = rng.randrange(spec.capacity[0], spec.capacity[1] + 1, 5)
            owner = {
                "enterprise": name.split("·")[0],
                "school": name.removesuffix(f"（{per_kind[kind, ci]}）"),
                "square_park": "两江新区城市管理局",
                "culture_centre": "两江新区文化旅游局",
            }.get(kind, f"{c.name}居民委员会")
            venue = Venue(
                name=name,
                owner_type=kind,
                owner_name=owner,
                community_id=c.id,
                address=f"重庆市两江新区{STREETS[c.street_idx][0]}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                capacity=capacity,
                requires_confirmation=rng.random() < spec.requires_confirmation,
                contact_name=self.name(),
                contact_phone=self.phone(),
                latitude=lat,
                longitude=lon,
            )
            venues.append(venue)
            open_slots = [
                s
                for s, slot in enumerate(self.slots)
                if any(
                    slot.weekday in days and any(a <= slot.start and slot.end <= b for a, b in windows)
                    for days, windows in spec.hours
                )
            ]
            infos.append((venue, ci, lat, lon, capacity, frozenset(facilities), open_slots, spec))
        self.insert(Venue, venues)
        self.venues: list[_Venue] = []
        for venue, ci, lat, lon, capacity, facilities, open_slots, spec in infos:
            self.venues.append(
                _Venue(venue.pk, ci, lat, lon, capacity, facilities, venue.requires_confirmation, open_slots)
            )
            self.communities[ci].venues.append(len(self.venues) - 1)
            facility_rows += [
                Venue.facilities.through(venue_id=venue.pk, facility_id=self.facility_ids[f])
                for f in sorted(facilities)
            ]
            for days, windows in spec.hours:
                hours += [
                    OpeningHours(venue_id=venue.pk, weekday=d, start=a, end=b)
                    for d in days
                    for a, b in windows
                ]
        self.insert_all((Venue.facilities.through, facility_rows), (OpeningHours, hours))

    def _venue_name(self, kind: str, c: _Community, nth: int) -> str:
        rng = self.rng
        short = c.name.removesuffix("社区")
        street = STREETS[c.street_idx][0]
        suffix = "" if nth == 1 else f"（{nth}）"
        if kind == "community_centre":
            return f"{c.name}党群服务中心{suffix}"
        if kind == "elderly_care":
            return f"{c.name}养老服务中心{suffix}" if nth == 1 else f"{short}社区日间照料中心{suffix}"
        if kind == "civic_practice":
            return f"{c.name}新时代文明实践站{suffix}" if nth == 1 else f"{street}新时代文明实践所{suffix}"
        if kind == "enterprise":
            company = f"重庆{rng.choice(COMPANY_PREFIX)}{rng.choice(COMPANY_CORE)}科技有限公司"
            return f"{company}·{rng.choice(COMPANY_ROOM)}"
        if kind == "school":
            return f"重庆两江新区{short}{rng.choice(['小学', '中学', '实验学校'])}{suffix}"
        if kind == "culture_centre":
            return f"{street}综合文化服务中心{suffix}"
        return (
            f"{short}{rng.choice(['文化广场', '体育公园', '社区公园'])}"
            if nth == 1
            else f"{rng.choice(PARKS)}{suffix}"
        )

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
                lat, lon = self.jitter(DISTRICT[2], DISTRICT[3], 0.05)
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

    def stage_groups(self) -> None:
        from interests.models import GroupMembership, InterestGroup

        rng = self.rng
        groups, plans, names = [], [], set()
        self.groups_by: dict[tuple[int, int], list[int]] = defaultdict(list)
        for g in range(self.scale.groups):
            ci = 0 if g == 0 else _weighted(rng, self.community_cum)
            leaf = self.leaf_index["太极拳"] if g == 0 else _weighted(rng, self.leaf_cum)
            c = self.communities[ci]
            base = f"{c.name.removesuffix('社区')}{self.leaves[leaf].group_name}"
            name, n = base, 1
            while (ci, name) in names:
                n += 1
                name = f"{base}（{n}）"
            names.add((ci, name))
            created = self.now - timedelta(days=rng.randint(30, 900))
            groups.append(
                InterestGroup(
                    name=name,
                    category_id=self.leaf_ids[leaf],
                    community_id=c.id,
                    created=created,
                    description=f"{c.name}居民自发组织的{self.leaves[leaf].name}兴趣小组，欢迎邻居加入。",
                    max_members=rng.choice((None, None, 30, 50)),
                )
            )
            plans.append((ci, leaf, created))
        self.insert(InterestGroup, groups)
        members = []
        for g, (group, (ci, leaf, created)) in enumerate(zip(groups, plans, strict=True)):
            self.groups_by[ci, leaf].append(group.pk)
            size = min(rng.randint(6, 30), group.max_members or 30)
            chosen = self._pick(ci, leaf, size, first=[self.demo_resident] if g == 0 else [])
            for k, r in enumerate(chosen):
                joined = created + timedelta(days=rng.randint(0, max(0, (self.now - created).days)))
                # The first member founded the group and leads it: one leader per group.
                members.append(
                    (
                        group.pk,
                        self.res_ids[r],
                        "leader" if k == 0 else "member",
                        created if k == 0 else joined,
                    )
                )
        with self.bar(len(members)) as bar:
            self.insert_rows(GroupMembership, ["group_id", "user_id", "role", "joined"], members, bar)

    def _pick(
        self, ci: int, leaf: int, k: int, first: list[int] = (), exclude: set[int] | None = None
    ) -> list[int]:
        """k residents of community ci, those who listed the interest first."""
        rng = self.rng
        chosen = list(dict.fromkeys(first))
        seen = set(chosen) | (exclude or set())
        pools = (self.interested.get((ci, leaf), []), self.communities[ci].residents)
        for pool in pools:
            need = k - len(chosen)
            if need <= 0 or not pool:
                break
            for r in rng.sample(pool, min(len(pool), need + 8)):
                if r not in seen:
                    seen.add(r)
                    chosen.append(r)
                    if len(chosen) == k:
                        break
        return chosen[:k]

    def stage_schedule(self) -> None:
        """Courses, their weekly sessions and the venue bookings, collision-free by construction."""
        from activities.models import Course, Session
        from venues.models import Booking

        rng = self.rng
        # Upcoming sessions are published ten weeks ahead, and never beyond the current term.
        horizon = min(self.today + timedelta(weeks=10), self.terms[-1].ends_on)
        window_start = self.today - timedelta(days=364)
        terms = [(t, max(t.starts_on, window_start), min(t.ends_on, horizon)) for t in self.terms]
        self.venue_busy: set[tuple[int, int, int]] = set()  # (term, venue, slot)
        teacher_busy: set[tuple[int, int, int]] = set()  # (term, teacher, slot)
        teacher_load: dict[tuple[int, int], int] = defaultdict(int)  # (term, teacher) -> weekly sessions
        self.courses: list[_Course] = []
        held = 0

        def plan_course(
            ci: int, leaf: int, start: date, teacher_first: int | None = None, max_held: int | None = None
        ) -> _Course | None:
            ti = next(i for i, (_t, a, b) in enumerate(terms) if a <= start <= b)
            term, _a, term_end = terms[ti]
            spec = self.leaves[leaf]
            c = self.communities[ci]
            venue_idx = [v for v in c.venues if set(spec.facilities) <= self.venues[v].facilities]
            rng.shuffle(venue_idx)
            for v in venue_idx:
                venue = self.venues[v]
                candidates = [
                    t
                    for t in self.teachers_by_leaf.get(leaf, [])
                    if teacher_load[ti, t] < self.teachers[t].max_weekly
                    and _km(self.teachers[t].lat, self.teachers[t].lon, venue.lat, venue.lon)
                    <= self.teachers[t].max_km
                ]
                if teacher_first is not None:
                    candidates = [t for t in candidates if t == teacher_first]
                if not candidates:
                    continue
                slots = [s for s in venue.open_slots if (ti, v, s) not in self.venue_busy]
                rng.shuffle(slots)
                for s in slots:
                    free = [
                        t
                        for t in candidates
                        if s in self.teachers[t].free_slots and (ti, t, s) not in teacher_busy
                    ]
                    if not free:
                        continue
                    t = rng.choice(free)
                    weekday = self.slots[s].weekday
                    first = start + timedelta(days=(weekday - start.weekday()) % 7)
                    weeks = rng.randint(8, 16)
                    dates = [
                        first + timedelta(weeks=w)
                        for w in range(weeks)
                        if first + timedelta(weeks=w) <= term_end
                    ]
                    if len(dates) < 3:
                        continue
                    if max_held is not None:
                        # The last class of the loop starts later, so the sessions held hit the target exactly.
                        n_past = sum(1 for d in dates if self.at(d, self.slots[s].end) <= self.now)
                        dates = dates[max(0, n_past - max_held) :]
                    self.venue_busy.add((ti, v, s))
                    teacher_busy.add((ti, t, s))
                    teacher_load[ti, t] += 1
                    return self._course(ci, leaf, v, t, s, term, dates)
            return None

        # The demo teacher's classes in the demo community: one running now, one finished last term.
        demo_ci = 0
        for leaf_name, start in (
            ("智能手机使用", self.today - timedelta(weeks=5)),
            ("书法", terms[1][1] + timedelta(weeks=2)),
        ):
            course = plan_course(demo_ci, self.leaf_index[leaf_name], start, teacher_first=0)
            if course:
                self.courses.append(course)
                held += self._held(course)

        span = (horizon - window_start).days - 21
        attempts = 0
        with self.bar(self.scale.held_sessions, "sessions held") as bar:
            bar.update(held)
            while held < self.scale.held_sessions:
                attempts += 1
                if attempts > 50 * self.scale.held_sessions:
                    raise DemoDataError(
                        "Could not place enough classes: too few venues or teachers for this scale."
                    )
                ci = _weighted(rng, self.community_cum)
                leaf = _weighted(rng, self.leaf_cum)
                course = plan_course(
                    ci,
                    leaf,
                    window_start + timedelta(days=rng.randint(0, span)),
                    max_held=self.scale.held_sessions - held,
                )
                if course:
                    self.courses.append(course)
                    n = self._held(course)
                    held += n
                    bar.update(n)

        self.insert(Course, [c.obj for c in self.courses])
        sessions, bookings = [], []
        for course in self.courses:
            slot = self.slots[course.slot]
            venue = self.venues[course.venue]
            for day in course.dates:
                starts, ends = self.at(day, slot.start), self.at(day, slot.end)
                status = (
                    "cancelled"
                    if day in course.cancelled_dates
                    else "held"
                    if ends <= self.now
                    else "scheduled"
                )
                session = Session(
                    course_id=course.obj.pk,
                    venue_id=venue.id,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=course.obj.capacity,
                    status=status,
                )
                course.session_objs.append(session)
                sessions.append(session)
        with self.bar(len(sessions), "sessions") as bar:
            self.insert(Session, sessions, bar)
        for course in self.courses:
            venue = self.venues[course.venue]
            staff = self.communities[course.community].staff_id
            for session in course.session_objs:
                if session.status == "cancelled":
                    status = "cancelled"
                elif session.status == "scheduled" and venue.requires_confirmation and rng.random() < 0.3:
                    status = "pending"
                else:
                    status = "confirmed"
                bookings.append(
                    Booking(
                        venue_id=venue.id,
                        starts_at=session.starts_at,
                        ends_at=session.ends_at,
                        status=status,
                        session_id=session.pk,
                        purpose=course.obj.title,
                        booked_by_id=staff,
                    )
                )
        # Consultation meetings (协商议事) in free (venue, slot) pairs of the current term: bookings without a session.
        ti = len(terms) - 1
        for ci, c in enumerate(self.communities):
            for v in c.venues[:1]:
                free = [
                    s
                    for s in self.venues[v].open_slots
                    if (ti, v, s) not in self.venue_busy and self.slots[s].start.hour >= 14
                ]
                if not free:
                    continue
                s = rng.choice(free)
                self.venue_busy.add((ti, v, s))
                day = self.today + timedelta(days=(self.slots[s].weekday - self.today.weekday()) % 7 + 7)
                if day > self.terms[-1].ends_on:
                    continue
                bookings.append(
                    Booking(
                        venue_id=self.venues[v].id,
                        starts_at=self.at(day, self.slots[s].start),
                        ends_at=self.at(day, self.slots[s].end),
                        status="confirmed",
                        purpose="居民议事会（协商议事）",
                        booked_by_id=self.communities[ci].staff_id,
                    )
                )
        self.insert_all((Booking, bookings))

    def _held(self, course: _Course) -> int:
        end = self.slots[course.slot].end
        return sum(1 for d in course.dates if self.at(d, end) <= self.now and d not in course.cancelled_dates)

    def _course(self, ci: int, leaf: int, v: int, t: int, s: int, term, dates: list[date]) -> _Course:
        from activities.models import Course

        rng = self.rng
        spec = self.leaves[leaf]
        venue = self.venues[v]
        capacity = min(spec.max_size, venue.capacity)
        closed = self.at(dates[-1], self.slots[s].end) <= self.now
        started = self.at(dates[0], self.slots[s].start) <= self.now
        fill = rng.uniform(0.7, 1.0) if started or closed else rng.uniform(0.3, 1.0)
        if spec.name in FAVOURITES["old"] and rng.random() < 0.4:
            fill = 1.0  # the most ordered interests' classes fill up and keep a waiting list
        n_conf = max(min(spec.min_size, capacity), min(capacity, round(capacity * fill)))
        first = [self.demo_resident] if ci == 0 and t == 0 else []
        chosen = self._pick(
            ci,
            leaf,
            n_conf + (rng.randint(1, 5) if n_conf == capacity else 0) + rng.randint(0, 2),
            first=first,
        )
        confirmed = chosen[:n_conf]
        rest = chosen[n_conf:]
        if n_conf == capacity:
            waitlisted, cancelled = rest[:-1] if len(rest) > 1 else rest, rest[-1:] if len(rest) > 1 else []
        else:
            waitlisted, cancelled = [], rest
        groups = self.groups_by.get((ci, leaf))
        level = rng.choice(["入门班", "提高班", "兴趣班", "公益课"])
        title = f"{spec.name}{level}"
        obj = Course(
            title=title,
            category_id=self.leaf_ids[leaf],
            community_id=self.communities[ci].id,
            teacher_id=self.teachers[t].id,
            group_id=groups[0] if groups and rng.random() < 0.6 else None,
            term_id=term.pk,
            slot_id=self.slots[s].pk,
            venue_id=venue.id,
            description=f"{self.communities[ci].name}社区学院{spec.name}课程，每周{'一二三四五六日'[self.slots[s].weekday]}"
            f"{self.slots[s].start:%H:%M}上课，共{len(dates)}次。",
            capacity=capacity,
            confirmed_count=len(confirmed),
            status="closed" if closed else "open",
        )
        # A few meetings are called off (teacher ill, rain on the square …); their bookings are cancelled too.
        called_off = frozenset(d for d in dates if rng.random() < 0.02)
        return _Course(obj, ci, leaf, v, t, s, dates, confirmed, waitlisted, cancelled, closed, called_off)

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

    def stage_registrations(self) -> None:
        from activities.models import Registration

        rng = self.rng
        regs = []
        for k, course in enumerate(self.courses):
            first_start = self.at(course.dates[0], self.slots[course.slot].start)
            opened = first_start - timedelta(days=21)
            for status, people in (
                ("confirmed", course.confirmed),
                ("waitlisted", course.waitlisted),
                ("cancelled", course.cancelled),
            ):
                for r in people:
                    created = min(self.now, opened + timedelta(minutes=rng.randint(0, 20 * 24 * 60)))
                    order = self.order_of.get((k, r))
                    if order is not None:
                        created = max(created, order.dispatched_at)
                    changed = (
                        min(self.now, created + timedelta(days=rng.randint(1, 10)))
                        if status == "cancelled"
                        else created
                    )
                    user = self.res_ids[r]
                    placed_by = (
                        self.communities[course.community].staff_id
                        if order is None and rng.random() < 0.15
                        else user
                    )
                    regs.append(
                        Registration(
                            course_id=course.obj.pk,
                            resident_id=user,
                            status=status,
                            order=order,
                            placed_by_id=placed_by,
                            created=created,
                            status_changed=changed,
                        )
                    )
        self.insert_all((Registration, regs))

    def stage_attendance(self) -> None:
        """Attendance for held sessions, ratings by some who came, and policy talks before class."""
        from activities.models import Attendance, PolicyTalk
        from ratings.models import SessionRating

        rng = self.rng
        attendance, ratings, talks = [], [], []
        star_values, star_cum = zip(*STAR_WEIGHTS, strict=True)
        star_cum = list(accumulate(star_cum))
        # Per (community, month): sessions held, attendances, sum of stars, ratings.
        self.month_stats: dict[tuple[int, date], list] = defaultdict(lambda: [0, 0, 0, 0])
        for course in self.courses:
            teacher_id = self.teachers[course.teacher].id
            keen = {r: rng.uniform(0.6, 0.98) for r in course.confirmed}
            bias = rng.choice((0, 0, 0, 1, -1))  # some classes simply go better than others
            for session in course.session_objs:
                if session.status == "cancelled":
                    continue
                if rng.random() < self.scale.talk_share:
                    d = _weighted(rng, self.department_cum)
                    name, _kind, topics, _w = DEPARTMENTS[d]
                    status = (
                        "held"
                        if session.status == "held"
                        else rng.choice(("proposed", "confirmed", "confirmed"))
                    )
                    talks.append(
                        PolicyTalk(
                            session_id=session.pk,
                            department_id=self.departments[d].pk,
                            topic=rng.choice(topics),
                            speaker=self.name(),
                            status=status,
                        )
                    )
                if session.status != "held":
                    continue
                local = timezone.localtime(session.starts_at, self.tz).date()
                stats = self.month_stats[course.community, local.replace(day=1)]
                stats[0] += 1
                recorded = session.ends_at + timedelta(minutes=10)
                for r, p in keen.items():
                    came = rng.random() < p
                    user = self.res_ids[r]
                    attendance.append((session.pk, user, came, recorded))
                    if not came:
                        continue
                    stats[1] += 1
                    if rng.random() < 0.3:
                        stars = max(
                            1,
                            min(
                                5, star_values[_weighted(rng, star_cum)] + (bias if rng.random() < 0.5 else 0)
                            ),
                        )
                        created = min(
                            self.now, session.ends_at + timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                        )
                        comment = rng.choice(RATING_COMMENTS[stars]) if rng.random() < 0.6 else ""
                        ratings.append((session.pk, user, teacher_id, stars, comment, created))
                        stats[2] += stars
                        stats[3] += 1
        with self.bar(len(attendance) + len(ratings)) as bar:
            self.insert_rows(
                Attendance, ["session_id", "resident_id", "attended", "recorded_at"], attendance, bar
            )
            self.insert_rows(
                SessionRating,
                ["session_id", "resident_id", "teacher_id", "stars", "comment", "created"],
                ratings,
                bar,
            )
        self.insert_all((PolicyTalk, talks))

    def stage_funds(self) -> None:
        """A year of each college's fund (`demo.funds`)."""
        from demo.funds import seed_funds

        seed_funds(self)

    def stage_showcases(self) -> None:
        """Showcases with photos and audience, and stories (`demo.showcases`)."""
        from demo.showcases import seed_showcases

        seed_showcases(self)

    def stage_stars(self) -> None:
        """Six months of star ratings per college; the college's level is its latest record."""
        from accounts.models import College
        from ratings.models import CollegeStarRecord

        rng = self.rng
        months = []
        first = self.today.replace(day=1)
        for _ in range(6):
            first = (first - timedelta(days=1)).replace(day=1)
            months.append(first)
        months.reverse()
        records = []
        for ci, (c, college) in enumerate(zip(self.communities, self.colleges, strict=True)):
            score = rng.uniform(55, 90)
            for month in months:
                score = max(30.0, min(99.0, score + rng.gauss(0.8, 4)))
                stars = (
                    5 if score >= 90 else 4 if score >= 80 else 3 if score >= 70 else 2 if score >= 60 else 1
                )
                held, present, star_sum, n_ratings = self.month_stats.get((ci, month), [0, 0, 0, 0])
                indicators = {
                    "sessions_held": held,
                    "attendances": present,
                    "average_rating": round(star_sum / n_ratings, 2) if n_ratings else None,
                    "residents": len(c.residents),
                }
                computed = self.at((month + timedelta(days=32)).replace(day=1), time(9))
                records.append(
                    CollegeStarRecord(
                        college_id=college.pk,
                        period=month,
                        score=round(score, 1),
                        stars=stars,
                        indicators=indicators,
                        computed_at=computed,
                    )
                )
            college.stars = records[-1].stars
        self.insert_all((CollegeStarRecord, records))
        College.objects.bulk_update(self.colleges, ["stars"], batch_size=BATCH_SIZE)
