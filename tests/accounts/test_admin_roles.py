"""The admin speaks the product's languages and each demo staff role lands on what it can do.

The demo data is loaded (seed_demo) and its moderator, identity reviewer and compliance officer log in to the real
admin: each sees its work panels and models in Chinese (English on the switch), never "you have no permission".
"""

from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group as RoleGroup
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from accounts import roles
from accounts.models import IdentitySubmission, SubmissionStatus
from groupchat.demo.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from tests.factories import UserFactory, make_group

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
# The apps whose names this check holds to; the apps above groups join when their models carry verbose names.
TRANSLATED_APPS = ["core", "accounts", "groups", "compliance"]
SAME_IN_BOTH = {"IP", "ID", "English"}  # names Chinese writes the same way
NO_PERMISSION = ("你没有查看或编辑任何东西的权限", "have permission to view or edit anything")

# What each demo staff role must find on the admin home: its panels, and pages it may open.
LANDING = {
    "moderator": (["groups", "messages", "network-log"],
                  ["/admin/groups/group/", "/admin/groups/message/", "/admin/core/logentry/"]),
    "senior moderator": (["moderation.held", "moderation.switches", "moderation.appeals", "moderation.rules"],
                         ["/admin/moderation/emergencyswitch/", "/admin/moderation/appeal/?status__exact=pending",
                          "/admin/moderation/heldmessage/?status__exact=held"]),
    "identity reviewer": (["identity-pending"], ["/admin/accounts/identitysubmission/?status__exact=pending"]),
    "compliance officer": (["network-log", "identity-reveals", "agreements", "agreement-acceptances", "credit-ledger",
                            "filing-records"],
                           ["/admin/core/logentry/", "/admin/accounts/identityreveal/", "/admin/accounts/agreement/",
                            "/admin/accounts/agreementacceptance/", "/admin/accounts/creditevent/",
                            "/admin/compliance/filingrecord/"]),
}


def _demo_staff(role: str, language: str = "zh-hans"):
    """A staff user in ``role`` exactly as seed_demo makes one."""
    user = UserFactory(is_staff=True, nickname=role, language=language)
    user.groups.add(RoleGroup.objects.get(name=role))
    return user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_demo_staff_role_is_covered():
    assert {role for _, _, role, _ in PEOPLE if role} == set(LANDING)


@pytest.fixture
def demo():
    """The demo data of ``make run`` (seed_demo), staff users included."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.clause("G5a")
@pytest.mark.parametrize("role", sorted(LANDING))
def test_each_demo_role_lands_on_its_work(role, demo):
    panels, pages = LANDING[role]
    username = next(name for name, _, staff_role, _ in PEOPLE if staff_role == role)
    client = Client()
    # The real admin login form, with the demo's printed password.
    login = client.post("/admin/login/?next=/admin/", {"username": username, "password": DEMO_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/admin/"
    home = client.get("/admin/")
    html = home.content.decode()
    assert home.status_code == 200
    assert not any(text in html for text in NO_PERMISSION)
    for key in panels:
        assert f'data-panel="{key}"' in html, key
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert "groupchat 管理后台" in html and "Django" not in re.sub(r"<[^>]+>", "", html)


@pytest.mark.clause("G5a")
def test_moderator_sees_groups_members_messages_and_the_log_not_identities(owner, alice, member_of):
    group = make_group(owner, name="跑步群")
    member_of(group, alice)
    client = _client(_demo_staff("moderator"))
    page = client.get(f"/admin/groups/group/{group.pk}/change/").content.decode()
    assert str(alice) in page and "群成员" in page  # the member list of the group page
    assert client.get("/admin/accounts/identitysubmission/").status_code == 403
    assert client.get("/admin/accounts/identityreveal/").status_code == 403


@pytest.mark.clause("G6a")
def test_identity_reviewer_panel_counts_pending_submissions(alice, bob):
    for user in (alice, bob):
        IdentitySubmission.objects.create(user=user, kind="personal", level=2, status=SubmissionStatus.PENDING,
                                          legal_name_masked="*三", id_number_masked="1****************X")
    html = _client(_demo_staff("identity reviewer")).get("/admin/").content.decode()
    item = re.search(r'<li data-panel="identity-pending".*?</li>', html, re.S).group(0)
    assert re.search(r'class="badge"[^>]*>2<', item)


def test_admin_home_in_english_on_the_switch():
    html = _client(_demo_staff("compliance officer", language="en")).get("/admin/").content.decode()
    assert "groupchat administration" in html
    assert "Agreement acceptances" in html and "Network log" in html
    chinese = _client(_demo_staff("compliance officer")).get("/admin/").content.decode()
    assert "协议同意记录" in chinese and "账号与实名" in chinese and "ACCOUNTS" not in chinese


@pytest.mark.parametrize("label", TRANSLATED_APPS)
def test_every_model_field_and_choice_has_a_chinese_name(label):
    config = apps.get_app_config(label)
    missing = []
    with translation.override("zh-hans"):
        if not CJK.search(str(config.verbose_name)):
            missing.append(f"app {label}")
        for model in config.get_models():
            for text in (model._meta.verbose_name, model._meta.verbose_name_plural):
                if not CJK.search(str(text)):
                    missing.append(f"{model.__name__}: {text}")
            for field in model._meta.get_fields():
                if not field.concrete or (field.auto_created and not field.primary_key):
                    continue
                if field.name != "id" and not CJK.search(str(field.verbose_name)) \
                        and str(field.verbose_name) not in SAME_IN_BOTH:
                    missing.append(f"{model.__name__}.{field.name}: {field.verbose_name}")
                for _, choice in field.flatchoices or ():
                    if not CJK.search(str(choice)) and str(choice) not in SAME_IN_BOTH:
                        missing.append(f"{model.__name__}.{field.name} choice {choice}")
    assert missing == []


@pytest.mark.parametrize("label", TRANSLATED_APPS)
def test_every_admin_action_has_a_chinese_name(label, rf):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    missing = []
    with translation.override("zh-hans"):
        for model, model_admin in django_admin.site._registry.items():
            if model._meta.app_label != label:
                continue
            request = rf.get("/admin/")
            request.user = superuser
            for name, (_, _, description) in model_admin.get_actions(request).items():
                if not CJK.search(str(description)):
                    missing.append(f"{model.__name__}.{name}: {description}")
    assert missing == []


def test_apps_above_accounts_add_role_permissions_through_the_registry(monkeypatch):
    monkeypatch.setattr(roles, "_ROLES", {k: list(v) for k, v in roles._ROLES.items()})
    roles.role_permissions_add(roles.MODERATOR, ["groups.view_ban"])
    roles.role_permissions_add("auditor", ["groups.view_groupauditevent"])
    made = roles.roles_ensure()
    assert made[roles.MODERATOR].permissions.filter(codename="view_ban").exists()
    assert made["auditor"].permissions.filter(codename="view_groupauditevent").exists()
    # Registered by groups' ready(): a moderator may view groups, members and messages.
    codenames = set(made[roles.MODERATOR].permissions.values_list("codename", flat=True))
    assert {"view_group", "view_membership", "view_message", "view_logentry"} <= codenames


def test_chat_groups_and_staff_role_groups_have_different_names():
    from groups.models import Group as ChatGroup

    with translation.override("zh-hans"):
        assert str(ChatGroup._meta.verbose_name_plural) == "群组"
        assert str(RoleGroup._meta.verbose_name_plural) == "角色组"
        assert str(apps.get_model("axes", "AccessAttempt")._meta.verbose_name_plural) == "登录尝试"


def test_the_identity_review_page_is_in_chinese(alice, submit_personal):
    submission = submit_personal(alice)
    page = _client(_demo_staff("identity reviewer")).get(
        f"/admin/accounts/identitysubmission/{submission.pk}/change/").content.decode()
    for text in ("页面只显示脱敏信息", "驳回理由（用户可见）", "查看完整信息的理由（将被记录）", 'value="通过"'):
        assert text in page
    assert "Screens show masked data only" not in page
