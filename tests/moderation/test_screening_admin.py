"""The moderators' admin for screening and switches: panels with live counts, rules through the services (recorded),
import and export, a held message's page with its context and buttons, the switch page for the role only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group as Role
from django.core.files.uploadedfile import SimpleUploadedFile

from groups.services.messages import SendRequest, message_send_many
from moderation.models_screening import EmergencySwitch, HeldMessage, RuleChange, ScreeningRule, SwitchToggle
from moderation.roles_measures import MODERATOR, SENIOR_MODERATOR
from tests.factories import ORIGIN, UserFactory

from . import screening_fixtures

_fresh_screening_state = screening_fixtures._fresh_screening_state
rule = screening_fixtures.rule

pytestmark = pytest.mark.django_db


def _staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Role.objects.get(name=role))
    return user


@pytest.fixture
def moderator_client(client):
    client.force_login(_staff(MODERATOR))
    return client


@pytest.fixture
def senior_client(client):
    user = _staff(SENIOR_MODERATOR)
    client.force_login(user)
    client.user = user
    return client


def _held(rule, group, alice, member_of, n=1):
    rule("网上赌场", "PLT-GAMBLING", "hold")
    member_of(group, alice)
    return [message_send_many(requests=[SendRequest(alice, group.code, f"网上赌场{i}", f"h{i}", ORIGIN)])[0]
            for i in range(n)]


@pytest.mark.clause("G10")
def test_moderator_home_shows_the_queues_with_counts(moderator_client, rule, group, alice, member_of):
    _held(rule, group, alice, member_of, n=2)
    page = moderator_client.get("/admin/").content.decode()
    held = re.search(r'data-panel="moderation.held".*?class="badge"[^>]*>(\d+)<', page, re.S)
    assert held and held.group(1) == "2"
    assert 'data-panel="moderation.flagged"' in page and 'data-panel="moderation.blocked"' in page
    assert 'data-panel="moderation.switches"' not in page  # the switches are the senior role's


def test_rule_added_in_the_admin_is_recorded_with_its_author(senior_client):
    response = senior_client.post("/admin/moderation/screeningrule/add/", {
        "keyword": "网上赌场", "category": "PLT-GAMBLING", "action": "hold", "pattern": "", "enabled": "on",
        "note": "", "reason": "新型赌博广告"})
    assert response.status_code == 302, response.content.decode()[:500]
    created = ScreeningRule.objects.get()
    assert created.key == "网上赌场"
    change = RuleChange.objects.get(rule_id_ref=created.pk)
    assert (change.change, change.actor_id) == ("create", senior_client.user.pk)
    bad = senior_client.post("/admin/moderation/screeningrule/add/", {
        "keyword": "!!!", "category": "PLT-GAMBLING", "action": "hold"})
    assert bad.status_code == 200 and "letter or digit" in bad.content.decode()
    assert ScreeningRule.objects.count() == 1


def test_import_and_export_in_the_admin(senior_client):
    upload = SimpleUploadedFile("rules.txt", "网上赌场\n在线赌博\n".encode())
    response = senior_client.post("/admin/moderation/screeningrule/import/", {
        "file": upload, "default_category": "PLT-GAMBLING", "default_action": "hold", "reason": "清单"})
    assert response.status_code == 302
    assert ScreeningRule.objects.count() == 2
    bad = SimpleUploadedFile("rules.csv", "keyword,category\n好词,NOPE\n".encode())
    response = senior_client.post("/admin/moderation/screeningrule/import/", {"file": bad, "default_action": "block"})
    assert response.status_code == 200 and "line 2" in response.content.decode()
    assert ScreeningRule.objects.count() == 2
    exported = senior_client.get("/admin/moderation/screeningrule/export/")
    assert exported["Content-Type"].startswith("text/csv")
    assert "网上赌场,PLT-GAMBLING,hold" in exported.content.decode()


@pytest.mark.clause("G10")
def test_held_page_shows_context_and_releases(moderator_client, rule, group, alice, member_of):
    (held,) = _held(rule, group, alice, member_of)
    url = f"/admin/moderation/heldmessage/{held.held_id}/change/"
    page = moderator_client.get(url).content.decode()
    assert "网上赌场0" in page and 'name="_release"' in page and 'name="_remove"' in page
    assert f"/admin/moderation/measure/issue/?user={alice.pk}" in page  # a measure is one click away
    response = moderator_client.post(url, {"_release": "1"})
    assert response.status_code == 302
    released = HeldMessage.objects.get()
    assert released.status == "released"
    listing = moderator_client.get("/admin/moderation/heldmessage/").content.decode()
    assert f"/admin/moderation/measure/issue/?message={released.message_id_ref}" in listing


@pytest.mark.clause("G5a")
def test_switch_page_toggles_for_the_role_only(senior_client, client):
    page = senior_client.get("/admin/moderation/emergencyswitch/").content.decode()
    assert "/admin/moderation/emergencyswitch/toggle/" in page
    response = senior_client.post("/admin/moderation/emergencyswitch/toggle/",
                                  {"kind": "create", "scope": "*", "on": "1", "reason": "演练"})
    assert response.status_code == 302
    assert EmergencySwitch.objects.get(kind="create").on
    assert SwitchToggle.objects.get().actor_id == senior_client.user.pk
    client.force_login(_staff(MODERATOR))
    response = client.post("/admin/moderation/emergencyswitch/toggle/",
                           {"kind": "create", "scope": "*", "on": "0", "reason": "试试"})
    assert response.status_code in (200, 403)
    assert EmergencySwitch.objects.get(kind="create").on and SwitchToggle.objects.count() == 1
