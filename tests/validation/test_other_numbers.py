"""Foreign permanent resident IDs, unified social credit codes and mobile numbers."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.errors import InvalidChecksum, InvalidComponent, InvalidDocument, InvalidFormat, InvalidLength
from agent.domain.problems import Severity
from agent.validation import credit_code, foreign_permanent_id, mrz, phone, resident_id


def fpid_2023(province: str, country: str, born: str, sequence: str) -> str:
    body = "9" + province + country + born + sequence
    return body + resident_id.calc_check_digit(body)


def test_2023_permanent_residence_id() -> None:
    # The example of a public implementation (xiahaimoyu credentialkit): Beijing, Kazakhstan (398), 1990-12-31.
    assert foreign_permanent_id.validate("911398199012310021") == "911398199012310021"
    info = foreign_permanent_id.parse("911398199012310021")
    assert (info.nationality, info.nationality_numeric, info.birth_date) == ("KAZ", "398", date(1990, 12, 31))
    assert foreign_permanent_id.warnings("911398199012310021") == []
    usa = fpid_2023("31", "840", "19800704", "015")
    assert foreign_permanent_id.parse(usa).nationality == "USA"


@pytest.mark.parametrize("number, error, code", [
    ("911398199012310022", InvalidChecksum, "foreign_permanent_id.checksum"),
    (fpid_2023("99", "398", "19901231", "002"), InvalidComponent, "foreign_permanent_id.province"),
    (fpid_2023("11", "398", "19900231", "002"), InvalidComponent, "foreign_permanent_id.birth_date"),
    ("11010519491231002X", InvalidFormat, "foreign_permanent_id.prefix"),
    ("9113981990123100A1", InvalidFormat, "foreign_permanent_id.format"),
    ("KAZ11009012310", InvalidLength, "foreign_permanent_id.length"),
    ("KA1110090123105", InvalidFormat, "foreign_permanent_id.format"),
])
def test_permanent_residence_id_errors(number: str, error: type[InvalidDocument], code: str) -> None:
    with pytest.raises(error) as caught:
        foreign_permanent_id.validate(number)
    assert caught.value.problem.code == code


def test_unknown_numeric_nationality_only_warns() -> None:
    number = fpid_2023("11", "999", "19901231", "002")
    assert foreign_permanent_id.validate(number) == number
    [warning] = foreign_permanent_id.warnings(number)
    assert warning.code == "foreign_permanent_id.nationality_unknown"
    assert foreign_permanent_id.parse(number).nationality is None


def test_2017_form_checks_format_and_warns_on_unpublished_rules() -> None:
    assert foreign_permanent_id.validate("kaz110090123105") == "KAZ110090123105"
    assert foreign_permanent_id.parse("KAZ110090123105").nationality == "KAZ"
    assert foreign_permanent_id.warnings("KAZ110090123105") == []
    assert mrz.check_digit("KAZ11009012310") == "5"
    # A wrong last digit, or an impossible date, is accepted with a warning: the layout is not published.
    assert foreign_permanent_id.validate("KAZ110090123107") == "KAZ110090123107"
    assert [w.code for w in foreign_permanent_id.warnings("KAZ110090123107")] == [
        "foreign_permanent_id.checksum_unconfirmed"]
    codes = [w.code for w in foreign_permanent_id.warnings("KAZ110090133105")]
    assert "foreign_permanent_id.birth_date_unconfirmed" in codes
    assert all(w.severity is Severity.WARNING for w in foreign_permanent_id.warnings("KAZ110090133105"))


# Valid codes found published online, from python-stdnum's tests (tests/test_cn_uscc.doctest).
PUBLISHED_CREDIT_CODES = """
121200004013590816 91110000600037341L 91110000710926094P 91120224064012553U 911522010783710635
91152201078371135X 9115220107837757XE 9115220107837941X1 91310000631696382C 91310115MA1K3BTP2B
9131012056010553X5 91340600MA2PBM9HXD 91340603MA2UJXXCXF 91420684MA4927PJ7B 9144030071526726XG
91620105L015101280 91620105MA73NBBLXE 92340602MA2PBMEM24 92340603MA2PBMYMX1 92340621MA2PBKRXXG
""".split()


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_valid(code: str) -> None:
    assert credit_code.validate(code) == code
    assert credit_code.warnings(code) == []


def test_credit_code_compaction_and_check_character() -> None:
    assert credit_code.validate("9111 0000 6000 3734 1l") == "91110000600037341L"
    assert credit_code.calc_check_character("91110000600037341") == "L"
    assert credit_code.calc_org_code_check("60003734") == "1"


@pytest.mark.parametrize("code, error, problem_code", [
    ("12345", InvalidLength, "credit_code.length"),
    ("9111000060003IOZSV", InvalidFormat, "credit_code.format"),
    ("91A10000600037341L", InvalidFormat, "credit_code.region"),
    ("91110000600037341N", InvalidChecksum, "credit_code.checksum"),
])
def test_credit_code_errors(code: str, error: type[InvalidDocument], problem_code: str) -> None:
    with pytest.raises(error) as caught:
        credit_code.validate(code)
    assert caught.value.problem.code == problem_code


def with_check(body: str) -> str:
    return body + credit_code.calc_check_character(body)


def test_unknown_registration_authority_is_an_error() -> None:
    code = with_check("B1110000600037341")
    with pytest.raises(InvalidComponent) as caught:
        credit_code.validate(code)
    assert caught.value.problem.code == "credit_code.authority"


def test_embedded_organisation_code_has_its_own_check_character() -> None:
    code = with_check("91110000600037342")  # whole-code check right, GB 11714 check wrong
    with pytest.raises(InvalidChecksum) as caught:
        credit_code.validate(code)
    assert caught.value.problem.code == "credit_code.org_code_checksum"


def test_unlisted_type_and_office_only_warn() -> None:
    code = with_check("97990000600037341")  # market regulation, type 7 unlisted; office 990000 unknown
    assert credit_code.validate(code) == code
    assert [w.code for w in credit_code.warnings(code)] == ["credit_code.org_type_unknown",
                                                           "credit_code.region_unknown"]
    national = with_check("91100000600037341")
    assert credit_code.warnings(national) == []


@pytest.mark.parametrize("typed", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "8613812345678",
                                   "(+86)138-1234-5678", "１３８１２３４５６７８"])
def test_mobile_numbers_compact_to_eleven_digits(typed: str) -> None:
    assert phone.validate(typed) == "13812345678"
    assert phone.mask(typed) == "138****5678"
    assert phone.format(typed) == "138 1234 5678"


@pytest.mark.parametrize("typed, error, code", [
    ("1381234567", InvalidLength, "phone.length"),
    ("138123456789", InvalidLength, "phone.length"),
    ("12812345678", InvalidFormat, "phone.prefix"),
    ("01012345678", InvalidFormat, "phone.prefix"),
    ("138-1234-567a", InvalidFormat, "phone.format"),
])
def test_mobile_number_errors(typed: str, error: type[InvalidDocument], code: str) -> None:
    with pytest.raises(error) as caught:
        phone.validate(typed)
    assert caught.value.problem.code == code
