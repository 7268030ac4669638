from __future__ import annotations

import pytest

from accounts import services
from accounts.models import Agreement, AgreementKind
from accounts.roles import COMPLIANCE_OFFICER, IDENTITY_REVIEWER
from tests.factories import UserFactory

NAME = "王小明"
NUMBER = "11010519491231002X"


@pytest.fixture
def reviewer(db):
    user = UserFactory(is_staff=True, nickname="审核员")
    user.groups.add(services.roles_ensure()[IDENTITY_REVIEWER])
    return user


@pytest.fixture
def officer(db):
    user = UserFactory(is_staff=True, nickname="合规官")
    user.groups.add(services.roles_ensure()[COMPLIANCE_OFFICER])
    return user


@pytest.fixture
def submit_personal(origin):
    def submit(user, name=NAME, number=NUMBER):
        consent = services.consent_give(user=user, origin=origin)
        return services.identity_submit_personal(user=user, legal_name=name, id_number=number, consent=consent,
                                                 origin=origin)

    return submit


@pytest.fixture
def publish_material():
    """Publish a new material version of the service agreement (as an operator would in the admin)."""

    def publish(version="2099.1"):
        agreement = Agreement.objects.create(kind=AgreementKind.SERVICE, version=version, title_zh="新协议",
                                             title_en="New terms", body_zh="新条款", body_en="New clauses",
                                             material=True)
        return services.agreement_publish(agreement=agreement)

    return publish


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
