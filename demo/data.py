"""Demo data: the district's names, trees, places and weights that every stage draws on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import NamedTuple

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
# The street and community codes of the first district start "lj-"; a city's further districts use their own.
DISTRICT_PREFIX = "lj"

# `seed_demo --districts N`: the districts after the first, each the same shape as 两江新区 moved to its own
# centre (name, code, code prefix, latitude, longitude). Beyond this list the names get a number.
CITY_DISTRICTS: list[tuple[str, str, str, float, float]] = [
    ("渝北区", "yubei", "yb", 29.72, 106.63),
    ("江北区", "jiangbei", "jb", 29.60, 106.57),
    ("沙坪坝区", "shapingba", "spb", 29.54, 106.45),
    ("九龙坡区", "jiulongpo", "jlp", 29.50, 106.51),
    ("南岸区", "nanan", "na", 29.52, 106.64),
    ("渝中区", "yuzhong", "yz", 29.55, 106.57),
    ("巴南区", "banan", "bn", 29.40, 106.54),
    ("北碚区", "beibei", "bb", 29.80, 106.40),
    ("大渡口区", "dadukou", "ddk", 29.48, 106.48),
    ("璧山区", "bishan", "bs", 29.59, 106.23),
    ("江津区", "jiangjin", "jj", 29.29, 106.26),
    ("合川区", "hechuan", "hc", 29.97, 106.28),
]
# A further district's random stream: its own, so adding districts never moves an earlier one's rows.
DISTRICT_SEED_STRIDE = 10_007

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
    DemoAccount("city_office", "13800000009", "黄丽"),
    DemoAccount("department_liaison", "13800000006", "赵磊"),
    DemoAccount("venue_owner", "13800000007", "周静"),
    DemoAccount("volunteer", "13800000008", "孙志红"),
]


def district_spec(k: int) -> tuple[str, str, str, float, float]:
    """District k of a city demo (0 is 两江新区): name, code, code prefix, latitude, longitude."""
    if k == 0:
        name, code, lat, lon = DISTRICT
        return name, code, DISTRICT_PREFIX, lat, lon
    name, code, prefix, lat, lon = CITY_DISTRICTS[(k - 1) % len(CITY_DISTRICTS)]
    lap = (k - 1) // len(CITY_DISTRICTS)
    if lap:
        # Past the list: the same places again, numbered, a little further out.
        name, code, prefix = f"{name}{lap + 1}", f"{code}{lap + 1}", f"{prefix}{lap + 1}"
        lat, lon = lat + 0.5 * lap, lon + 0.5 * lap
    return name, code, prefix, lat, lon


def district_accounts(k: int) -> list[DemoAccount]:
    """The demo logins of district k: the first district's are DEMO_ACCOUNTS; district k ≥ 1 gets the same roles
    (but no second city office) on numbers 138 kk 0000 ii, so each district's office can sign in too."""
    if k == 0:
        return DEMO_ACCOUNTS
    return [
        DemoAccount(a.role, f"138{k:02d}0000{i:02d}", a.name)
        for i, a in enumerate(DEMO_ACCOUNTS, start=1)
        if a.role != "city_office"
    ]
