"""Demo money for `seed_demo`: a believable year of each college's fund, at any scale.

Per college and term of the last twelve months: a fiscal grant and budget lines per use, allocations from
district departments and resident units, gifts in kind (rooms, materials) at a stated value, a crowd-funding
campaign with residents' pledges (most received, some still promised), monthly spending on materials,
venue fees and events, and monthly teacher stipends computed from the sessions actually held, at the rate
table's rates. Sizes follow each community's population, so the district's dashboards have spread.

Written with bulk inserts, not through the services (a district year is tens of thousands of postings):
each posting is balanced by construction, budget lines are charged exactly what was posted against them,
and on PostgreSQL the ledger's constraint trigger checks every posting again at the seed's COMMIT.
Its own random generator, so adding it changes nothing else the seed draws.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.enums import Role
from accounts.models import College, Department, RoleAssignment
from activities.enums import SessionStatus
from activities.models import Session, Term
from funds.enums import (
    ACCOUNT_CODES,
    CampaignStatus,
    DonorKind,
    ExpenseStatus,
    Holding,
    PaymentMethod,
    PledgeStatus,
    PostingKind,
    Source,
    StipendKind,
    Use,
    account_kind_of,
)
from funds.models import (
    CENT,
    Account,
    BudgetLine,
    Campaign,
    Entry,
    Expense,
    Income,
    Pledge,
    Posting,
    StipendBatch,
    StipendLine,
    StipendRate,
)
from interests.models import ResidentProfile
from teachers.enums import TeacherSource

RATES = {StipendKind.GRASSROOTS: Decimal("60"), StipendKind.PROFESSIONAL: Decimal("150"), StipendKind.VOLUNTEER: Decimal("0")}
UNITS = ["两江物业公司", "星光小学", "社区卫生服务中心", "金科幼儿园", "长安汽车工会", "两江图书馆", "礼嘉商圈商会", "悦来社工站"]
CAMPAIGNS = [
    ("给民乐班添一把古筝", "民乐班的学员越来越多，只有两把古筝轮流用。", Use.EQUIPMENT),
    ("社区合唱团年末展演", "租借音响、印节目单、给演员备水。", Use.EVENTS),
    ("书法班一学期的笔墨纸砚", "为书法班的老人们备齐宣纸、毛笔和墨汁。", Use.MATERIALS),
    ("智能手机课的投影仪", "教老人用手机，需要一台能投屏的投影仪。", Use.EQUIPMENT),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"


def _yuan(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def _month_starts(start: date, end: date) -> list[date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


class _Book:
    """Postings and entries built in memory, with their links, then inserted in bulk."""

    def __init__(self, now: datetime):
        self.now = now
        self.postings: list[Posting] = []
        self.entries: list[list[tuple[str, Decimal]]] = []

    def post(self, *, college: College, kind: str, day: date, term: Term, memo: str, actor_id: int, lines, **links):
        assert sum(a for _c, a in lines) == 0 and len(lines) >= 2
        self.postings.append(
            Posting(
                college=college, kind=kind, occurred_on=day, term=term, memo=memo[:300], created_by_id=actor_id,
                created=timezone.make_aware(datetime.combine(day, time(10))), **links,
            )
        )
        self.entries.append(lines)


def seed_funds(seeder) -> None:
    """Called by `demo.seed` after the classes, attendance and ratings exist."""
    rng = random.Random(f"funds-{seeder.report.seed}")
    today = seeder.today
    now = seeder.now
    window_start = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    # This district's rows only: a city demo seeds its districts one after another.
    district_id = seeder.district.pk
    colleges = list(
        College.objects.filter(community__street__district_id=district_id).select_related("community").order_by("id")
    )
    if not colleges:
        return
    terms = list(
        Term.objects.filter(district_id=district_id, ends_on__gte=window_start, starts_on__lte=today).order_by("starts_on")
    )
    staff_of = defaultdict(list)
    for user_id, community_id in RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF, community__street__district_id=district_id).values_list("user_id", "community_id"):
        staff_of[community_id].append(user_id)
    superuser_fallback = next(iter(staff_of.values()), [None])[0]
    residents_of = defaultdict(list)
    for user_id, community_id in ResidentProfile.objects.filter(community__street__district_id=district_id).values_list("user_id", "community_id").order_by("user_id"):
        if len(residents_of[community_id]) < 400:
            residents_of[community_id].append(user_id)
    departments = list(Department.objects.filter(district_id=district_id).values_list("id", "name"))

    if not StipendRate.objects.exists():  # the rates are the city's: the first district writes them
        seeder.insert(StipendRate, [StipendRate(kind=k, hourly=v, effective_from=date(2020, 1, 1)) for k, v in RATES.items()])
    accounts = seeder.insert(Account, [Account(college=c, code=code, kind=account_kind_of(code)) for c in colleges for code in ACCOUNT_CODES])
    chart = {(a.college_id, a.code): a for a in accounts}

    # Held sessions: hours per college, month and stipend kind (one query).
    held_hours: dict[tuple[int, date, str, int], list[float]] = defaultdict(list)
    for community_id, teacher_id, source, kind, starts, ends in (
        Session.objects.filter(status=SessionStatus.HELD, course__teacher__isnull=False, starts_at__date__gte=window_start, course__community__street__district_id=district_id)
        .values_list("course__community_id", "course__teacher_id", "course__teacher__source", "course__teacher__kind", "starts_at", "ends_at")
    ):
        local = timezone.localtime(starts).date()
        paid_as = StipendKind.VOLUNTEER if source == TeacherSource.VOLUNTEER_TEAM else kind
        held_hours[(community_id, local.replace(day=1), paid_as, teacher_id)].append((ends - starts).total_seconds() / 3600)

    book = _Book(now)
    incomes, campaigns, pledges, budget, expenses, batches, lines = [], [], [], {}, [], [], []
    pledge_posting: list[tuple[int, int]] = []  # (posting index, pledge index)
    income_posting: list[tuple[int, int]] = []
    expense_posting: list[tuple[int, int]] = []
    campaign_posting: list[tuple[int, int]] = []
    for college in colleges:
        community = college.community
        actor = (staff_of.get(community.id) or [superuser_fallback])[0]
        size = max(0.6, min(3.0, (community.population or 5000) / 6000))
        for term in terms:
            start = max(term.starts_on, window_start)
            end = min(term.ends_on, today)
            if start > end:
                continue
            # Income: the fiscal grant on the first day, allocations and gifts in kind through the term.
            fiscal = _yuan(rng.uniform(12_000, 30_000) * size)
            income_events = [(start, Source.FISCAL, DonorKind.GOVERNMENT, "两江新区财政局", fiscal, "", "")]
            for _ in range(rng.randint(1, 3)):
                if departments and rng.random() < 0.6:
                    donor_kind, name = DonorKind.DEPARTMENT, rng.choice(departments)[1]
                else:
                    donor_kind, name = rng.choice([DonorKind.UNIT, DonorKind.ENTERPRISE]), rng.choice(UNITS)
                day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
                income_events.append((day, Source.ALLOCATED, donor_kind, name, _yuan(rng.uniform(2_000, 9_000) * size), "", ""))
            for _ in range(rng.randint(0, 2)):
                day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
                hours = rng.choice([20, 30, 40])
                income_events.append((
                    day, Source.IN_KIND, DonorKind.ENTERPRISE, rng.choice(UNITS), _yuan(hours * 150),
                    "活动室（每周两次）", f"市场租金 150 元/小时 × {hours} 小时",
                ))
            for day, source, donor_kind, name, amount, item, basis in income_events:
                incomes.append(Income(
                    college=college, source=source, donor_kind=donor_kind, donor_name=name, amount=amount, received_on=day,
                    item=item, value_basis=basis, recorded_by_id=actor, publish_donor=rng.random() < 0.7,
                    memo="", created=timezone.make_aware(datetime.combine(day, time(9))),
                ))
                held = Holding.IN_KIND if source == Source.IN_KIND else Holding.CASH
                book.post(
                    college=college, kind=PostingKind.IN_KIND if source == Source.IN_KIND else PostingKind.INCOME,
                    day=day, term=term, memo=f"{Source(source).label} · {name}", actor_id=actor,
                    lines=[(held, amount), (source, -amount)],
                )
                income_posting.append((len(book.postings) - 1, len(incomes) - 1))
            # A campaign with pledges from the community's residents.
            title, purpose, use = rng.choice(CAMPAIGNS)
            target = _yuan(rng.choice([2_000, 3_000, 5_000, 8_000]))
            deadline = min(end + timedelta(days=30), term.ends_on) if term.ends_on >= today else end
            campaigns.append(Campaign(
                college=college, title=title, purpose=purpose, use=use, target=target, deadline=deadline,
                status=CampaignStatus.OPEN if deadline >= today else CampaignStatus.CLOSED, created_by_id=actor,
                created=timezone.make_aware(datetime.combine(start, time(9))),
            ))
            ci = len(campaigns) - 1
            raised = Decimal(0)
            for _ in range(rng.randint(8, 40)):
                residents = residents_of.get(community.id)
                if not residents:
                    break
                amount = _yuan(rng.choice([20, 50, 50, 100, 100, 200, 500]))
                day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
                received = rng.random() < (0.85 if deadline < today else 0.6)
                pledges.append((ci, Pledge(
                    pledger_id=rng.choice(residents), amount=amount,
                    public_name=f"{rng.choice(SURNAMES)}{rng.choice(['女士', '先生', '阿姨', '大爷'])}" if rng.random() < 0.3 else "",
                    status=PledgeStatus.RECEIVED if received else (PledgeStatus.PLEDGED if deadline >= today else PledgeStatus.EXPIRED),
                    method=rng.choice([PaymentMethod.CASH, PaymentMethod.TRANSFER, PaymentMethod.TERMINAL]) if received else "",
                    received_at=timezone.make_aware(datetime.combine(day, time(15))) if received else None,
                    received_by_id=actor if received else None,
                    created=timezone.make_aware(datetime.combine(day, time(11))),
                )))
                if received:
                    raised += amount
                    book.post(
                        college=college, kind=PostingKind.DONATION, day=day, term=term, memo=f"{title}", actor_id=actor,
                        lines=[(Holding.CASH, amount), (Source.CROWD, -amount)],
                    )
                    pledge_posting.append((len(book.postings) - 1, len(pledges) - 1))
                    campaign_posting.append((len(book.postings) - 1, ci))
            # Budget lines for the term, then monthly spending within them.
            cash_in = sum((e[4] for e in income_events if e[1] != Source.IN_KIND), Decimal(0)) + raised
            shares = {Use.STIPENDS: 0.40, Use.MATERIALS: 0.2, Use.VENUE_FEES: 0.12, Use.EQUIPMENT: 0.13, Use.EVENTS: 0.15}
            for use, share in shares.items():
                budget[(college.pk, term.pk, use)] = [_yuan(float(cash_in) * share), Decimal(0)]
            for month in _month_starts(start, end):
                month_end = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), end)
                spends = [
                    (Use.MATERIALS, rng.uniform(200, 900) * size, "教材与耗材"),
                    (Use.VENUE_FEES, rng.uniform(0, 600) * size, "场地清洁与水电分摊"),
                ]
                if rng.random() < 0.35:
                    spends.append((Use.EVENTS, rng.uniform(400, 2_000) * size, "兴趣展示活动"))
                if rng.random() < 0.1:
                    spends.append((Use.EQUIPMENT, rng.uniform(500, 3_000), "设备购置"))
                # Stipends for the month just ended, from the sessions held.
                if month_end < today.replace(day=1):
                    stipend_lines = []
                    for (cid, m, kind, teacher_id), hours in held_hours.items():
                        if cid != community.id or m != month:
                            continue
                        h = _yuan(sum(hours))
                        stipend_lines.append(StipendLine(teacher_id=teacher_id, kind=kind, sessions=len(hours), hours=h, hourly=RATES[kind], amount=(h * RATES[kind]).quantize(CENT)))
                    if stipend_lines:
                        total = sum((sl.amount for sl in stipend_lines), Decimal(0))
                        batches.append((StipendBatch(college=college, month=month, created_by_id=actor), stipend_lines, None))
                        if total > 0:
                            spends.append((Use.STIPENDS, float(total), f"教师课酬 {month:%Y-%m}", len(batches) - 1))
                for spend in spends:
                    use, amount, description = spend[0], _yuan(spend[1]), spend[2]
                    line = budget[(college.pk, term.pk, use)]
                    if amount <= 0 or line[1] + amount > line[0]:
                        continue  # the budget line would go below zero: such a request is refused, as in the service
                    line[1] += amount
                    day = min(month_end, month + timedelta(days=rng.randint(3, 27)))
                    approver = (staff_of.get(community.id) or [actor])[-1]
                    expenses.append(Expense(
                        college=college, term=term, use=use, amount=amount, description=description,
                        status=ExpenseStatus.POSTED, needs_second_approver=False, requested_by_id=actor,
                        requested_at=timezone.make_aware(datetime.combine(day, time(9))), decided_by_id=approver,
                        decided_at=timezone.make_aware(datetime.combine(day, time(16))),
                    ))
                    if len(spend) == 4:
                        batch, blines, _ = batches[spend[3]]
                        batches[spend[3]] = (batch, blines, len(expenses) - 1)
                    book.post(
                        college=college, kind=PostingKind.STIPENDS if use == Use.STIPENDS else PostingKind.EXPENSE,
                        day=day, term=term, memo=description, actor_id=approver, lines=[(use, amount), (Holding.CASH, -amount)],
                    )
                    expense_posting.append((len(book.postings) - 1, len(expenses) - 1))

    seeder.insert(Income, incomes)
    seeder.insert(Campaign, campaigns)
    for ci, pledge in pledges:
        pledge.campaign = campaigns[ci]
    seeder.insert(Pledge, [p for _ci, p in pledges])
    seeder.insert(Expense, expenses)
    seeder.insert(BudgetLine, [
        BudgetLine(college_id=c, term_id=t, use=u, amount=v[0], spent=v[1]) for (c, t, u), v in budget.items()
    ])
    for batch, _blines, expense_index in batches:
        batch.expense = expenses[expense_index] if expense_index is not None else None
    seeder.insert(StipendBatch, [b for b, _l, _e in batches])
    for batch, blines, _e in batches:
        for sl in blines:
            sl.batch = batch
            lines.append(sl)
    seeder.insert(StipendLine, lines)
    for pi, ii in income_posting:
        book.postings[pi].income = incomes[ii]
    for pi, xi in pledge_posting:
        book.postings[pi].pledge = pledges[xi][1]
    for pi, ci in campaign_posting:
        book.postings[pi].campaign = campaigns[ci]
    for pi, ei in expense_posting:
        book.postings[pi].expense = expenses[ei]
    seeder.insert(Posting, book.postings)
    entries = [
        Entry(posting=posting, account=chart[(posting.college_id, code)], amount=amount)
        for posting, legs in zip(book.postings, book.entries, strict=True)
        for code, amount in legs
    ]
    seeder.insert(Entry, entries)
    from funds.services import month_totals_rebuild

    month_totals_rebuild()
