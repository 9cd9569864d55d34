"""A resident's 协商议事 and funds rows, built for the data-rights tests: matters with a map point and
photos (real files), comments, confirmations, supports, votes, meeting participation, named pledges that
were received and posted to the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from community_college import uploads
from consultation import services as consultation
from consultation.enums import OwnerKind, ParticipantKind, VoteChoice
from consultation.models import Confirmation, Decision, MatterPhoto, Meeting, Participant, Vote
from funds import services as funds
from funds.enums import PaymentMethod, Use
from tests.factories.accounts import CollegeFactory, StaffFactory
from tests.factories.consultation import MatterCategoryFactory
from tests.factories.venues import VenueFactory


@dataclass
class Civic:
    community: object
    college: object
    staff: object
    category: object
    meeting: object
    campaign: object


def civic_world(community) -> Civic:
    college = CollegeFactory(community=community)
    staff = StaffFactory(community=community)
    now = timezone.now()
    meeting = Meeting.objects.create(
        community=community, title="议事会", venue=VenueFactory(community=community),
        starts_at=now, ends_at=now + dt.timedelta(hours=2), created_by=staff,
    )
    campaign = funds.campaign_create(
        college=college, title="买琴", purpose="琴", use=Use.EQUIPMENT, target="5000",
        deadline=timezone.localdate() + dt.timedelta(days=30), actor=staff,
    )
    return Civic(community, college, staff, MatterCategoryFactory(), meeting, campaign)


def civic_life(world: Civic, user, count: int, tag: str, others=()) -> list:
    """`count` of everything for `user`; supports and comments go on `others`' matters (and their own)."""
    matters = []
    for i in range(count):
        matter = consultation.matter_raise(
            resident=user, category=world.category, title=f"{tag} 停车难 {i}", description=f"{tag} 车位不够 {i}",
            latitude=31.2 + i / 100, longitude=121.4 + i / 100, show_name=True,
        )
        matters.append(matter)
        name = uploads.storage().save(f"matters/{matter.pk}/{tag}-{i}.jpg", ContentFile(b"jpeg"))
        thumbnail = uploads.storage().save(f"matters/{matter.pk}/{tag}-{i}-t.jpg", ContentFile(b"jpeg"))
        MatterPhoto.objects.create(
            matter=matter, name=name, thumbnail=thumbnail, content_type="image/jpeg", width=4, height=3,
            uploaded_by=user,
        )
        Participant.objects.create(
            meeting=world.meeting if i == 0 else _meeting(world, i), user=user, kind=ParticipantKind.RAISER,
            present_at=timezone.now(),
        )
        decision = Decision.objects.create(
            meeting=world.meeting, matter=matter, text=f"{tag} 划线 {i}", owner_kind=OwnerKind.UNIT,
            owner_name="物业", due_date=timezone.localdate(), needs_vote=True,
        )
        Vote.objects.create(decision=decision, voter=user, choice=VoteChoice.FOR)
        Confirmation.objects.create(matter=matter, resident=user, is_done=True, satisfaction=4, comment=f"{tag} 满意 {i}")
        pledge = funds.pledge_create(
            campaign=world.campaign, amount=f"{100 * (i + 1)}", pledger=user, public_name=f"{tag}女士",
            unit_name=f"{tag}公司",
        )
        funds.pledge_receive(pledge=pledge, actor=world.staff, method=PaymentMethod.CASH)
    for matter in [*matters, *others]:
        consultation.matter_support(matter=matter, user=user)
        consultation.comment_add(matter=matter, author=user, body=f"{tag} 同意 {matter.pk}")
    return matters


def _meeting(world: Civic, i: int) -> Meeting:
    now = timezone.now() + dt.timedelta(days=i)
    return Meeting.objects.create(
        community=world.community, title=f"议事会 {i}", venue=world.meeting.venue,
        starts_at=now, ends_at=now + dt.timedelta(hours=2), created_by=world.staff,
    )
