from datetime import time

from activities.recommend import Candidate, Taste, rank

HOME = (29.6500, 106.5500)
NEAR = (29.6530, 106.5520)  # ~0.4 km
FAR = (29.6900, 106.5900)  # ~5.8 km


def _c(key, category, *, at=NEAR, field=None, weekday=0, start=time(9), end=time(10, 30), popularity=0.0):
    return Candidate(key, category, field, at[0], at[1], weekday, start, end, popularity)


def _taste(**kw):
    base = {"interest_ids": frozenset({1}), "field_ids": frozenset({10}), "latitude": HOME[0], "longitude": HOME[1]}
    base.update(kw)
    return Taste(**base)


def test_rank_own_interest_beats_other_interest_at_same_place():
    ranked = rank([_c("other", 2), _c("mine", 1)], _taste())
    assert [r.candidate.key for r in ranked] == ["mine", "other"]
    assert ranked[0].reason == "interest"


def test_rank_near_beats_far_for_the_same_interest():
    ranked = rank([_c("far", 1, at=FAR), _c("near", 1, at=NEAR)], _taste())
    assert [r.candidate.key for r in ranked] == ["near", "far"]
    assert ranked[0].distance_km < 1.2 < ranked[1].distance_km


def test_rank_same_field_beats_unrelated():
    ranked = rank([_c("unrelated", 3), _c("sibling", 2, field=10)], _taste())
    assert [(r.candidate.key, r.reason) for r in ranked] == [("sibling", "field"), ("unrelated", "distance")]


def test_rank_free_time_decides_between_equal_classes():
    free = ((2, time(8), time(12)),)
    ranked = rank([_c("monday", 3, weekday=0), _c("wednesday", 3, weekday=2)], _taste(interest_ids=frozenset(), free=free))
    assert [r.candidate.key for r in ranked] == ["wednesday", "monday"]


def test_rank_past_high_ratings_lift_a_category():
    ranked = rank([_c("meh", 4), _c("loved", 5)], _taste(interest_ids=frozenset(), liked={5: 5.0, 4: 2.0}))
    assert ranked[0].candidate.key == "loved"
    assert ranked[0].reason == "experience"


def test_rank_without_consent_ignores_the_profile():
    taste = _taste()
    ranked = rank([_c("mine", 1, popularity=0.1), _c("popular", 2, popularity=0.9)], taste, personalised=False)
    assert [(r.candidate.key, r.reason, r.distance_km) for r in ranked] == [("popular", "popular", None), ("mine", "popular", None)]
