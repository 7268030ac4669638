"""The blacklist (G11c): groups, users and identities, restricted on every path the law lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts
from groupchat.core.errors import ApplicationError
from groups import selectors, services
from groups.models import Group, Message
from moderation.measures import measure_issue
from moderation.models_measures import MeasureKind, Restriction
from tests.factories import ORIGIN, UserFactory, make_group

from .measures_helpers import moderator, refused, send

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"
FULL_WIDTH = "１１０１０５１９４９１２３１００２Ｘ"


@pytest.fixture
def mod():
    return moderator()


def blacklist(mod, *, days: int | None = 30, **target):
    until = timezone.now() + timedelta(days=days) if days else None
    return measure_issue(kind=MeasureKind.BLACKLIST, operator=mod, reason_code="PLT-FRAUD", until=until,
                         evidence={"why": "fraud ring"}, origin=ORIGIN, **target)


def verify(user, number=NUMBER):
    consent = accounts.consent_give(user=user, origin=ORIGIN)
    return accounts.identity_submit_personal(user=user, legal_name="王小明", id_number=number, consent=consent,
                                             origin=ORIGIN)


@pytest.mark.clause("G11c")
def test_blacklisted_user_cannot_send_join_create_or_invite(owner, alice, bob, member_of, mod, api):
    group = make_group(owner)
    member_of(group, alice)
    other = make_group(owner, name="开放的群")
    mine = make_group(alice, name="我的群")
    measure = blacklist(mod, target_user=alice, days=7)
    assert measure.basis_article == 11 and measure.basis_paragraph == 3
    refused(alice, group, "blacklisted")  # sending
    response = api(alice).post(f"/api/v1/groups/{group.code}/messages/", {"body": "hi", "client_id": "x"},
                               format="json")
    assert response.status_code == 403 and response.json()["code"] == "blacklisted"
    with pytest.raises(ApplicationError) as err:  # joining
        services.group_join(user=alice, group=other, origin=ORIGIN)
    assert err.value.code == "blacklisted"
    with pytest.raises(ApplicationError) as err:  # creating
        make_group(alice, name="又一个群")
    assert err.value.code == "blacklisted"
    with pytest.raises(ApplicationError) as err:  # inviting others
        services.invitation_create(actor=alice, group=mine, invitee=bob, origin=ORIGIN)
    assert err.value.code == "blacklisted"
    with pytest.raises(ApplicationError) as err:  # being invited
        services.invitation_create(actor=owner, group=other, invitee=alice, origin=ORIGIN)
    assert err.value.code == "blacklisted"
    assert not Message.objects.filter(sender=alice).exists()


@pytest.mark.clause("G11c")
def test_blacklisted_group_is_not_found_joined_invited_or_posted_in(owner, alice, bob, member_of, mod):
    group = make_group(owner, name="黑名单测试群")
    member_of(group, alice)
    assert selectors.group_search(query="黑名单测试") == [group]
    blacklist(mod, target_group=group, days=None)  # permanent
    assert Group.objects.get(pk=group.pk).blacklisted_until is not None
    assert selectors.group_search(query="黑名单测试") == []
    assert selectors.group_search(query=group.code) == []
    group = Group.objects.get(pk=group.pk)
    for call in (lambda: services.group_join(user=bob, group=group, origin=ORIGIN),
                 lambda: services.invitation_create(actor=owner, group=group, invitee=bob, origin=ORIGIN)):
        with pytest.raises(ApplicationError) as err:
            call()
        assert err.value.code == "group_blacklisted"
    error = refused(alice, group, "group_blacklisted")
    assert error.as_dict("en")["until"] is None  # permanent


@pytest.mark.clause("G11c")
def test_listed_identity_is_refused_at_verification_in_any_digit_form(alice, mod):
    verify(alice)  # pending review: the number is on file
    blacklist(mod, target_user=alice, days=180)
    assert Restriction.objects.filter(kind=MeasureKind.BLACKLIST).exclude(identity="").count() == 1
    newcomer = UserFactory()
    with pytest.raises(ApplicationError) as err:
        verify(newcomer, FULL_WIDTH)
    assert err.value.code == "identity_blacklisted"
    with pytest.raises(ApplicationError):
        verify(newcomer, NUMBER.lower())


@pytest.mark.clause("G11c")
def test_identity_entry_on_its_own(mod):
    from accounts.idnumbers import id_number_hmac

    blacklist(mod, target_identity=id_number_hmac(NUMBER), days=None)
    with pytest.raises(ApplicationError) as err:
        verify(UserFactory(), FULL_WIDTH)
    assert err.value.code == "identity_blacklisted"
    with pytest.raises(ApplicationError) as err:  # the identity hash is only for the blacklist
        measure_issue(kind=MeasureKind.MUTE_PLATFORM, operator=mod, reason_code="PLT-SPAM", target_identity="x",
                      until=timezone.now() + timedelta(days=1), origin=ORIGIN)
    assert err.value.code == "measure_kind_invalid"


@pytest.mark.clause("G11c")
def test_an_entry_past_its_end_restricts_nothing(owner, alice, member_of, mod):
    group = make_group(owner)
    member_of(group, alice)
    measure = blacklist(mod, target_user=alice, days=7)
    refused(alice, group, "blacklisted", client_id="a")
    Restriction.objects.filter(measure=measure).update(until=timezone.now() - timedelta(seconds=1))
    send(alice, group, client_id="b")


@pytest.mark.clause("G11c")
def test_restrictions_over_the_http_api(owner, alice, bob, mod, api):
    open_group = make_group(owner, name="开放群")
    mine = make_group(alice, name="爱丽丝的群")
    blacklist(mod, target_user=alice, days=30)
    client = api(alice)
    checks = [
        client.post("/api/v1/groups/", {"name": "新群", "join_mode": "open", "acknowledge_duties": True},
                    format="json"),
        client.post(f"/api/v1/groups/{open_group.code}/join/", {}, format="json"),
        client.post(f"/api/v1/groups/{mine.code}/invitations/", {"user_id": bob.pk}, format="json"),
    ]
    for response in checks:
        assert response.status_code == 403 and response.json()["code"] == "blacklisted", response.json()
    listed = make_group(owner, name="黑名单群二")
    assert listed.code in str(api(bob).get("/api/v1/groups/search/", {"q": "黑名单群二"}).json())
    blacklist(mod, target_group=listed, days=7)
    response = api(bob).post(f"/api/v1/groups/{listed.code}/join/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "group_blacklisted"
    found = api(bob).get("/api/v1/groups/search/", {"q": "黑名单群二"}).json()
    assert listed.code not in str(found)
