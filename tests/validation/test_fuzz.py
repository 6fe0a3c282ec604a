"""Random input never makes a validator raise anything but InvalidDocument, nor crashes a registration."""

from __future__ import annotations

import json
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.domain import CHINA_TIME, DocType
from agent.domain.errors import InvalidDocument
from agent.validation import (
    credit_code,
    foreign_permanent_id,
    hk_macau_permit,
    hmt_residence_permit,
    mrz,
    passport,
    phone,
    resident_id,
    taiwan_permit,
)
from agent.validation.datetimes import parse_date, parse_datetime
from agent.validation.documents import mask_document, validate_document
from agent.validation.people import GUARDIAN_KEYS, PERSON_KEYS
from agent.validation.registration import TOP_KEYS, check_registration

NOW = datetime(2024, 5, 1, 15, 0, tzinfo=CHINA_TIME)

# Plain random text, plus text shaped like the numbers so that the deeper rules run too.
numbers = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True),
    st.from_regex(r"(81|82|83|9[0-9])[0-9]{15}[0-9X]", fullmatch=True),
    st.from_regex(r"[0-9]{15}", fullmatch=True),
    st.from_regex(r"[A-Z]{3}[0-9]{12}", fullmatch=True),
    st.from_regex(r"[HM][0-9]{8,10}", fullmatch=True),
    st.from_regex(r"[0-9A-Y]{18}", fullmatch=True),
    st.from_regex(r"(\+86)?1[0-9]{10}", fullmatch=True),
    st.text(alphabet="０１２３４５６７８９Ｘ -（）()<", max_size=20),
)
MODULES = [resident_id, hmt_residence_permit, hk_macau_permit, taiwan_permit, passport,
           foreign_permanent_id, phone, credit_code]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=100, deadline=None, database=None)
@given(text=numbers)
def test_validate_raises_only_invalid_document(module: ModuleType, text: str) -> None:
    try:
        number = module.validate(text)
    except InvalidDocument as invalid:
        assert invalid.problem.zh and invalid.problem.en
        return
    assert module.validate(number) == number  # the compact form is a fixed point
    assert module.is_valid(text)
    if hasattr(module, "mask"):  # credit codes identify a business, not a person: never masked
        assert isinstance(module.mask(number), str)
    if hasattr(module, "warnings"):
        assert all(w.severity == "warning" for w in module.warnings(number))


@settings(max_examples=150, deadline=None, database=None)
@given(doc_type=st.sampled_from(list(DocType)), text=numbers,
       nationality=st.one_of(st.none(), st.text(max_size=5), st.sampled_from(["CHN", "USA", "KAZ", "HKG"])))
def test_validate_document_raises_only_invalid_document(doc_type: DocType, text: str, nationality: str | None) -> None:
    try:
        number, _ = validate_document(doc_type, text, nationality)
    except InvalidDocument:
        return
    assert isinstance(mask_document(doc_type, number), str)


@settings(max_examples=150, deadline=None, database=None)
@given(text=st.one_of(st.text(max_size=100), st.from_regex(r"[A-Z0-9<]{44}\n[A-Z0-9<]{44}", fullmatch=True),
                      st.from_regex(r"P<[A-Z<]{42}\n[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{7}[MF<][0-9]{7}[A-Z0-9<]{16}",
                                    fullmatch=True)))
def test_mrz_raises_only_invalid_document(text: str) -> None:
    try:
        mrz.parse(text)
    except InvalidDocument:
        pass


@settings(max_examples=150, deadline=None, database=None)
@given(text=st.text(max_size=40))
def test_time_readers_raise_only_invalid_document(text: str) -> None:
    for read in (parse_datetime, parse_date):
        try:
            read(text)
        except InvalidDocument:
            pass


@settings(max_examples=100, deadline=None, database=None)
@given(digits=st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_resident_id_errors_never_echo_the_number(digits: str) -> None:
    try:
        resident_id.validate(digits)
    except InvalidDocument as invalid:
        assert digits[:17] not in str(invalid)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
field_values = st.one_of(json_values, numbers, st.sampled_from(
    ["2024-05-01 14:30", "stay", "employment", "resident_id", "passport", "none_with_guardian", "M", "F",
     "CHN", "01", "1990-01-01", "true", "11010519491231002X", "E12345678"]))


def mapping_of(keys: tuple[str, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))


payloads = st.one_of(
    json_values,
    st.builds(lambda top, person, guardian: {**top, "person": person, "guardian": guardian},
              mapping_of(TOP_KEYS, field_values), mapping_of(PERSON_KEYS, field_values),
              st.one_of(st.none(), mapping_of(GUARDIAN_KEYS, field_values))),
)


@settings(max_examples=300, deadline=None, database=None)
@given(payload=payloads)
def test_check_registration_never_crashes(payload: Any) -> None:
    checked = check_registration(payload, now=NOW)
    if checked.data is None:
        assert checked.errors
    else:
        assert not checked.errors
        json.dumps(checked.data, allow_nan=False)
