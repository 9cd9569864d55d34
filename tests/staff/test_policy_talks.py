"""The two-way choice of policy talks (双选): liaisons propose, communities invite, the other side answers."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.enums import Role
from accounts.models import RoleAssignment
from activities import talks
from activities.enums import PolicyTalkSide, PolicyTalkStatus
from activities.models import PolicyTalk, Session, TalkSlot
from community_college.errors import ConflictError, InvalidTransition, ScopeError
from notices import selectors as notice_selectors
from notices import texts as notice_texts
from tests.admin.helpers import admin_url, changelist_pks, messages_of
from tests.factories import (
    CategoryFactory,
    CommunityFactory,
    CourseFactory,
    DepartmentFactory,
    PolicyTalkFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_liaison(department):
    user = UserFactory(is_staff=True, name="联络员")
    RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_LIAISON, department=department)
    return user


@pytest.fixture
def department(db):
    return DepartmentFactory(name="公安分局")


@pytest.fixture
def liaison(department):
    return make_liaison(department)


@pytest.fixture
def session(db):
    return SessionFactory()


@pytest.fixture
def staff(session):
    return StaffFactory(role=Role.COMMUNITY_STAFF, community=session.course.community)


def propose(session, department, liaison, topic="防范电信网络诈骗"):
    return talks.policy_talk_propose(session=session, department=department, topic=topic, actor=liaison)


# --- services -------------------------------------------------------------------------------------------------


def test_liaison_proposes_a_talk_on_an_upcoming_session(session, department, liaison):
    talk = propose(session, department, liaison)
    assert (talk.status, talk.initiated_by, talk.proposed_by, talk.session) == (
        PolicyTalkStatus.PROPOSED,
        PolicyTalkSide.DEPARTMENT,
        liaison,
        session,
    )
    # A proposal is not yet what residents see.
    assert not hasattr(Session.objects.get(pk=session.pk), "policy_talk")


def test_liaison_cannot_propose_for_another_department(session, liaison):
    with pytest.raises(ScopeError):
        propose(session, DepartmentFactory(), liaison)
    assert PolicyTalk.objects.count() == 0


def test_proposal_needs_a_topic_and_an_upcoming_session(session, department, liaison):
    with pytest.raises(ConflictError) as no_topic:
        propose(session, department, liaison, topic="  ")
    past = SessionFactory(starts_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ConflictError) as too_late:
        propose(past, department, liaison)
    assert (no_topic.value.code, too_late.value.code) == ("topic_required", "session_not_upcoming")


def test_a_department_offers_one_open_talk_per_session(session, department, liaison):
    propose(session, department, liaison)
    with pytest.raises(ConflictError) as exc:
        propose(session, department, liaison, topic="垃圾分类")
    assert exc.value.code == "duplicate"


def test_staff_invite_a_department_to_a_session_of_their_community(session, department, staff):
    talk = talks.policy_talk_invite(session=session, department=department, topic="反诈", actor=staff)
    assert (talk.initiated_by, talk.proposed_by, talk.status) == (
        PolicyTalkSide.COMMUNITY,
        staff,
        PolicyTalkStatus.PROPOSED,
    )


def test_staff_cannot_invite_to_another_communitys_session(session, department):
    outsider = StaffFactory(role=Role.COMMUNITY_STAFF, community=CommunityFactory())
    with pytest.raises(ScopeError):
        talks.policy_talk_invite(session=session, department=department, topic="反诈", actor=outsider)


def test_community_accepts_a_departments_proposal_and_residents_see_it(session, department, liaison, staff):
    talk = propose(session, department, liaison)
    accepted = talks.policy_talk_accept(talk=talk, actor=staff, speaker="王警官")
    assert (accepted.status, accepted.answered_by, accepted.speaker) == (
        PolicyTalkStatus.CONFIRMED,
        staff,
        "王警官",
    )
    assert accepted.answered_at is not None
    assert Session.objects.get(pk=session.pk).policy_talk == accepted


def test_liaison_accepts_a_communitys_invitation(session, department, liaison, staff):
    talk = talks.policy_talk_invite(session=session, department=department, topic="反诈", actor=staff)
    assert talks.policy_talk_accept(talk=talk, actor=liaison).status == PolicyTalkStatus.CONFIRMED


def test_the_side_that_offered_cannot_answer_its_own_offer(session, department, liaison, staff):
    proposal = propose(session, department, liaison)
    invitation = talks.policy_talk_invite(
        session=SessionFactory(course=session.course), department=department, topic="反诈", actor=staff
    )
    with pytest.raises(ScopeError):
        talks.policy_talk_accept(talk=proposal, actor=liaison)
    with pytest.raises(ScopeError):
        talks.policy_talk_decline(talk=invitation, actor=staff, reason="不需要")
    # Staff of another community cannot answer either.
    outsider = StaffFactory(role=Role.COMMUNITY_STAFF, community=CommunityFactory())
    with pytest.raises(ScopeError):
        talks.policy_talk_accept(talk=proposal, actor=outsider)
    assert set(PolicyTalk.objects.values_list("status", flat=True)) == {PolicyTalkStatus.PROPOSED}


def test_only_one_talk_is_accepted_per_session(session, department, liaison, staff):
    first = propose(session, department, liaison)
    other_department = DepartmentFactory(name="城管局")
    second = propose(session, other_department, make_liaison(other_department))
    talks.policy_talk_accept(talk=first, actor=staff)
    with pytest.raises(ConflictError) as exc:
        talks.policy_talk_accept(talk=second, actor=staff)
    assert exc.value.code == "taken"
    second.refresh_from_db()
    assert second.status == PolicyTalkStatus.PROPOSED


def test_database_refuses_a_second_accepted_talk(session):
    PolicyTalkFactory(session=session, status=PolicyTalkStatus.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyTalkFactory(session=session, status=PolicyTalkStatus.CONFIRMED)


def test_decline_needs_a_reason_and_records_it(session, department, liaison, staff):
    talk = propose(session, department, liaison)
    with pytest.raises(ConflictError) as exc:
        talks.policy_talk_decline(talk=talk, actor=staff, reason=" ")
    assert exc.value.code == "reason_required"
    declined = talks.policy_talk_decline(talk=talk, actor=staff, reason="本周已有安排")
    assert (declined.status, declined.decline_reason, declined.answered_by) == (
        PolicyTalkStatus.DECLINED,
        "本周已有安排",
        staff,
    )
    with pytest.raises(InvalidTransition):
        talks.policy_talk_accept(talk=talk, actor=staff)


def test_reminder_names_the_accepted_talk_only(session, department, liaison, staff):
    talk = propose(session, department, liaison)

    def reminder_facts():
        loaded = notice_selectors.sessions_between(after=timezone.now(), until=session.starts_at).get(
            pk=session.pk
        )
        return notice_selectors.class_facts(loaded.course, loaded)

    assert reminder_facts().talk_topic == ""
    talks.policy_talk_accept(talk=talk, actor=staff)
    facts = reminder_facts()
    assert facts.talk_topic == "防范电信网络诈骗"
    with translation.override("en"):
        assert "Five minutes before class" in notice_texts.registration_confirmed(facts=facts).body


def test_course_page_shows_the_accepted_talk_not_a_proposal(client, session, department, liaison, staff):
    other = DepartmentFactory(name="城管局")
    propose(session, other, make_liaison(other), topic="垃圾分类")
    url = reverse("activities:course_detail", args=[session.course.pk])
    assert "垃圾分类" not in client.get(url).content.decode()
    talks.policy_talk_accept(talk=propose(session, department, liaison), actor=staff)
    page = client.get(url).content.decode()
    assert "防范电信网络诈骗" in page and "垃圾分类" not in page


# --- admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_login(client):
    def _login(user):
        client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login


def test_liaison_browses_upcoming_sessions_with_filters(admin_login, liaison):
    dance, taiji = CategoryFactory(name="广场舞"), CategoryFactory(name="太极拳")
    old_class = CourseFactory(category=taiji)
    wanted = SessionFactory(course=old_class)
    RegistrationFactory(course=old_class, resident=ResidentFactory(birth_year=timezone.localdate().year - 70))
    other = SessionFactory(course=CourseFactory(category=dance))
    past = SessionFactory(course=old_class, starts_at=timezone.now() - timedelta(days=3))
    client = admin_login(liaison)
    url = admin_url(TalkSlot, "changelist")
    assert {wanted.pk, other.pk} <= changelist_pks(client.get(url))
    assert past.pk not in changelist_pks(client.get(url))
    assert changelist_pks(client.get(url, {"course__category__id__exact": taiji.pk})) == {wanted.pk}
    assert changelist_pks(client.get(url, {"course__community__id__exact": other.course.community_id})) == {
        other.pk
    }
    assert changelist_pks(client.get(url, {"audience": "older"})) == {wanted.pk}


def test_liaison_proposes_from_the_session_list(admin_login, liaison, department, session):
    response = admin_login(liaison).post(
        admin_url(TalkSlot, "changelist"),
        {
            "action": "propose_talk",
            "_selected_action": [session.pk],
            "topic": "防范电信网络诈骗",
            "speaker": "李警官",
        },
        follow=True,
    )
    talk = PolicyTalk.objects.get()
    assert (talk.session_id, talk.department, talk.initiated_by, talk.speaker) == (
        session.pk,
        department,
        PolicyTalkSide.DEPARTMENT,
        "李警官",
    )
    assert messages_of(response) == ["1 talk proposed."]


def test_staff_see_only_their_communitys_sessions_and_invite(admin_login, staff, department, session):
    elsewhere = SessionFactory()
    client = admin_login(staff)
    url = admin_url(TalkSlot, "changelist")
    assert changelist_pks(client.get(url)) == {session.pk}
    client.post(
        url,
        {
            "action": "invite_department",
            "_selected_action": [session.pk, elsewhere.pk],
            "department": department.pk,
            "topic": "反诈",
        },
    )
    assert list(PolicyTalk.objects.values_list("session_id", "initiated_by")) == [
        (session.pk, PolicyTalkSide.COMMUNITY)
    ]


def test_staff_accept_and_decline_from_the_talk_list(admin_login, staff, session, department, liaison):
    first = propose(session, department, liaison)
    other = DepartmentFactory()
    second = propose(SessionFactory(course=session.course), other, make_liaison(other))
    client = admin_login(staff)
    url = admin_url(PolicyTalk, "changelist")
    assert changelist_pks(client.get(url, {"awaiting": "me"})) == {first.pk, second.pk}

    client.post(url, {"action": "accept_talks", "_selected_action": [first.pk]})
    no_reason = client.post(url, {"action": "decline_talks", "_selected_action": [second.pk]}, follow=True)
    assert "Write the reason for declining" in messages_of(no_reason)[-1]
    second.refresh_from_db()
    assert second.status == PolicyTalkStatus.PROPOSED

    client.post(url, {"action": "decline_talks", "_selected_action": [second.pk], "reason": "时间冲突"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decline_reason) == (
        PolicyTalkStatus.CONFIRMED,
        PolicyTalkStatus.DECLINED,
        "时间冲突",
    )


def test_talk_list_is_scoped_for_liaisons_and_staff(admin_login, session, department, liaison, staff):
    mine = propose(session, department, liaison)
    other = DepartmentFactory()
    elsewhere = propose(SessionFactory(), other, make_liaison(other))
    url = admin_url(PolicyTalk, "changelist")
    assert changelist_pks(admin_login(liaison).get(url)) == {mine.pk}
    assert admin_login(liaison).get(admin_url(PolicyTalk, "change", elsewhere.pk)).status_code == 404
    assert changelist_pks(admin_login(staff).get(url)) == {mine.pk}
    assert admin_login(staff).get(admin_url(PolicyTalk, "change", elsewhere.pk)).status_code == 404
    assert admin_login(UserFactory(is_staff=True)).get(url).status_code == 403


@pytest.mark.parametrize("rows", [1, 50])
def test_talk_lists_queries_do_not_grow_with_rows(
    admin_login, department, liaison, django_assert_num_queries, rows
):
    community = CommunityFactory()
    course = CourseFactory(community=community)
    for _ in range(rows):
        propose(SessionFactory(course=course, venue=None), department, liaison)
    client = admin_login(liaison)
    # 1 session, 2 user, 3 the liaison's departments, 4 scope roles, 5-6 the sidebar's Django permissions,
    # 7 departments of the department filter, 8 communities of the community filter, 9 count, 10 the page with
    # department, session, class and community joined.
    with django_assert_num_queries(10):
        response = client.get(admin_url(PolicyTalk, "changelist"))
    assert response.context["cl"].result_count == rows
    # The session list: 1 session, 2 user, 3 departments, 4 scope, 5-6 permissions, 7 interests and
    # 8 communities of their filters, 9 count, 10 the page with interest, community and venue joined,
    # 11 the liaison's departments for the action form.
    with django_assert_num_queries(11):
        response = client.get(admin_url(TalkSlot, "changelist"))
    assert response.context["cl"].result_count == rows


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_of_two_talks_accept_one(on_postgres):
    import threading

    from django.db import connection

    session = SessionFactory()
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=session.course.community)
    offers = []
    for name in ("公安分局", "城管局", "文旅委", "教委"):
        department = DepartmentFactory(name=name)
        offers.append(propose(session, department, make_liaison(department)))
    barrier = threading.Barrier(len(offers))
    outcomes = []

    def accept(talk):
        try:
            barrier.wait()
            talks.policy_talk_accept(talk=talk, actor=staff)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(talk,)) for talk in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    assert PolicyTalk.objects.filter(session=session, status=PolicyTalkStatus.CONFIRMED).count() == 1


def test_liaison_admin_shows_only_the_talk_pages(admin_login, liaison):
    response = admin_login(liaison).get(reverse("admin:index"))
    models = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    # Policy talks, and the community matters referred to the liaison's department (协商议事) with their
    # decisions: nothing of residents, orders or classes.
    assert models == {"PolicyTalk", "TalkSlot", "Matter", "Decision"}
