"""The single entry point over all documents, and the shipped region table."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from agent.domain import DocType, Sex
from agent.domain.errors import InvalidComponent, InvalidDocument, InvalidFormat
from agent.validation import regions
from agent.validation.documents import (
    DocumentFacts,
    check_nationality,
    document_facts,
    mask_document,
    validate_document,
)

HMT_PERMIT = "810000199408230021"


@pytest.mark.parametrize("doc_type, typed, stored", [
    (DocType.RESIDENT_ID, "110105491231002", "11010519491231002X"),
    (DocType.HK_MACAU_PERMIT, "h12345678", "H12345678"),
    (DocType.TAIWAN_PERMIT, "1234567890(B)", "1234567890B"),
    (DocType.HMT_RESIDENCE_PERMIT, HMT_PERMIT, HMT_PERMIT),
    (DocType.PASSPORT, "L898902C3", "L898902C3"),
    (DocType.FOREIGN_PERMANENT_ID, "KAZ110090123105", "KAZ110090123105"),
    ("resident_id", "11010519491231002X", "11010519491231002X"),
])
def test_each_type_validates_through_one_function(doc_type: DocType | str, typed: str, stored: str) -> None:
    number, _warnings = validate_document(doc_type, typed)
    assert number == stored


def test_warnings_come_back_with_the_number() -> None:
    _, warnings = validate_document(DocType.RESIDENT_ID, "110105491231002")
    assert [w.code for w in warnings] == ["resident_id.legacy_15_digits"]


def test_a_child_under_a_guardian_has_no_number() -> None:
    assert validate_document(DocType.NONE_WITH_GUARDIAN, "") == ("", [])
    assert mask_document(DocType.NONE_WITH_GUARDIAN, "") == ""
    with pytest.raises(InvalidFormat) as caught:
        validate_document(DocType.NONE_WITH_GUARDIAN, "123")
    assert caught.value.problem.code == "document.number_not_expected"


def test_unknown_document_type() -> None:
    with pytest.raises(InvalidFormat) as caught:
        validate_document("driving_licence", "123")
    assert caught.value.problem.code == "document.type"


@pytest.mark.parametrize("doc_type, number, nationality", [
    (DocType.RESIDENT_ID, "11010519491231002X", "USA"),
    (DocType.HK_MACAU_PERMIT, "H12345678", "GBR"),
    (DocType.FOREIGN_PERMANENT_ID, "KAZ110090123105", "USA"),
    (DocType.FOREIGN_PERMANENT_ID, "911398199012310021", "CHN"),
])
def test_nationality_contradicting_the_document(doc_type: DocType, number: str, nationality: str) -> None:
    with pytest.raises(InvalidComponent) as caught:
        validate_document(doc_type, number, nationality)
    assert caught.value.problem.code == "document.nationality_mismatch"


@pytest.mark.parametrize("doc_type, number, nationality", [
    (DocType.RESIDENT_ID, "11010519491231002X", "CHN"),
    (DocType.HK_MACAU_PERMIT, "H12345678", "HKG"),
    (DocType.TAIWAN_PERMIT, "12345678", "CHN"),
    (DocType.FOREIGN_PERMANENT_ID, "911398199012310021", "KAZ"),
    (DocType.PASSPORT, "E12345678", "CHN"),
])
def test_nationality_agreeing_with_the_document(doc_type: DocType, number: str, nationality: str) -> None:
    check_nationality(doc_type, number, nationality)


def test_facts_read_from_numbers() -> None:
    assert document_facts(DocType.RESIDENT_ID, "11010519491231002X") == DocumentFacts(
        date(1949, 12, 31), Sex.FEMALE, "CHN")
    assert document_facts(DocType.HMT_RESIDENCE_PERMIT, HMT_PERMIT) == DocumentFacts(date(1994, 8, 23), Sex.FEMALE)
    assert document_facts(DocType.FOREIGN_PERMANENT_ID, "911398199012310021").birth_date == date(1990, 12, 31)
    assert document_facts(DocType.PASSPORT, "E12345678") == DocumentFacts()


@pytest.mark.parametrize("doc_type, number, masked", [
    (DocType.RESIDENT_ID, "410102199001011234", "410102********1234"),
    (DocType.HMT_RESIDENCE_PERMIT, HMT_PERMIT, "810000********0021"),
    (DocType.PASSPORT, "E12345678", "E1***5678"),
    (DocType.HK_MACAU_PERMIT, "H1234567801", "H1*****7801"),
    (DocType.FOREIGN_PERMANENT_ID, "KAZ110090123105", "KA*********3105"),
])
def test_masks(doc_type: DocType, number: str, masked: str) -> None:
    assert mask_document(doc_type, number) == masked


def test_every_error_raised_is_an_invalid_document_with_both_languages() -> None:
    for doc_type in DocType:
        try:
            validate_document(doc_type, "not a number 123")
        except InvalidDocument as invalid:
            assert invalid.problem.zh and invalid.problem.en and invalid.problem.code


def test_region_table_is_compact_sourced_and_well_formed() -> None:
    data = resources.files("agent.validation.data").joinpath("regions.txt").read_bytes()
    assert len(data) < 400_000
    lines = data.decode("utf-8").splitlines()
    header = [line for line in lines if line.startswith("#")]
    assert any("Source" in line for line in header)
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    codes = [code for code, _name in rows]
    assert codes == sorted(set(codes))
    assert all(len(code) == 6 and code.isdigit() and name for code, name in rows)
    assert len(codes) > 7000  # the union of 1980-2025 has over seven thousand codes


def test_region_names_and_provinces() -> None:
    assert regions.full_name("410102") == "河南省郑州市中原区"
    assert regions.full_name("999999") is None
    assert regions.is_province("46") and regions.is_province("50") and regions.is_province("71")
    assert not regions.is_province("83")
