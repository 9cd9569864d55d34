"""The staff admin: scoped rows, read-only rules, actions through the services, liaisons, the .xlsx export."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from consultation import services
from consultation.enums import Channel, MatterStatus
from consultation.models import Matter, MatterEvent

CHANGELIST = "admin:consultation_matter_changelist"


def test_changelist_shows_my_scope_with_masked_phones(client, world):
    mine = world.raise_matter("本社区")
    theirs = world.raise_matter("别的社区", resident=world.neighbours[0])
    client.force_login(world.staff)
    body = client.get(reverse(CHANGELIST)).content.decode()
    assert mine.title in body and theirs.title not in body
    assert world.residents[0].phone not in body and world.residents[0].phone[:3] + "****" in body
    assert client.get(reverse("admin:consultation_matter_change", args=[theirs.pk])).status_code == 404
    client.force_login(world.street_staff)
    assert mine.title in client.get(reverse(CHANGELIST)).content.decode()


def test_answer_action_runs_the_service_and_leaves_other_rows(client, world):
    target = world.raise_matter("要回复")
    other = world.raise_matter("不动", resident=world.residents[1])
    client.force_login(world.staff)
    client.post(
        reverse(CHANGELIST),
        {"action": "answer_matters", "_selected_action": [target.pk], "text": "已增设车位", "index": 0},
    )
    target.refresh_from_db()
    other.refresh_from_db()
    assert (target.status, target.answer) == (MatterStatus.CLOSED, "已增设车位")
    assert other.status == MatterStatus.RAISED
    assert MatterEvent.objects.filter(matter=target, kind="answered", actor=world.staff).count() == 1


def test_district_office_reads_but_its_actions_are_refused(client, world):
    target = world.raise_matter()
    client.force_login(world.district)
    assert target.title in client.get(reverse(CHANGELIST)).content.decode()
    client.post(reverse(CHANGELIST), {"action": "deliberate_matters", "_selected_action": [target.pk], "index": 0})
    target.refresh_from_db()
    assert target.status == MatterStatus.RAISED


def test_liaison_sees_only_referred_matters_and_answers(client, world):
    referred = world.raise_matter("井盖")
    unreferred = world.raise_matter("噪音", resident=world.residents[1])
    services.matter_refer(matter=referred, actor=world.staff, department=world.department)
    client.force_login(world.liaison)
    body = client.get(reverse(CHANGELIST)).content.decode()
    assert referred.title in body and unreferred.title not in body
    client.post(
        reverse(CHANGELIST),
        {"action": "department_answer", "_selected_action": [referred.pk], "text": "已更换井盖", "index": 0},
    )
    referred.refresh_from_db()
    assert referred.status == MatterStatus.CLOSED
    client.force_login(world.other_liaison)
    assert referred.title not in client.get(reverse(CHANGELIST)).content.decode()


def test_phone_entry_through_the_add_form(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:consultation_matter_add"),
        {
            "raised_by": world.residents[2].pk,
            "category": world.category.pk,
            "title": "电话反映：路灯",
            "description": "老人打电话说路灯坏了",
            "channel": Channel.PHONE,
        },
    )
    assert response.status_code == 302
    matter = Matter.objects.get(title="电话反映：路灯")
    assert (matter.raised_by, matter.entered_by, matter.channel) == (world.residents[2], world.staff, Channel.PHONE)
    assert matter.events.get().kind == "raised"


def test_export_is_formula_safe(client, world):
    world.raise_matter("=HYPERLINK(\"http://evil\")", description="+1+1")
    client.force_login(world.staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "export_xlsx", "_selected_action": list(Matter.objects.values_list("pk", flat=True)), "index": 0},
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == "'=HYPERLINK(\"http://evil\")" and rows[1][4] == "'+1+1"
    assert rows[1][6] == world.residents[0].phone[:3] + "****" + world.residents[0].phone[-4:]


def test_decision_changelist_and_done_action(client, world, clock):
    from datetime import date, datetime

    from consultation.enums import OwnerKind

    from .conftest import SHANGHAI

    matter = world.raise_matter()
    services.matter_to_deliberation(matter=matter, actor=world.staff)
    meeting = services.meeting_schedule(
        community=world.home, venue=world.venue, starts_at=datetime(2026, 9, 22, 19, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 9, 22, 20, tzinfo=SHANGHAI), title="议事会", actor=world.staff, matters=[matter],
    )
    decision = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="划线", owner_kind=OwnerKind.DEPARTMENT,
        owner_department=world.department, due_date=date(2026, 10, 1),
    )
    url = reverse("admin:consultation_decision_changelist")
    client.force_login(world.other_staff)
    assert "划线" not in client.get(url).content.decode()
    client.force_login(world.liaison)
    response = client.get(url)
    assert response.status_code == 200 and f'value="{decision.pk}"' in response.content.decode()
    client.post(url, {"action": "mark_done", "_selected_action": [decision.pk], "index": 0})
    matter.refresh_from_db()
    assert matter.status == MatterStatus.CONFIRMING
