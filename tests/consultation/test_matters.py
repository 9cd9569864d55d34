"""Raising, supporting, commenting and triage: each a service, each on the public timeline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from community_college.errors import ConflictError, InvalidTransition, ScopeError
from consultation import selectors, services
from consultation.enums import Channel, CommentStatus, EventKind, Level, MatterStatus, Outcome
from consultation.models import Matter, MatterEvent, Support, WorkdayException
from consultation.similar import rank_similar, similarity
from consultation.workdays import add_working_days
from tests.factories.accounts import UserFactory

SH = ZoneInfo("Asia/Shanghai")


def kinds(matter):
    return list(MatterEvent.objects.filter(matter=matter).order_by("at", "id").values_list("kind", flat=True))


def test_raise_sets_deadline_and_timeline(world):
    matter = world.raise_matter()
    assert matter.community == world.home
    assert matter.status == MatterStatus.RAISED
    assert matter.due_at == add_working_days(matter.raised_at, 5)
    assert kinds(matter) == [EventKind.RAISED]
    assert matter.title_pinyin == "ting che nan"  # 小区 is noise for duplicates


def test_raise_without_profile_is_refused_and_nothing_saved(world):
    with pytest.raises(ConflictError):
        services.matter_raise(resident=UserFactory(), category=world.category, title="路灯坏了", description="路灯")
    assert Matter.objects.count() == 0


def test_raise_needs_a_leaf_category(world):
    with pytest.raises(ValidationError):
        world.raise_matter(category=world.category.parent)


def test_staff_raise_on_behalf_of_resident_by_phone(world):
    matter = world.raise_matter(entered_by=world.staff, channel=Channel.PHONE)
    assert (matter.raised_by, matter.entered_by, matter.channel) == (world.residents[0], world.staff, Channel.PHONE)
    with pytest.raises(ScopeError):
        world.raise_matter(entered_by=world.other_staff, channel=Channel.PHONE)
    assert Matter.objects.count() == 1


def test_working_days_skip_weekends_and_holidays(db):
    friday = datetime(2026, 9, 25, 10, 0, tzinfo=SH)
    assert add_working_days(friday, 1, {}).date().isoformat() == "2026-09-28"
    # National Day week off, with Sunday 27 September worked in exchange.
    exceptions = {datetime(2026, 10, d).date(): False for d in range(1, 8)}
    exceptions[datetime(2026, 9, 27).date()] = True
    assert add_working_days(friday, 1, exceptions).date().isoformat() == "2026-09-27"
    tuesday = datetime(2026, 9, 29, 10, 0, tzinfo=SH)
    assert add_working_days(tuesday, 2, exceptions).date().isoformat() == "2026-10-08"
    WorkdayException.objects.create(date=datetime(2026, 9, 28).date(), is_working_day=False)
    assert add_working_days(friday, 1).date().isoformat() == "2026-09-29"


def test_support_once_per_resident_and_counter_from_rows(world):
    matter = world.raise_matter()
    assert services.matter_support(matter=matter, user=world.residents[1]) is True
    assert services.matter_support(matter=matter, user=world.residents[1]) is False
    assert services.matter_support(matter=matter, user=world.residents[2]) is True
    matter.refresh_from_db()
    assert matter.support_count == 2
    assert services.matter_unsupport(matter=matter, user=world.residents[2]) is True
    matter.refresh_from_db()
    assert matter.support_count == 1


def test_support_from_another_community_is_refused(world):
    matter = world.raise_matter()
    with pytest.raises(ScopeError):
        services.matter_support(matter=matter, user=world.neighbours[0])
    assert Support.objects.count() == 0


@override_settings(CONSULTATION_REPORTS_TO_HIDE=2)
def test_reports_hide_comment_until_moderator_keeps_it(world):
    matter = world.raise_matter()
    comment = services.comment_add(matter=matter, author=world.residents[1], body="同意，晚上很难停车")
    other = services.comment_add(matter=matter, author=world.residents[2], body="支持")
    services.comment_report(comment=comment, reporter=world.residents[0], reason="offensive")
    services.comment_report(comment=comment, reporter=world.residents[0], reason="offensive")  # once each
    comment.refresh_from_db()
    assert (comment.status, comment.report_count) == (CommentStatus.VISIBLE, 1)
    services.comment_report(comment=comment, reporter=world.residents[3], reason="spam")
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN
    matter.refresh_from_db()
    assert matter.comment_count == 1
    other.refresh_from_db()
    assert other.status == CommentStatus.VISIBLE
    with pytest.raises(ScopeError):
        services.comment_moderate(comment=comment, actor=world.other_staff, keep=True)
    services.comment_moderate(comment=comment, actor=world.staff, keep=True)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE
    with pytest.raises(ScopeError):
        services.comment_report(comment=comment, reporter=world.neighbours[0], reason="spam")


def test_answer_closes_on_time_and_refuses_second_step(world):
    matter = world.raise_matter()
    with pytest.raises(ScopeError):
        services.matter_answer(matter=matter, actor=world.other_staff, answer="已处理")
    with pytest.raises(ScopeError):
        services.matter_answer(matter=matter, actor=world.district, answer="已处理")
    with pytest.raises(ValidationError):
        services.matter_answer(matter=matter, actor=world.staff, answer="  ")
    services.matter_answer(matter=matter, actor=world.staff, answer="已增划夜间停车位20个")
    matter.refresh_from_db()
    assert (matter.status, matter.outcome, matter.answered_on_time) == (MatterStatus.CLOSED, Outcome.ANSWERED, True)
    with pytest.raises(InvalidTransition):
        services.matter_to_deliberation(matter=matter, actor=world.staff)
    assert kinds(matter) == [EventKind.RAISED, EventKind.ANSWERED]


def test_referral_is_seen_and_answered_only_by_that_department(world):
    matter = world.raise_matter()
    untouched = world.raise_matter("垃圾分类点太远", resident=world.residents[1])
    services.matter_refer(matter=matter, actor=world.staff, department=world.department)
    assert list(selectors.matters_for_liaison(world.liaison)) == [matter]
    assert list(selectors.matters_for_liaison(world.other_liaison)) == []
    with pytest.raises(ScopeError):
        services.matter_department_answer(matter=matter, actor=world.other_liaison, answer="不归我们")
    services.matter_department_answer(matter=matter, actor=world.liaison, answer="本周内清理消防通道")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.CLOSED
    untouched.refresh_from_db()
    assert untouched.status == MatterStatus.RAISED
    assert kinds(matter) == [EventKind.RAISED, EventKind.REFERRED, EventKind.DEPARTMENT_ANSWERED]


def test_merge_moves_voices_to_the_target(world):
    target = world.raise_matter("小区停车难")
    duplicate = world.raise_matter("小区停车太难了", resident=world.residents[1])
    services.matter_support(matter=duplicate, user=world.residents[2])
    services.matter_support(matter=target, user=world.residents[2])
    services.matter_merge(matter=duplicate, into=target, actor=world.staff)
    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert (duplicate.status, duplicate.outcome, duplicate.merged_into) == (MatterStatus.CLOSED, Outcome.MERGED, target)
    assert set(Support.objects.filter(matter=target).values_list("user_id", flat=True)) == {
        world.residents[1].pk,
        world.residents[2].pk,
    }
    assert target.support_count == 2
    assert kinds(target)[-1] == EventKind.MERGED_IN
    foreign = world.raise_matter("路灯坏了", resident=world.neighbours[0])
    with pytest.raises(ValidationError):
        services.matter_merge(matter=foreign, into=target, actor=world.other_staff)


def test_similar_titles_in_chinese_and_pinyin(world):
    parking = world.raise_matter("小区停车难")
    world.raise_matter("广场舞噪音扰民", resident=world.residents[1])
    elsewhere = world.raise_matter("小区停车难", resident=world.neighbours[0])
    found = selectors.similar_matters(community_id=world.home.pk, title="停车太难")
    assert found == [parking]
    # A homophone typed with a pinyin keyboard still finds it.
    assert selectors.similar_matters(community_id=world.home.pk, title="小区停车南") == [parking]
    assert elsewhere not in selectors.similar_matters(community_id=world.home.pk, title="小区停车难")
    assert similarity("路灯不亮", "广场舞噪音") == 0
    assert rank_similar("停", [(1, "停车", "ting che")]) == []


def test_escalation_at_the_deadline_community_street_district(world, clock):
    clock.set("2026-09-21 09:00")  # a Monday
    matter = world.raise_matter()
    answered = world.raise_matter("路灯坏了", resident=world.residents[1])
    services.matter_answer(matter=answered, actor=world.staff, answer="已修")
    assert matter.due_at == datetime(2026, 9, 28, 9, 0, tzinfo=SH)
    clock.set("2026-09-28 08:59")
    assert services.matters_escalate_due() == 0
    clock.set("2026-09-28 09:00")
    assert services.matters_escalate_due() == 1
    assert services.matters_escalate_due() == 0
    matter.refresh_from_db()
    assert matter.level == Level.STREET
    assert matter.due_at == datetime(2026, 10, 5, 9, 0, tzinfo=SH)
    clock.set("2026-10-05 09:00")
    assert services.matters_escalate_due() == 1
    clock.set("2026-10-30 09:00")
    assert services.matters_escalate_due() == 0
    matter.refresh_from_db()
    assert matter.level == Level.DISTRICT
    assert kinds(matter) == [EventKind.RAISED, EventKind.ESCALATED, EventKind.ESCALATED]
    answered.refresh_from_db()
    assert answered.level == Level.COMMUNITY
    clock.set("2026-10-30 10:00")
    services.matter_to_deliberation(matter=matter, actor=world.street_staff)
    matter.refresh_from_db()
    assert matter.answered_on_time is False
