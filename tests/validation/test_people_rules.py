"""The people rules of issue 18 in the shared validator: minors, foreign guests, late registrations.

The same `check_registration` runs on the agent and on the platform; these tests drive it directly with
the venue's rules (`VenueRules`) and, for a new arrival, the time it is registered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from agent.domain import CHINA_TIME
from agent.validation import resident_id
from agent.validation.arrival_rules import VenueRules
from agent.validation.registration import check_registration

NOW = datetime(2026, 7, 10, 15, 0, tzinfo=CHINA_TIME)
HOTEL = VenueRules()
CAFE = VenueRules(subtype="internet_cafe")
ZHENGZHOU = VenueRules(jurisdiction="zhengzhou")


def id_number(born: date, county: str = "110105", sequence: int = 12) -> str:
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id.calc_check_digit(body)


CHILD = id_number(date(2012, 3, 4))  # 14 on the arrival day
MOTHER = id_number(date(1985, 6, 7), sequence=14)
TURNS_18 = id_number(date(2008, 7, 10))  # 18 on the arrival day itself


def stay(person: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": "stay", "unit": "302", "arrived_at": "2026-07-10 14:30",
                               "person": {"doc_type": "resident_id", "doc_number": CHILD, "name": "李小明"}}
    payload["person"].update(person or {})
    payload.update(top)
    return payload


def codes(payload: dict[str, Any], venue: VenueRules = HOTEL, **kwargs: Any) -> dict[str, str]:
    """field -> code of every problem (errors and warnings)."""
    checked = check_registration(payload, now=NOW, venue=venue, **kwargs)
    return {p.field or "": p.code for p in checked.problems}


CONTACT = {"name": "王芳", "phone": "13812345678"}


# -- minors --------------------------------------------------------------------------------------


def test_a_minor_with_a_parent_in_the_room_is_registered_with_the_relation_as_a_code() -> None:
    checked = check_registration(stay(guardian_contact=CONTACT,
                                      companions=[{"doc_number": MOTHER.lower()[:-1] + MOTHER[-1].lower(),
                                                   "relation": "母亲"}]), now=NOW, venue=HOTEL)
    assert checked.ok, checked.problems
    assert checked.data is not None
    assert checked.data["companions"] == [{"doc_number": MOTHER, "relation": "parent"}]
    assert checked.data["guardian_contact"] == CONTACT
    assert "flags" not in checked.data


@pytest.mark.parametrize(("word", "code"), [("父亲", "parent"), ("妈妈", "parent"), ("外婆", "grandparent"),
                                            ("班主任", "teacher"), ("舅舅", "other_relative"), ("其他", "other"),
                                            ("Grandparent", "grandparent"), ("other_relative", "other_relative")])
def test_relations_are_read_through_the_one_vocabulary(word: str, code: str) -> None:
    checked = check_registration(stay(guardian_contact=CONTACT, companions=[{"doc_number": MOTHER, "relation": word}]),
                                 now=NOW, venue=HOTEL)
    assert checked.data is not None and checked.data["companions"][0]["relation"] == code


def test_a_minor_needs_a_guardian_contact() -> None:
    found = codes(stay(companions=[{"doc_number": MOTHER, "relation": "parent"}]))
    assert found == {"guardian_contact.name": "registration.guardian_contact_required"}
    found = codes(stay(guardian_contact={"name": "王芳"}, companions=[{"doc_number": MOTHER, "relation": "parent"}]))
    assert found == {"guardian_contact.phone": "registration.required"}
    found = codes(stay(guardian_contact={"name": "王芳", "phone": "12345"},
                       companions=[{"doc_number": MOTHER, "relation": "parent"}]))
    assert list(found) == ["guardian_contact.phone"]


def test_a_minor_alone_is_refused_unless_the_guardian_was_contacted_and_then_flagged() -> None:
    assert codes(stay(guardian_contact=CONTACT)) == {"guardian_contacted": "registration.minor_alone"}
    assert codes(stay(guardian_contact=CONTACT, guardian_contacted=False)) == {
        "guardian_contacted": "registration.minor_alone"}
    checked = check_registration(stay(guardian_contact=CONTACT, guardian_contacted="是"), now=NOW, venue=HOTEL)
    assert checked.ok
    assert checked.data is not None and checked.data["flags"] == ["minor_unaccompanied"]
    assert checked.data["guardian_contacted"] is True
    assert [p.code for p in checked.warnings] == ["registration.minor_unaccompanied"]


def test_flags_are_the_validators_own() -> None:
    checked = check_registration(stay(guardian_contact=CONTACT, companions=[{"doc_number": MOTHER, "relation": "父亲"}],
                                      flags=["whatever"]), now=NOW, venue=HOTEL)
    assert checked.data is not None and "flags" not in checked.data


def test_bad_companions_are_refused_each_at_its_place() -> None:
    found = codes(stay(guardian_contact=CONTACT, companions=[
        {"doc_number": MOTHER, "relation": "neighbour"}, {"doc_number": CHILD, "relation": "parent"},
        {"doc_number": MOTHER, "relation": "parent"}, {"doc_number": MOTHER, "relation": "parent"}, "x",
        {"relation": "parent", "age": 3}]))
    assert found == {"companions.0.relation": "registration.companion_relation",
                     "companions.1.doc_number": "registration.companion_is_self",
                     "companions.3.doc_number": "registration.companion_twice",
                     "companions.4": "registration.type",
                     "companions.5.age": "registration.unknown_field",
                     "companions.5.doc_number": "registration.required"}
    assert codes(stay(guardian_contact=CONTACT, companions={"doc_number": MOTHER})) == {
        "companions": "registration.type"}
    assert codes(stay(guardian_contact=CONTACT, companions=[{"doc_number": "X", "relation": "parent"}] * 21)) == {
        "companions": "registration.type"}


def test_a_minor_at_an_internet_cafe_is_refused_with_the_reason() -> None:
    checked = check_registration(stay(guardian_contact=CONTACT, companions=[{"doc_number": MOTHER, "relation": "母亲"}]),
                                 now=NOW, venue=CAFE)
    assert [p.code for p in checked.errors] == ["registration.minor_internet_cafe"]
    assert "网吧" in checked.errors[0].zh and "internet café" in checked.errors[0].en
    adult = stay(person={"doc_number": MOTHER, "name": "王芳"})
    assert check_registration(adult, now=NOW, venue=CAFE).ok


def test_eighteen_on_the_arrival_day_is_an_adult_and_minor_keys_are_refused_for_adults() -> None:
    adult = stay(person={"doc_number": TURNS_18})
    assert check_registration(adult, now=NOW, venue=HOTEL).ok
    assert codes(stay(person={"doc_number": TURNS_18}, guardian_contact=CONTACT)) == {
        "guardian_contact": "registration.minor_only"}
    # a day earlier they were 17
    assert codes(stay(person={"doc_number": TURNS_18}, arrived_at="2026-07-09 23:59")) == {
        "guardian_contact.name": "registration.guardian_contact_required",
        "guardian_contacted": "registration.minor_alone"}


def test_the_minor_rules_are_for_stays_and_a_child_under_a_guardian_has_the_guardian() -> None:
    tenancy = stay(kind="tenancy")
    assert check_registration(tenancy, now=NOW, venue=HOTEL).ok
    child = stay(person={"doc_type": "none_with_guardian", "doc_number": None, "name": "小宝", "sex": "M",
                         "birth_date": "2022-01-01"},
                 guardian={"doc_type": "resident_id", "doc_number": MOTHER, "name": "王芳"})
    child["person"] = {k: v for k, v in child["person"].items() if v is not None}
    assert check_registration(child, now=NOW, venue=HOTEL).ok
    assert not check_registration(child, now=NOW, venue=CAFE).ok


# -- foreign guests -----------------------------------------------------------------------------

VISA = {"type": "L字签证", "number": "0123 4567", "stay_until": "2026-08-01", "entry_date": "2026-07-01",
        "entry_port": "首都机场"}


def foreigner(visa: dict[str, Any] | None = None, **person: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"doc_type": "passport", "doc_number": "E12345678", "name": "SMITH JOHN", "sex": "M",
                              "birth_date": "1980-01-01", "nationality": "USA", "doc_expiry": "2030-01-01"}
    if visa is not None:
        fields["visa"] = visa
    fields.update(person)
    return stay(person=fields, expected_departure="2026-07-12 12:00")


def test_a_foreign_guest_with_a_visa_is_registered_with_its_codes() -> None:
    checked = check_registration(foreigner(VISA), now=NOW, venue=HOTEL)
    assert checked.ok, checked.problems
    assert checked.data is not None
    assert checked.data["person"]["visa"] == {"type": "L", "number": "01234567", "stay_until": "2026-08-01",
                                              "entry_date": "2026-07-01", "entry_port": "首都机场"}
    assert checked.data["person"]["doc_expiry"] == "2030-01-01"


def test_a_foreign_guest_needs_a_visa_at_hotels_and_rentals_not_employers() -> None:
    assert codes(foreigner()) == {"person.visa.type": "registration.visa_required"}
    assert codes({**foreigner(), "kind": "tenancy"}) == {"person.visa.type": "registration.visa_required"}
    employment = {**foreigner(), "kind": "employment"}
    del employment["expected_departure"]
    assert check_registration(employment, now=NOW).ok
    # a Chinese citizen's passport has no visa, and may not carry one
    assert check_registration(foreigner(nationality="CHN"), now=NOW).ok
    assert codes(foreigner(VISA, nationality="CHN")) == {"person.visa": "registration.visa_not_expected"}


def test_visa_fields_are_each_checked() -> None:
    assert codes(foreigner({})) == {"person.visa.type": "registration.required",
                                    "person.visa.stay_until": "registration.required",
                                    "person.visa.entry_date": "registration.required",
                                    "person.visa.entry_port": "registration.required"}
    assert codes(foreigner({**VISA, "type": "K"})) == {"person.visa.type": "registration.visa_type"}
    assert codes(foreigner({**VISA, "number": None})) == {"person.visa.number": "registration.required"}
    assert codes(foreigner({**VISA, "number": "AB-12/3"})) == {"person.visa.number": "registration.visa_number"}
    assert codes(foreigner({**VISA, "type": "免签"})) == {"person.visa.number": "registration.visa_number_not_expected"}
    assert check_registration(foreigner({**VISA, "type": "免签", "number": ""}), now=NOW).ok
    assert codes(foreigner({**VISA, "entry_date": "2026-07-11"})) == {
        "person.visa.entry_date": "registration.entry_date"}
    assert codes(foreigner({**VISA, "stay_until": "2026-06-01"})) == {
        "person.visa.stay_until": "registration.stay_until"}
    assert codes(foreigner({**VISA, "entry_date": "yesterday"}))["person.visa.entry_date"].startswith("date")
    assert codes(foreigner({**VISA, "port": "x"})) == {"person.visa.port": "registration.unknown_field"}
    assert codes(foreigner("L")) == {"person.visa": "registration.type"}  # type: ignore[arg-type]


@pytest.mark.parametrize(("word", "code"), [("L", "L"), ("z字签证", "Z"), ("Q2", "Q2"), ("居留许可", "residence_permit"),
                                            ("停留证件", "stay_permit"), ("visa-free entry", "visa_free")])
def test_visa_types_are_read_through_the_vocabulary(word: str, code: str) -> None:
    number = "" if code == "visa_free" else "X123"
    checked = check_registration(foreigner({**VISA, "type": word, "number": number}), now=NOW)
    assert checked.data is not None and checked.data["person"]["visa"]["type"] == code


def test_a_passport_needs_its_expiry_and_an_expired_one_is_refused() -> None:
    assert codes(foreigner(VISA, doc_expiry=None)) == {"person.doc_expiry": "registration.required"}
    assert codes(foreigner(VISA, doc_expiry="2026-07-09")) == {"person.doc_expiry": "registration.passport_expired"}
    assert check_registration(foreigner(VISA, doc_expiry="2026-07-10"), now=NOW).ok  # valid on its last day
    assert codes(foreigner(VISA, doc_expiry="31/31/2030"))["person.doc_expiry"].startswith("date")


def test_a_stay_past_the_permitted_stay_is_accepted_and_flagged() -> None:
    checked = check_registration(foreigner({**VISA, "stay_until": "2026-07-11"}), now=NOW)
    assert checked.ok
    assert checked.data is not None and checked.data["flags"] == ["visa_overstay"]
    assert [p.code for p in checked.warnings] == ["registration.visa_overstay"]


def test_a_lease_that_outlasts_the_visa_is_flagged_and_its_end_stays_a_day() -> None:
    """A tenancy's end is a day (no time made up); the whole day counts against the permitted stay."""
    lease = {**foreigner({**VISA, "stay_until": "2026-07-11"}), "kind": "tenancy", "expected_departure": "2026-07-12"}
    checked = check_registration(lease, now=NOW)
    assert checked.ok, checked.problems
    assert checked.data is not None and checked.data["expected_departure"] == "2026-07-12"
    assert checked.data["flags"] == ["visa_overstay"]
    within = {**lease, "expected_departure": "2026-07-11"}
    assert "flags" not in (check_registration(within, now=NOW).data or {})


# -- late registrations (templates/policies) --------------------------------------------------------------


def adult_stay(arrived: datetime, **top: Any) -> dict[str, Any]:
    return stay(person={"doc_number": MOTHER, "name": "王芳"}, arrived_at=arrived.isoformat(), **top)


def test_a_tenancy_registered_after_three_days_needs_a_late_reason() -> None:
    arrived = NOW - timedelta(days=3, hours=1)
    late = {**adult_stay(arrived), "kind": "tenancy"}
    assert codes(late, registered_at=NOW) == {"late_reason": "registration.late_without_reason"}
    checked = check_registration({**late, "late_reason": "房东外出，补录"}, now=NOW, registered_at=NOW)
    assert checked.ok
    assert checked.data is not None and checked.data["late_reason"] == "房东外出，补录"
    assert checked.data["flags"] == ["late"]
    assert [p.code for p in checked.warnings] == ["registration.late"]
    # in time, or not judged (a correction): no reason needed
    assert check_registration({**late, "arrived_at": (NOW - timedelta(days=2, hours=23)).isoformat()}, now=NOW,
                              venue=ZHENGZHOU, registered_at=NOW).ok
    assert check_registration(late, now=NOW).ok
    # a hotel registers at check-in: its deadline is the report's, not the registration's
    assert check_registration(adult_stay(arrived), now=NOW, registered_at=NOW).ok
    # the rule goes by when the venue registered it, not when the check runs (the platform's case)
    assert check_registration(late, now=NOW, registered_at=arrived + timedelta(days=2)).ok


def test_the_rule_in_force_on_the_arrival_day_applies() -> None:
    # before 旅馆业治安管理办法 (1987-11-10) no deadline is known: nothing is late
    old = {**adult_stay(datetime(1957, 1, 1, 12, tzinfo=CHINA_TIME)), "kind": "tenancy"}
    assert codes(old, registered_at=datetime(1957, 1, 5, tzinfo=CHINA_TIME)).get("late_reason") is None


def test_an_unknown_jurisdiction_falls_back_to_the_national_rules() -> None:
    arrived = NOW - timedelta(days=4)
    assert codes({**adult_stay(arrived), "kind": "tenancy"}, VenueRules(jurisdiction="atlantis"),
                 registered_at=NOW) == {
        "late_reason": "registration.late_without_reason"}


def test_with_no_birth_date_the_minor_keys_are_kept_and_nothing_is_required() -> None:
    passport = {"doc_type": "passport", "doc_number": "E12345678", "name": "SMITH JANE", "sex": "F",
                "nationality": "CHN", "doc_expiry": "2030-01-01"}
    checked = check_registration(stay(person=passport, guardian_contact=CONTACT), now=NOW, venue=CAFE)
    assert checked.ok and checked.data is not None and checked.data["guardian_contact"] == CONTACT
    assert codes(stay(person=passport, companions=[{"doc_number": MOTHER, "relation": "uncle?"}])) == {
        "companions.0.relation": "registration.companion_relation"}
