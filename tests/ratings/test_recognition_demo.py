"""The demo's recognition stage: a closed district round with winners on the wall, and a street round in
its public notice in which the demo resident can still vote."""

from __future__ import annotations

import pytest

from accounts.models import User
from demo.seed import seed_demo
from ratings.enums import RoundStatus
from ratings.models import RecognitionRound, Vote
from ratings.recognition import selectors, services


@pytest.mark.django_db
def test_the_demo_has_a_wall_and_a_round_to_vote_in():
    seed_demo(scale="tiny")
    closed = RecognitionRound.objects.get(status=RoundStatus.CLOSED)
    wall = list(selectors.wall())
    assert wall and {c.round_id for c in wall} == {closed.pk}
    assert all(c.story and c.decision_reason for c in wall)
    open_round = RecognitionRound.objects.get(status=RoundStatus.NOTICE)
    resident = User.objects.select_related("profile__community").get(phone="13800000001")
    assert services.voting_open(open_round) and services.lives_in_area(resident, open_round)
    assert not Vote.objects.filter(round=open_round, voter=resident).exists()
    candidate = open_round.candidates.first()
    services.vote_cast(candidate=candidate, voter=resident)
    assert Vote.objects.filter(round=open_round, voter=resident).count() == 1
