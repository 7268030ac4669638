import re

import pytest

from accounts import services
from accounts.models import User
from accounts.providers import MemorySmsSender
from groupchat.core.errors import ApplicationError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings):
    settings.ACCOUNTS = {"SMS_SENDER": "accounts.providers.MemorySmsSender"}
    MemorySmsSender.outbox.clear()
    return MemorySmsSender.outbox


@pytest.mark.clause("G6a")
def test_phone_code_flow_reaches_l1(outbox, origin):
    user = UserFactory(verification_level=0)
    services.phone_code_send(user=user, phone="13812345678", origin=origin)
    code = re.search(r"\d{6}", outbox[-1]["text"]).group()
    with pytest.raises(ApplicationError) as err:
        services.phone_verify(user=user, phone="13812345678", code="000000" if code != "000000" else "111111")
    assert err.value.code == "phone_code_invalid"
    services.phone_verify(user=user, phone="13812345678", code=code, origin=origin)
    user = User.objects.get(pk=user.pk)
    assert user.verification_level == 1 and user.phone == "13812345678" and user.phone_verified_at
    with pytest.raises(ApplicationError):  # single use
        services.phone_verify(user=user, phone="13812345678", code=code)


def test_phone_code_throttled_and_attempts_capped(outbox, origin):
    user = UserFactory(verification_level=0)
    services.phone_code_send(user=user, phone="13912345678", origin=origin)
    with pytest.raises(ApplicationError) as err:
        services.phone_code_send(user=user, phone="13912345678", origin=origin)
    assert err.value.code == "phone_code_throttled"
    code = re.search(r"\d{6}", outbox[-1]["text"]).group()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ApplicationError):
            services.phone_verify(user=user, phone="13912345678", code=wrong)
    with pytest.raises(ApplicationError) as err:
        services.phone_verify(user=user, phone="13912345678", code=code)
    assert err.value.code == "phone_code_invalid"


def test_file_sender_writes_to_var(settings, tmp_path, origin):
    settings.VAR_DIR = tmp_path
    settings.ACCOUNTS = {"SMS_SENDER": "accounts.providers.FileSmsSender"}
    services.phone_code_send(user=UserFactory(verification_level=0), phone="13712345678", origin=origin)
    assert "13712345678" in (tmp_path / "sms-outbox.jsonl").read_text()
