import datetime

import pytest

from accounts.idnumbers import id_number_mask, id_number_validate, phone_mask, uscc_validate
from groupchat.core.errors import ApplicationError

TODAY = datetime.date(2026, 11, 28)

VALID = [
    ("11010519491231002X", "11010519491231002X"),  # GB 11643 example, female, 1949-12-31
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
    # GB 11643's own example, born 1880: issue 14 item 4 refuses birth dates before 1900 (no living applicant).
    ("440524188001010014", "id_number_too_old"),
    ("110105189912310015", "id_number_too_old"),  # 1899-12-31, checksum OK
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


@pytest.mark.clause("G6a")
def test_first_and_last_accepted_birth_dates():
    # 1900-01-01 is the first birth date accepted; today is the last.
    assert id_number_validate("11010519000101001X", today=TODAY) == "11010519000101001X"
    assert id_number_validate("110105202611280012", today=TODAY) == "110105202611280012"
    with pytest.raises(ApplicationError) as err:
        id_number_validate("110105202611290018", today=TODAY)
    assert err.value.code == "id_number_future"


def _uscc(first17: str) -> str:
    """A code with its check character computed by GB 32100's MOD 31 algorithm (python-stdnum's arithmetic)."""
    from stdnum.cn import uscc

    return first17 + uscc.calc_check_digit(first17)


# GB 32100-2015 position 1 = registration authority, position 2 = organisation type. Digits and letters both occur:
# N (agriculture: village collectives), Y (others), A (military establishment office) are letters.
AUTHORITY_CLASSES = [
    ("11", "机构编制: 机关"), ("12", "机构编制: 事业单位"), ("13", "机构编制: 群众团体"), ("19", "机构编制: 其他"),
    ("21", "外交: 外国常驻新闻机构"), ("29", "外交: 其他"),
    ("31", "司法行政: 律师执业机构"), ("32", "司法行政: 公证处"), ("39", "司法行政: 其他"),
    ("41", "外交: 外国常驻新闻机构"), ("49", "外交: 其他"),
    ("51", "民政: 社会团体"), ("52", "民政: 民办非企业单位"), ("53", "民政: 基金会"), ("59", "民政: 其他"),
    ("61", "旅游: 外国旅游部门常驻代表机构"), ("69", "旅游: 其他"),
    ("71", "宗教: 宗教活动场所"), ("72", "宗教: 宗教院校"), ("79", "宗教: 其他"),
    ("81", "工会: 基层工会"), ("89", "工会: 其他"),
    ("91", "工商: 企业"), ("92", "工商: 个体工商户"), ("93", "工商: 农民专业合作社"),
    ("A1", "中央军委改革和编制办公室: 军队事业单位"), ("A9", "中央军委改革和编制办公室: 其他"),
    ("N1", "农业: 组级集体经济组织"), ("N2", "农业: 村级集体经济组织"), ("N3", "农业: 乡镇级集体经济组织"),
    ("N9", "农业: 其他"),
    ("Y1", "其他"),
]


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("prefix", "why"), AUTHORITY_CLASSES, ids=[p for p, _ in AUTHORITY_CLASSES])
def test_uscc_every_registration_authority_class(prefix, why):
    code = _uscc(prefix + "110000MA1FL8TQ3")
    assert uscc_validate(code) == code
    assert uscc_validate(code.lower()) == code  # typed in lower case


@pytest.mark.clause("G6a")
@pytest.mark.parametrize(("code", "error"), [
    ("N2110000MA1FL8TQ39", "uscc_checksum"),  # letter authority, wrong check character (should be 8)
    ("N211A000MA1FL8TQ38", "uscc_format"),  # positions 3-8 are the administrative division: digits only
    ("O1110000MA1FL8TQ3P", "uscc_format"),  # O is not in the code alphabet
])
def test_uscc_letter_authority_still_checked(code, error):
    with pytest.raises(ApplicationError) as err:
        uscc_validate(code)
    assert err.value.code == error
