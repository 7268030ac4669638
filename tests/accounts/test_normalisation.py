"""ID and phone numbers typed with full-width or other non-ASCII digits (issue 14 item 1, G6a / G6b / G11c).

Python's ``\\d`` matches every Unicode decimal digit, so ``１１０１…`` used to pass validation unchanged and hash to a
different blind index than its ASCII form: the one-identity-per-account limit (and the identity blacklist keyed to the
same index) was bypassed by changing how the digits are typed.
"""

import pytest

from accounts import services
from accounts.idnumbers import (
    id_number_hmac,
    id_number_normalise,
    id_number_validate,
    phone_normalise,
    phone_validate,
)
from accounts.models import IdentitySubmission, User
from accounts.providers import MemorySmsSender
from groupchat.core.errors import ApplicationError
from tests.factories import UserFactory

from .conftest import NUMBER

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_normalise_maps_every_digit_form_to_ascii():
    assert id_number_normalise(NUMBER.translate(FULL_WIDTH)) == NUMBER
    assert id_number_normalise(NUMBER.translate(ARABIC_INDIC)) == NUMBER
    assert id_number_normalise("　11010519491231002x ") == NUMBER  # ideographic space, lower-case x
    assert phone_normalise("１３８１２３４５６７８") == "13812345678"


@pytest.mark.clause("G6a")
@pytest.mark.parametrize("table", [FULL_WIDTH, ARABIC_INDIC])
def test_non_ascii_digits_validate_to_the_ascii_number(table):
    assert id_number_validate(NUMBER.translate(table)) == NUMBER


@pytest.mark.clause("G6a")
def test_a_character_that_is_no_decimal_digit_is_still_refused():
    # Chinese numerals are not decimal digits (NFKC keeps them): the number is refused, never silently rewritten.
    with pytest.raises(ApplicationError) as err:
        id_number_validate("一一0105194912310０2X")
    assert err.value.code == "id_number_format"


@pytest.mark.clause("G11c")
def test_the_keyed_hash_is_the_same_for_every_spelling():
    assert id_number_hmac(NUMBER.translate(FULL_WIDTH)) == id_number_hmac(NUMBER) == id_number_hmac(
        " 11010519491231002x")


@pytest.mark.django_db
@pytest.mark.clause("G6a")
def test_full_width_spelling_of_a_used_number_is_refused_as_duplicate(alice, bob, submit_personal):
    submit_personal(alice)
    with pytest.raises(ApplicationError) as err:
        submit_personal(bob, number=NUMBER.translate(FULL_WIDTH))
    assert err.value.code == "identity_taken"
    assert IdentitySubmission.objects.filter(user=bob).count() == 0
    # The stored index is that of the ASCII form (so moderation's blacklist, keyed the same way, matches it).
    assert IdentitySubmission.objects.get(user=alice).id_hmac == id_number_hmac(NUMBER)


@pytest.mark.clause("G6a")
def test_phone_validate_returns_ascii():
    assert phone_validate("１３８ １２３４ ５６７８") == "13812345678"
    with pytest.raises(ApplicationError):
        phone_validate("1381234567８9")


@pytest.mark.django_db
@pytest.mark.clause("G6a")
def test_full_width_phone_of_a_registered_number_is_taken(origin):
    services.user_register(username="first", password="correct-horse-battery-9", phone="13812345678", origin=origin)
    with pytest.raises(ApplicationError) as err:
        services.user_register(username="second", password="correct-horse-battery-9", phone="１３８１２３４５６７８",
                               origin=origin)
    assert err.value.code == "phone_taken"
    assert not User.objects.filter(username="second").exists()


@pytest.mark.django_db
@pytest.mark.clause("G6a")
def test_phone_verification_with_full_width_digits_stores_ascii(settings, origin):
    settings.ACCOUNTS = {"SMS_SENDER": "accounts.providers.MemorySmsSender"}
    MemorySmsSender.outbox.clear()
    taken = UserFactory(phone="13912345678")
    user = UserFactory(verification_level=0)
    with pytest.raises(ApplicationError) as err:
        services.phone_code_send(user=user, phone="１３９１２３４５６７８", origin=origin)
    assert err.value.code == "phone_taken"
    services.phone_code_send(user=user, phone="１３７１２３４５６７８", origin=origin)
    code = MemorySmsSender.outbox[-1]["text"].split("验证码 ")[1][:6]
    assert MemorySmsSender.outbox[-1]["phone"] == "13712345678"
    services.phone_verify(user=user, phone="１３７１２３４５６７８", code=code.translate(FULL_WIDTH), origin=origin)
    user.refresh_from_db()
    assert user.phone == "13712345678" and user.verification_level == 1
    assert taken.phone == "13912345678"
