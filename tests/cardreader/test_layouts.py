"""The four 256-byte text layouts. Texts here are built field by field from the byte lengths the
reader documentation gives, written out again (not taken from the parser's own tables)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from agent.cardreader import errors
from agent.cardreader.card import JSON_KEYS, CardLayout, IdentityCard
from agent.cardreader.layouts import encode_card_text, parse_card_text
from agent.cardreader.samples import SAMPLE_CARDS, sample_text
from agent.domain import DocType, Sex
from agent.validation import resident_id
from agent.validation.documents import validate_document


def field(text: str, length: int, pad: str = " ") -> bytes:
    raw = text.encode("utf-16-le")
    assert len(raw) <= length
    return raw + pad.encode("utf-16-le") * ((length - len(raw)) // 2)


def resident_text(number: str, *, name: str = "韩梅梅", sex: str = "2", ethnicity: str = "01",
                  born: str = "19900307", until: str = "20400307", reserved_pad: str = " ") -> bytes:
    return b"".join([
        field(name, 30), field(sex, 2), field(ethnicity, 4), field(born, 16), field("北京市朝阳区示例路1号", 70),
        field(number, 36), field("北京市公安局朝阳分局", 30), field("20200307", 16), field(until, 16),
        field("", 36, reserved_pad),
    ])


RESIDENT_NUMBER = "110105199003070025"


def hmt_text(number: str) -> bytes:
    return b"".join([
        field("陈大文", 30), field("1", 2), field("", 4), field("19850412", 16),
        field("广东省深圳市福田区示例路2号", 70),
        field(number, 36), field("深圳市公安局", 30), field("20230501", 16), field("20280501", 16),
        field("H00000001", 18), field("01", 4), field("", 6), field("J", 2), field("", 6),
    ])


def permit_number(prefix: str) -> str:
    body = prefix + "19850412001"
    return body + resident_id.calc_check_digit(body)


def foreign_2017_text(chinese_name: str = "") -> bytes:
    return b"".join([
        field("DOE, JANE", 120), field("2", 2), field("GBR310085061525", 30), field("GBR", 6), field(chinese_name, 30),
        field("20180601", 16), field("20280601", 16), field("19850615", 16), field("01", 4), field("3100", 8),
        field("I", 2), field("", 6),
    ])


def foreign_2023_text(english: str, issuer: str = "") -> bytes:
    padded = english.ljust(46)
    return b"".join([
        field("马丁", 30), field("1", 2), field("00", 4), field("19880920", 16), field(padded[:35], 70),
        field("931250198809200032", 36), field(issuer, 30), field("20231201", 16), field("20331201", 16),
        field(padded[35:], 22), field("FRA", 6), field("Y", 2), field("", 6),
    ])


def test_hand_built_texts_are_256_bytes() -> None:
    for text in (resident_text(RESIDENT_NUMBER), hmt_text(permit_number("810000")), foreign_2017_text(),
                 foreign_2023_text("A B")):
        assert len(text) == 256


def test_a_resident_id_card() -> None:
    card = parse_card_text(resident_text(RESIDENT_NUMBER))
    assert card.as_dict() == {
        "doc_type": "resident_id", "doc_number": RESIDENT_NUMBER, "name": "韩梅梅", "name_en": None, "sex": "F",
        "ethnicity": "01", "nationality": "CHN", "birth_date": "1990-03-07", "address": "北京市朝阳区示例路1号",
        "issuer": "北京市公安局朝阳分局", "valid_from": "2020-03-07", "valid_until": "2040-03-07",
    }
    assert card.layout is CardLayout.RESIDENT_ID and card.doc_type is DocType.RESIDENT_ID
    assert card.warnings == ()


def test_zero_bytes_in_the_reserved_area_are_a_resident_id_too() -> None:
    assert parse_card_text(resident_text(RESIDENT_NUMBER, reserved_pad="\x00")).layout is CardLayout.RESIDENT_ID


def test_long_term_validity_has_no_end() -> None:
    card = parse_card_text(resident_text(RESIDENT_NUMBER, until="长期"))
    assert card.valid_until is None and card.as_dict()["valid_until"] is None
    assert not card.expired and not card.expired_on(date(2999, 1, 1))


@pytest.mark.parametrize(("prefix", "nationality"), [("810000", "HKG"), ("820000", "MAC"), ("830000", "TWN")])
def test_a_residence_permit_takes_its_nationality_from_the_prefix(prefix: str, nationality: str) -> None:
    card = parse_card_text(hmt_text(permit_number(prefix)))
    assert card.doc_type is DocType.HMT_RESIDENCE_PERMIT
    assert (card.nationality, card.ethnicity, card.name, card.sex) == (nationality, None, "陈大文", Sex.MALE)
    assert (card.issuer, card.valid_until) == ("深圳市公安局", date(2028, 5, 1))


def test_a_2017_foreigners_card_without_a_chinese_name_is_named_in_english() -> None:
    card = parse_card_text(foreign_2017_text())
    assert card.as_dict() == {
        "doc_type": "foreign_permanent_id", "doc_number": "GBR310085061525", "name": "DOE, JANE",
        "name_en": "DOE, JANE", "sex": "F", "ethnicity": None, "nationality": "GBR", "birth_date": "1985-06-15",
        "address": None, "issuer": "3100", "valid_from": "2018-06-01", "valid_until": "2028-06-01",
    }
    assert card.layout is CardLayout.FOREIGN_PERMANENT_2017
    assert parse_card_text(foreign_2017_text("简·杜")).name == "简·杜"


def test_a_2023_foreigners_english_name_runs_on_into_its_second_field() -> None:
    english = "DUPONT-LEFEBVRE, JEAN-BAPTISTE MARC ANTOINE"  # character 36 is a space, at the join
    assert english[35] == " "
    card = parse_card_text(foreign_2023_text(english))
    assert (card.name, card.name_en, card.nationality, card.issuer) == ("马丁", english, "FRA", None)
    assert card.layout is CardLayout.FOREIGN_PERMANENT_2023 and card.doc_type is DocType.FOREIGN_PERMANENT_ID
    assert parse_card_text(foreign_2023_text("LI, NA")).name_en == "LI, NA"
    assert parse_card_text(foreign_2023_text("X" * 46)).name_en == "X" * 46
    assert parse_card_text(foreign_2023_text("LI, NA", issuer="国家移民管理局")).issuer == "国家移民管理局"


def test_an_unknown_type_flag_is_refused() -> None:
    text = bytearray(resident_text(RESIDENT_NUMBER))
    text[248:250] = "Q".encode("utf-16-le")
    with pytest.raises(errors.CardRejected) as raised:
        parse_card_text(bytes(text))
    assert raised.value.code == "reader.card_layout" and raised.value.transient


def test_a_number_that_fails_its_check_is_refused_without_repeating_it() -> None:
    wrong = RESIDENT_NUMBER[:-1] + "9"
    with pytest.raises(errors.CardUnreadable) as raised:
        parse_card_text(resident_text(wrong))
    assert raised.value.code == "reader.card_number"
    for lang in ("zh", "en"):
        assert wrong not in raised.value.text(lang) and RESIDENT_NUMBER[:14] not in raised.value.text(lang)
    assert wrong not in repr(raised.value) and wrong not in str(raised.value)


@pytest.mark.parametrize(("change", "what"), [
    ({"born": "19900230"}, "birth date"),
    ({"sex": "3"}, "sex"),
    ({"name": ""}, "name"),
    ({"until": "2040"}, "end of validity"),
])
def test_broken_fields_are_refused(change: dict[str, str], what: str) -> None:
    with pytest.raises(errors.CardUnreadable) as raised:
        parse_card_text(resident_text(RESIDENT_NUMBER, **change))
    assert what in raised.value.text("en")


def test_text_that_is_not_ucs2_is_refused() -> None:
    text = bytearray(resident_text(RESIDENT_NUMBER))
    text[0:2] = b"\x00\xd8"  # a lone surrogate
    with pytest.raises(errors.CardUnreadable):
        parse_card_text(bytes(text))
    with pytest.raises(errors.CardUnreadable):
        parse_card_text(bytes(text[:255]))


def test_doubts_are_warnings_not_errors() -> None:
    unknown_group = parse_card_text(resident_text(RESIDENT_NUMBER, ethnicity="77"))
    assert unknown_group.ethnicity is None
    assert [w.code for w in unknown_group.warnings] == ["reader.ethnicity_unknown"]
    mismatch = parse_card_text(resident_text(RESIDENT_NUMBER, sex="1"))
    assert [w.code for w in mismatch.warnings] == ["reader.card_mismatch"]
    rare = parse_card_text(resident_text(RESIDENT_NUMBER, name="韩\ue123梅"))
    assert [w.code for w in rare.warnings] == ["reader.rare_character"]


def test_every_sample_card_has_a_valid_number_and_survives_the_round_trip() -> None:
    kinds = set()
    for key, sample in SAMPLE_CARDS.items():
        assert validate_document(sample.doc_type, sample.doc_number, sample.nationality)[0] == sample.doc_number
        assert parse_card_text(sample_text(key)) == sample
        kinds.add(sample.layout)
    assert kinds == set(CardLayout)


def test_expiry_is_after_the_last_valid_day() -> None:
    card = SAMPLE_CARDS["resident_id"]
    assert not card.expired_on(date(2040, 3, 7)) and card.expired_on(date(2040, 3, 8))
    assert SAMPLE_CARDS["resident_id_expired"].expired and not card.expired


def test_a_card_discloses_nothing_in_its_repr() -> None:
    card = SAMPLE_CARDS["resident_id"]
    shown = repr(card) + str(card) + repr([card]) + repr(dataclasses.replace(card))
    assert card.doc_number not in shown and card.name not in shown and card.address not in shown
    assert card.masked_number in shown


def test_the_json_object_has_exactly_the_documented_keys() -> None:
    for sample in SAMPLE_CARDS.values():
        assert tuple(sample.as_dict()) == JSON_KEYS
    assert set(JSON_KEYS) == {"doc_type", "doc_number", "name", "name_en", "sex", "ethnicity", "nationality",
                              "birth_date", "address", "issuer", "valid_from", "valid_until"}


def test_the_encoder_refuses_a_field_that_does_not_fit() -> None:
    too_long = IdentityCard(**{**{f.name: getattr(SAMPLE_CARDS["resident_id"], f.name)
                                  for f in dataclasses.fields(IdentityCard)}, "name": "名" * 16})
    with pytest.raises(ValueError):
        encode_card_text(too_long)


def test_every_sample_fills_a_person_that_the_registration_check_accepts() -> None:
    from datetime import datetime

    from agent.domain import CHINA_TIME
    from agent.domain.problems import Severity
    from agent.validation.registration import check_registration

    for key, card in SAMPLE_CARDS.items():
        checked = check_registration({"kind": "stay", "unit": "302", "arrived_at": "2026-12-01 14:30",
                                      "person": card.person_fields()},
                                     now=datetime(2026, 12, 1, 15, 0, tzinfo=CHINA_TIME))
        assert [p.code for p in checked.problems if p.severity is Severity.ERROR] == [], key
        person = checked.data["person"]
        assert (person["doc_number"], person["name"], person["sex"]) == (card.doc_number, card.name, card.sex.value)
        assert person["birth_date"] == card.birth_date.isoformat() and person["nationality"] == card.nationality
