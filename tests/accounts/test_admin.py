"""The accounts admin pages render, and ledgers/logs are read-only there."""

import pytest
from django.test import Client

from accounts import services
from accounts.models import CreditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["user", "identitysubmission", "identityreveal", "identityconsent", "agreement",
                                   "agreementacceptance", "creditevent", "gradepermission"])
def test_changelists_render(superuser_client, model):
    assert superuser_client.get(f"/admin/accounts/{model}/").status_code == 200


def test_user_pages_and_manual_credit(superuser_client, alice):
    assert superuser_client.get(f"/admin/accounts/user/{alice.pk}/change/").status_code == 200
    assert superuser_client.get("/admin/accounts/user/add/").status_code == 200
    assert superuser_client.get(f"/admin/accounts/user/{alice.pk}/credit/").status_code == 200
    response = superuser_client.post(f"/admin/accounts/user/{alice.pk}/credit/",
                                     {"delta": "-3", "reason_code": "manual", "reason": "人工核查"})
    assert response.status_code == 302
    event = CreditEvent.objects.get(user=alice)
    assert event.delta == -3 and event.source == "manual" and event.operator is not None


@pytest.mark.clause("G6b")
def test_reveal_log_is_read_only_in_admin(superuser_client, alice, reviewer, submit_personal, origin):
    submission = submit_personal(alice)
    services.identity_reveal(actor=reviewer, submission_id=submission.pk, reason="核对证件照片", origin=origin)
    assert superuser_client.get("/admin/accounts/identityreveal/add/").status_code == 403
