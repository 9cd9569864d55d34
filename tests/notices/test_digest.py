"""The weekly digest: the recommender's ranking with attendance, personalised and plain digests, the
batches of the fan-out, and a query count that does not grow with the residents of a batch."""

from datetime import time, timedelta

import pytest

from activities.models import Course
from activities.recommend import Candidate, Taste
from interests.models import ResidentAvailability
from notices import services, tasks
from notices.digest import CandidateIndex, Item, choose, rank_with_attendance
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import (
    AttendanceFactory,
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    InterestGroupFactory,
    RegistrationFactory,
    SessionFactory,
    SessionRatingFactory,
    StreetFactory,
    VenueFactory,
    WeeklySlotFactory,
)

HOME = (29.65, 106.55)


# --- The ranking on constructed data (pure) ---------------------------------------------------------------


def _c(key, category, field=None, at=HOME, weekday=0, popularity=0.0):
    return Candidate(key, category, field, at[0], at[1], weekday, time(9), time(10, 30), popularity)


def test_attended_category_ranks_like_an_interest_and_says_so():
    taste = Taste(interest_ids=frozenset({1}), latitude=HOME[0], longitude=HOME[1], liked={5: 5.0})
    candidates = [_c("unrelated", 3), _c("attended", 2), _c("declared", 1), _c("loved", 5)]
    ranked = rank_with_attendance(candidates, taste, attended=frozenset({2, 5}))
    assert [(r.candidate.key, r.reason) for r in ranked] == [
        ("loved", "experience"),
        ("attended", "attended"),
        ("declared", "interest"),
        ("unrelated", "distance"),
    ]


def test_attended_field_lifts_a_sibling_interest():
    taste = Taste(latitude=HOME[0], longitude=HOME[1])
    ranked = rank_with_attendance(
        [_c("unrelated", 3, field=30), _c("sibling", 4, field=20)], taste, attended_fields=frozenset({20})
    )
    assert [(r.candidate.key, r.reason) for r in ranked] == [("sibling", "field"), ("unrelated", "distance")]


def test_candidate_index_finds_what_is_near_and_nothing_far():
    near, far = (29.655, 106.553), (29.80, 106.70)  # ~0.6 km, ~22 km
    index = CandidateIndex([Item(_c("near", 1, at=near), 1), Item(_c("far", 1, at=far), 2)])
    assert [i.candidate.key for i in index.near(*HOME, 3.0)] == ["near"]
    assert [i.candidate.key for i in index.in_street(2)] == ["far"]


def test_choose_keeps_only_items_with_a_reason_from_the_profile():
    index = CandidateIndex([Item(_c("mine", 1), 1), Item(_c("just-near", 9), 1)])
    taste = Taste(interest_ids=frozenset({1}), latitude=HOME[0], longitude=HOME[1])
    chosen = choose(index, taste=taste, personalised=True, street_id=1, radius_km=3, limit=5)
    assert [r.candidate.key for r in chosen] == ["mine"]


def test_plain_digest_is_the_same_for_everyone_in_the_street():
    index = CandidateIndex(
        [Item(_c("a", 1, popularity=0.2), 1), Item(_c("b", 9, popularity=0.9), 1), Item(_c("c", 1), 2)]
    )
    lover = Taste(interest_ids=frozenset({1}), latitude=HOME[0], longitude=HOME[1])
    for taste in (lover, Taste()):
        chosen = choose(index, taste=taste, personalised=False, street_id=1, radius_km=3, limit=5)
        assert [(r.candidate.key, r.reason, r.distance_km) for r in chosen] == [
            ("b", "popular", None),
            ("a", "popular", None),
        ]


# --- The digest on the database ---------------------------------------------------------------------------


@pytest.fixture
def town(db, clock, place):
    """New this week near home: tai chi (Mon 9:00), calligraphy (Tue), painting (Wed), cooking (Tue, popular),
    a tai chi group; not in the digest: a tai chi class far away, and one two weeks old."""
    arts = CategoryFactory(name="文化艺术", name_en="Arts")
    callig = CategoryFactory(name="书法", name_en="Calligraphy", parent=arts)
    paint = CategoryFactory(name="国画", name_en="Chinese painting", parent=arts)
    life = CategoryFactory(name="生活技能", name_en="Life skills")
    cooking = CategoryFactory(name="烹饪", name_en="Cooking", parent=life)
    tue = WeeklySlotFactory(code="tue-1400", weekday=1, start=time(14), end=time(15, 30))
    wed = WeeklySlotFactory(code="wed-1400", weekday=2, start=time(14), end=time(15, 30))
    far_community = CommunityFactory(street=StreetFactory(), latitude=29.80, longitude=106.70)
    home = place.community
    venue = VenueFactory(community=home, name="幸福社区活动室")

    def course(title, category, slot, community=home, taken=0):
        c = CourseFactory(
            title=title,
            category=category,
            community=community,
            slot=slot,
            capacity=10,
            venue=venue if community == home else VenueFactory(community=community),
        )
        Course.objects.filter(pk=c.pk).update(confirmed_count=taken)
        SessionFactory(course=c, venue=c.venue, starts_at=clock.now + timedelta(days=6, hours=-1))
        return c

    town = {
        "taiji": course("太极拳初级班", place.taiji, place.slot),
        "callig": course("书法入门", callig, tue),
        "paint": course("国画山水", paint, wed),
        "cooking": course("家常菜", cooking, tue, taken=8),
        "far": course("远处太极班", place.taiji, place.slot, community=far_community),
        "old": course("老太极班", place.taiji, place.slot),
        "group": InterestGroupFactory(
            name="晨练太极队", category=place.taiji, community=home, created=clock.now
        ),
        "callig_cat": callig,
        "paint_cat": paint,
    }
    Course.objects.filter(pk=town["old"].pk).update(created=clock.now - timedelta(days=14))
    return town


def _lover(make_resident, place, town, clock, **kwargs):
    """Likes tai chi, free Monday mornings, went to calligraphy, went to painting and gave it five stars.
    (Those past classes are a month old: not new, so not in the digest.)"""
    resident = make_resident(**kwargs)
    resident.profile.interests.add(place.taiji)
    ResidentAvailability.objects.create(profile=resident.profile, weekday=0, start=time(8), end=time(12))
    old_callig = SessionFactory(
        course=CourseFactory(category=town["callig_cat"], community=place.community),
        starts_at=clock.now - timedelta(days=30),
    )
    AttendanceFactory(session=old_callig, resident=resident)
    old_paint = SessionFactory(
        course=CourseFactory(category=town["paint_cat"], community=place.community),
        starts_at=clock.now - timedelta(days=40),
    )
    AttendanceFactory(session=old_paint, resident=resident)
    SessionRatingFactory(session=old_paint, resident=resident, stars=5)
    return resident


def _run(clock, ids):
    return services.digest_batch(
        object_key=services.digest_key(clock.now),
        since=clock.now - timedelta(days=7),
        first_id=min(ids),
        last_id=max(ids),
    )


def test_personalised_digest_ranks_and_explains_each_item(clock, place, town, make_resident):
    resident = _lover(make_resident, place, town, clock, language="en")
    assert _run(clock, [resident.pk]) == 1
    notice = Notice.objects.get(recipient=resident, purpose=Purpose.DIGEST)
    assert notice.object_key == "digest:2026-W11"
    assert notice.title == "4 new classes and groups for you this week"
    items = notice.body.split("\n\n")[0].splitlines()
    assert items == [
        "• 太极拳初级班 — March 16 (Monday) 9 a.m. · 幸福社区活动室",
        "  Matches your interest: Tai chi; 0.0 km from home",
        "• 国画山水 — March 16 (Monday) 9 a.m. · 幸福社区活动室",
        "  You rated Chinese painting classes highly; 0.0 km from home",
        "• Interest group “晨练太极队” (Tai chi), " + place.community.name,
        "  Matches your interest: Tai chi; 0.0 km from home",
        "• 书法入门 — March 16 (Monday) 9 a.m. · 幸福社区活动室",
        "  You have been to Calligraphy classes before; 0.0 km from home",
    ]
    assert "turn personalised suggestions off" in notice.body
    assert notice.sms_text.startswith("4 new classes and groups near you this week, such as 太极拳初级班.")


def test_refusing_personalisation_gets_the_streets_plain_digest(clock, place, town, make_resident):
    resident = make_resident(personal=False, language="en")
    resident.profile.interests.add(place.taiji)  # known, but not to be used
    assert _run(clock, [resident.pk]) == 1
    notice = Notice.objects.get(recipient=resident)
    assert notice.title == "5 new classes and groups in your street this week"
    heads = [line for line in notice.body.splitlines() if line.startswith("• ")]
    # Most places taken first; the far class (another street) and last fortnight's class are not there.
    assert heads[0].startswith("• 家常菜")
    assert "  New in your street; 8 of 10 places taken" in notice.body
    assert "远处太极班" not in notice.body and "老太极班" not in notice.body
    assert "km from home" not in notice.body
    assert "You chose not to receive personalised suggestions" in notice.body


def test_nothing_to_suggest_means_no_digest(clock, place, town, make_resident):
    swimmer = make_resident()
    swimmer.profile.interests.add(CategoryFactory(name="游泳"))
    assert _run(clock, [swimmer.pk]) == 0
    assert Notice.objects.count() == 0


def test_classes_already_joined_are_left_out(clock, place, town, make_resident):
    resident = make_resident(language="en")
    resident.profile.interests.add(place.taiji)
    RegistrationFactory(course=town["taiji"], resident=resident)
    _run(clock, [resident.pk])
    assert "太极拳初级班" not in Notice.objects.get(recipient=resident).body


def test_digest_is_rendered_in_each_residents_language(clock, place, town, make_resident):
    zh, en = make_resident(language="zh-hans"), make_resident(language="en")
    for resident in (zh, en):
        resident.profile.interests.add(place.taiji)
    _run(clock, [zh.pk, en.pk])
    zh_body, en_body = (Notice.objects.get(recipient=r).body for r in (zh, en))
    # Django's own zh_Hans formats: month and day, weekday name, 24-hour time.
    assert all(part in zh_body for part in ("03月16日", "星期一", "09:00", "太极拳"))
    assert "March 16 (Monday) 9 a.m." in en_body and "Tai chi" in en_body
    assert Notice.objects.get(recipient=zh).language == "zh-hans"


@pytest.mark.parametrize("size", [1, 3])
def test_digest_batch_queries_do_not_grow_with_residents(
    clock, place, town, make_resident, django_assert_num_queries, size
):
    residents = [_lover(make_resident, place, town, clock) for _ in range(size)]
    residents += [make_resident(personal=False) for _ in range(size)]
    ids = [r.pk for r in residents]
    # candidates: courses, groups · residents: profiles, interests, free times, ratings, attendance,
    # registrations, memberships · digests already written · community matters followed (consultation) ·
    # notices_create: savepoint, insert notices, read their ids, insert deliveries, read the due ones,
    # release savepoint
    with django_assert_num_queries(17):
        assert _run(clock, ids) == 2 * size


def test_fanout_splits_residents_into_batches_and_sends_each_one_digest(
    clock, settings, place, town, make_resident, committed, sms_outbox
):
    settings.NOTICES_DIGEST_BATCH = 2
    residents = [make_resident(personal=False) for _ in range(5)]
    with committed():
        assert services.digest_fanout() == 3
    assert Notice.objects.filter(purpose=Purpose.DIGEST).count() == 5
    assert sorted(m.phone for m in sms_outbox) == sorted(r.phone for r in residents)
    with committed():
        tasks.digest_fanout.delay()  # beat fired twice
    assert (Notice.objects.filter(purpose=Purpose.DIGEST).count(), len(sms_outbox)) == (5, 5)
