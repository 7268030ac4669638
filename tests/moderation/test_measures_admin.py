"""The moderators' admin: roles from the data migration, issuing from a message in two clicks plus lists, panels,
appeals decided by action, and django-auditlog as a second trail."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib.auth.models import Group as Role

from moderation.models_measures import Appeal, AppealStatus, Measure, MeasureKind, Restriction
from moderation.roles_measures import MODERATOR, SENIOR_MODERATOR
from tests.factories import UserFactory, make_group

from .measures_helpers import issue, moderator, send, senior

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions():
    mod = Role.objects.get(name=MODERATOR).permissions.values_list("codename", flat=True)
    sen = Role.objects.get(name=SENIOR_MODERATOR).permissions.values_list("codename", flat=True)
    assert {"issue_measure", "view_measure", "view_message"} <= set(mod) and "decide_appeal" not in mod
    assert "decide_appeal" in sen


@pytest.mark.clause("G11b")
def test_issue_from_a_message_in_two_clicks_then_reason_and_basis_from_lists(client, owner, alice, member_of):
    group = make_group(owner)
    member_of(group, alice)
    for i in range(3):
        send(alice, group, body=f"刷单返利 {i}", client_id=f"c{i}")
    message = group.messages.get(seq=2)
    mod = moderator()
    client.force_login(mod)
    # Click 1: tick the message; click 2: the action (with Go).
    response = client.post("/admin/groups/message/", {"action": "issue_measure_message",
                                                      "_selected_action": [message.pk]})
    assert response.status_code == 302 and f"message={message.pk}" in response["Location"]
    form = client.get(response["Location"])
    assert form.status_code == 200
    html = form.content.decode()
    assert "刷单返利 1" in html and 'name="reason_code"' in html and 'name="basis"' in html
    done = client.post(response["Location"], {"kind": MeasureKind.MUTE_PLATFORM, "reason_code": "PLT-FRAUD",
                                              "basis": "11.2", "duration": "1d", "reason": "刷单", "report": "on"})
    assert done.status_code == 302
    measure = Measure.objects.get()
    assert measure.target_user == alice and measure.operator == mod and measure.source == f"message:{message.pk}"
    assert [m["seq"] for m in measure.evidence["context"]] == [1, 2, 3]
    assert AuditEntry.objects.get_for_object(measure).exists()


def test_only_moderators_issue(client, alice):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(f"/admin/moderation/measure/issue/?user={alice.pk}").status_code in (302, 403)
    assert not Measure.objects.exists()


@pytest.mark.clause("G11a")
def test_panels_count_rectification_and_appeals(client, owner):
    group = make_group(owner)
    mod = moderator()
    measure = issue(MeasureKind.WARNING, operator=mod, target_group=group, days=3)
    from moderation.appeals import appeal_file

    appeal_file(measure=measure, user=owner, text="我们已经整改完毕，请复核。")
    decider = senior()
    client.force_login(decider)
    home = client.get("/admin/").content.decode()
    assert "Groups under rectification" in home or "整改中的群组" in home
    assert "Appeals to decide" in home or "待处理申诉" in home
    listed = client.get("/admin/moderation/restriction/?kind__exact=warning")
    assert listed.status_code == 200 and group.code in listed.content.decode()
    client.post("/admin/moderation/appeal/", {"action": "uphold", "_selected_action": [Appeal.objects.get().pk]})
    assert Appeal.objects.get().status == AppealStatus.UPHELD
    assert not Restriction.objects.filter(measure=measure).exists()


@pytest.mark.clause("G11a")
def test_issue_from_a_group_and_from_a_user(client, owner, alice):
    group = make_group(owner)
    client.force_login(moderator())
    to_group = client.post("/admin/groups/group/", {"action": "issue_measure_group", "_selected_action": [group.pk]})
    assert to_group.status_code == 302 and f"group={group.code}" in to_group["Location"]
    done = client.post(to_group["Location"], {"kind": MeasureKind.SUSPEND_POSTING, "reason_code": "PLT-GAMBLING",
                                              "basis": "11.1", "duration": "3d"})
    assert done.status_code == 302
    to_user = client.post("/admin/accounts/user/", {"action": "issue_measure_user", "_selected_action": [alice.pk]})
    assert to_user.status_code == 302 and f"user={alice.pk}" in to_user["Location"]
    refused = client.post(to_user["Location"], {"kind": MeasureKind.MUTE_PLATFORM, "reason_code": "PLT-SPAM",
                                                "basis": "11.2", "duration": "permanent"})
    assert refused.status_code == 200 and Measure.objects.count() == 1  # a mute needs an end: the form says so
    assert Measure.objects.get().target_group == group


@pytest.mark.clause("G11c")
def test_blacklist_terms_on_the_form(client, alice):
    client.force_login(moderator())
    url = f"/admin/moderation/measure/issue/?user={alice.pk}"
    form = {"kind": MeasureKind.BLACKLIST, "reason_code": "PLT-FRAUD", "basis": "11.3"}
    assert client.post(url, {**form, "duration": "3d"}).status_code == 200  # not a blacklist term
    assert not Measure.objects.exists()
    assert client.post(url, {**form, "duration": "180d"}).status_code == 302
    entry = Measure.objects.get(target_user=alice)
    assert 179 <= (entry.ends_at - entry.starts_at).days <= 180
