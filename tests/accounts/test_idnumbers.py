import datetime

import pytest

from accounts.idnumbers import id_number_mask, id_number_validate, phone_mask, uscc_validate
from groupchat.core.errors import ApplicationError

TODAY = datetime.date(2026, 11, 28)

VALID = [
    ("11010519491231002X", "11010519491231002X"),  # GB 11643 example, female, 1949-12-31
    ("440524188001010014", "440524188001010014"),  # GB 11643 example, born 1880
    ("360426199101010071", "360426199101010071"),
    ("44011320141005001x", "44011320141005001X"),  # lower-case x normalised
    ("110102199101010078", "110102199101010078"),
    ("  110102199101010078 ", "110102199101010078"),  # trimmed
]

INVALID = [
    ("36042619910102009X", "id_number_checksum"),
    ("340524198001010013", "id_number_checksum"),
    ("360426199113010079", "id_number_date"),  # month 13, checksum OK
    ("990426199112010074", "id_number_province"),  # province 99, checksum OK
    ("T60426199101010078", "id_number_format"),
    ("110105194902300020", "id_number_date"),  # 30 February, checksum OK
    ("110105209912310029", "id_number_future"),  # checksum OK, future date
    ("110105491231002", "id_number_legacy"),  # 15-digit first generation
    ("1101051949123100", "id_number_format"),
    ("", "id_number_format"),
]


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("number", "normalised"), VALID)
def test_valid_id_numbers(number, normalised):
    assert id_number_validate(number, today=TODAY) == normalised


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("number", "code"), INVALID)
def test_invalid_id_numbers_each_have_their_code_and_both_languages(number, code):
    with pytest.raises(ApplicationError) as err:
        id_number_validate(number, today=TODAY)
    assert err.value.code == code
    zh, en = err.value.detail("zh-hans"), err.value.detail("en")
    assert zh and en and zh != en


def test_check_order_follows_regulation():
    # Bad province AND bad checksum: the province is reported first (REGULATION §4 order).
    with pytest.raises(ApplicationError) as err:
        id_number_validate("990426199112010075", today=TODAY)
    assert err.value.code == "id_number_province"


@pytest.mark.clause("G6b")
def test_masks():
    assert id_number_mask("11010519491231002X") == "1****************X"
    assert phone_mask("13812345678") == "138****5678"


@pytest.mark.clause("G6a")
@pytest.mark.parametrize("code", ["91110000600037341L", "91 1100 0060 0037 341L", "91310000MA1FL8TQ36"])
def test_uscc_valid(code):
    assert len(uscc_validate(code)) == 18


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("code", "error"), [
    ("91110000600037341M", "uscc_checksum"),
    ("9111000060003734", "uscc_format"),
    ("91110000600037341I", "uscc_format"),
])
def test_uscc_invalid(code, error):
    with pytest.raises(ApplicationError) as err:
        uscc_validate(code)
    assert err.value.code == error
