"""What the clerk has typed into the register form, and what the agent will make of it.

The widgets only mirror this state: a language switch or a redraw rebuilds them from it, and the
tests can drive it without a screen. Problems come from the agent's own checks
(`check_registration`, the template's required fields), so the form says exactly what the store and
the platform would say, field by field, while the clerk is still at that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from agent.domain import CHINA_TIME, DocType, VenueKind
from agent.domain.codes import countries
from agent.domain.codes import label as code_label
from agent.forms.templates import FieldType, FormField, Template
from agent.validation import InvalidDocument, Problem, Severity
from agent.validation.arrival_rules import NO_VENUE, VenueRules
from agent.validation.documents import document_facts, validate_document
from agent.validation.mrz import MrzPassport
from agent.validation.registration import CheckedRegistration, check_registration
from agent.validation.resident_id import region_name
from agent.validation.words import code_in_table

LARGE_TABLES = frozenset({"ethnicity", "countries"})
"""Code tables too long to pick from a list: typed, with suggestions (`汉` -> 汉族, `US` -> USA)."""

_FILLED_FROM_DOCUMENT = ("person.sex", "person.birth_date", "person.nationality")
_CARD_FIELDS = ("doc_type", "doc_number", "name", "sex", "ethnicity", "birth_date", "address", "nationality")
"""What an ID card read by a reader gives a registration's person (`IdentityCard.person_fields`)."""
_TIME_FORMATS = {FieldType.DATETIME: "%Y-%m-%d %H:%M", FieldType.DATE: "%Y-%m-%d"}


def is_large_choice(form_field: FormField) -> bool:
    return form_field.type is FieldType.CHOICE and form_field.choices in LARGE_TABLES


def format_moment(form_field: FormField, moment: datetime) -> str:
    """A time as the form shows and accepts it (`2024-05-01 14:30`, or the date alone)."""
    return moment.strftime(_TIME_FORMATS.get(form_field.type, "%Y-%m-%d %H:%M"))


class RegistrationForm:
    """Values by field key (text as typed; a choice holds its code), plus what was filled in for the clerk."""

    def __init__(self, template: Template, now: datetime, *, venue: VenueRules = NO_VENUE,
                 new_arrival: bool = True, lang: str = "zh") -> None:
        """`venue`: the rules of the venue the form registers for (an internet café admits no minor);
        `new_arrival`: an arrival registered now (its deadline is judged), not a correction; `lang`: the
        language a country filled in for the clerk is named in (美国, United States), set as it changes."""
        self.template = template
        self.lang = lang
        self.venue = venue
        self.new_arrival = new_arrival
        self.values: dict[str, str] = {}
        self.autofilled: set[str] = set()
        self.companions: list[dict[str, str]] = []  # a minor's adults in the room: [{doc_number, relation}]
        self._checked: tuple[str, CheckedRegistration] | None = None  # the entries last checked, and how
        self.reset(now)

    def reset(self, now: datetime) -> None:
        """Empty the form for the next person: document type and times take their usual defaults."""
        self.values = {f.key: "" for f in self.template.fields}
        self.autofilled = set()
        self.companions = []
        self.values["person.doc_type"] = DocType.RESIDENT_ID.value
        arrived = self.template.field("arrived_at")
        self.values["arrived_at"] = format_moment(arrived, now)
        if self.template.kind in (VenueKind.HOTEL, VenueKind.OVERNIGHT) and self._has("expected_departure"):
            leaving = (now + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
            self.values["expected_departure"] = format_moment(self.template.field("expected_departure"), leaving)

    def _has(self, key: str) -> bool:
        return any(f.key == key for f in self.template.fields)

    def value(self, key: str) -> str:
        return self.values.get(key, "")

    def shown(self) -> list[FormField]:
        """The fields that apply to what has been entered (a passport asks the nationality...)."""
        return self.template.shown_fields(self._nested())

    def _nested(self) -> dict[str, Any]:
        """Every field's text, shaped as the agent's API takes a registration (`person.name` under
        `person`): the shape the template's rules read."""
        nested: dict[str, Any] = {}
        for key, text in self.values.items():
            *parents, leaf = key.split(".")
            target = nested
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = text
        return nested

    def set(self, key: str, text: str) -> set[str]:
        """Record what the clerk typed or picked; returns the other fields this filled in or cleared.

        A choice picked from a list holds its code: a word for it (护照, 414) is read by the vocabulary."""
        form_field = next((f for f in self.template.fields if f.key == key), None)
        if form_field is not None and form_field.choices is not None and not is_large_choice(form_field):
            text = code_in_table(form_field.choices, text) or text
        if self.values.get(key) == text:
            return set()
        self.values[key] = text
        self.autofilled.discard(key)
        if key in ("person.doc_number", "person.doc_type"):
            return self._fill_from_document()
        return set()

    # -- filling in from a document ---------------------------------------------------------------

    def _fill_from_document(self) -> set[str]:
        """Birth date, sex, nationality (and for an ID card the native region as the address's start)
        from a valid number; what an earlier number filled in is cleared when the number changes."""
        changed: set[str] = set()
        doc_type, number = self.value("person.doc_type"), self.value("person.doc_number")
        facts = None
        if number.strip() and doc_type and doc_type != DocType.NONE_WITH_GUARDIAN:
            try:
                number, _ = validate_document(doc_type, number)
                facts = document_facts(doc_type, number)
            except InvalidDocument:
                facts = None
        proposals: dict[str, str] = {}
        if facts is not None:
            if facts.sex is not None:
                proposals["person.sex"] = facts.sex.value
            if facts.birth_date is not None:
                proposals["person.birth_date"] = facts.birth_date.isoformat()
            if facts.nationality is not None and doc_type != DocType.RESIDENT_ID:
                proposals["person.nationality"] = self.country_name(facts.nationality)
            if doc_type == DocType.RESIDENT_ID:
                region = region_name(number[:6])
                if region:
                    proposals["person.address"] = region
        for key in (*_FILLED_FROM_DOCUMENT, "person.address"):
            if not self._has(key):
                continue
            if key in proposals and (not self.value(key) or key in self.autofilled):
                if self.values[key] != proposals[key]:
                    self.values[key] = proposals[key]
                    changed.add(key)
                self.autofilled.add(key)
            elif key not in proposals and key in self.autofilled:
                self.values[key] = ""
                self.autofilled.discard(key)
                changed.add(key)
        return changed

    def fill_from_id_card(self, number: str) -> set[str]:
        """A swiped resident ID card: the document type and number, then everything they imply."""
        self.values["person.doc_type"] = DocType.RESIDENT_ID.value
        self.values["person.doc_number"] = number
        self.autofilled.discard("person.doc_number")
        return {"person.doc_type", "person.doc_number"} | self._fill_from_document()

    def fill_from_passport(self, passport: MrzPassport) -> set[str]:
        """A scanned passport: every field its machine readable zone carries."""
        self.values["person.doc_type"] = DocType.PASSPORT.value
        self.values["person.doc_number"] = passport.number
        self.values["person.name"] = passport.name
        self.values["person.birth_date"] = passport.birth_date.isoformat()
        if passport.sex is not None:
            self.values["person.sex"] = passport.sex.value
        if self._has("person.nationality"):
            self.values["person.nationality"] = self.country_name(passport.nationality)
        filled = {"person.doc_type", "person.doc_number", "person.name", "person.birth_date", "person.sex",
                  "person.nationality"}
        if self._has("person.doc_expiry"):
            self.values["person.doc_expiry"] = passport.expiry_date.isoformat()
            filled.add("person.doc_expiry")
        self.autofilled = set()
        return filled

    def fill_from_card(self, person: Mapping[str, str], lang: str) -> set[str]:
        """An ID card read by the desk's reader: every person field the card holds (the keys and
        values of `IdentityCard.person_fields()`), the ones it does not hold emptied (they were the
        previous person's); the phone and the stay are left alone. The ethnic group is written as its
        name in `lang` (汉族, Han), as a clerk would type it; the rest as the card gives it."""
        changed: set[str] = set()
        for leaf in _CARD_FIELDS:
            key = f"person.{leaf}"
            if not self._has(key):
                continue
            text = person.get(leaf, "")
            form_field = self.template.field(key)
            if text and is_large_choice(form_field) and form_field.choices in ("ethnicity", "countries"):
                entry = form_field.options().get(text)
                text = code_label(entry, lang) if entry is not None else text
            if self.values.get(key) != text:
                self.values[key] = text
                changed.add(key)
        self.autofilled = set()
        return changed | {"person.doc_type", "person.doc_number"}

    def fill_from_payload(self, data: Mapping[str, Any]) -> None:
        """What was sent for a registration (the agent's normalised payload), back into the form's
        text, for correcting a record the platform refused."""
        for form_field in self.template.fields:
            value: Any = data
            for part in form_field.key.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            if value is None:
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif form_field.type is FieldType.DATETIME:
                text = format_moment(form_field, datetime.fromisoformat(str(value)).astimezone(CHINA_TIME))
            elif form_field.type is FieldType.DATE and "T" in str(value):  # sent with a time before: the day
                text = datetime.fromisoformat(str(value)).astimezone(CHINA_TIME).date().isoformat()
            elif form_field.choices == "countries":
                text = self.country_name(str(value))
            else:
                text = str(value)
            self.values[form_field.key] = text
        companions = data.get("companions")
        if isinstance(companions, list):
            self.companions = [dict(c) for c in companions if isinstance(c, Mapping)]
        self.autofilled = set()

    def country_name(self, text: str) -> str:
        """A country as the form shows it: its name in the form's language (USA, 美国 -> 美国 or United
        States); text that names no country is left as typed, for the check to say so."""
        code = code_in_table("countries", text) if text.strip() else None
        entry = countries().get(code or "")
        return code_label(entry, self.lang) if entry is not None else text

    def name_countries(self) -> set[str]:
        """The country fields written as names in the form's language (after a language switch, or a
        code typed): the keys whose text changed."""
        changed = set()
        for form_field in self.template.fields:
            if form_field.choices == "countries" and self.values.get(form_field.key, "").strip():
                named = self.country_name(self.values[form_field.key])
                if named != self.values[form_field.key]:
                    self.values[form_field.key] = named
                    changed.add(form_field.key)
        return changed

    def native_region(self) -> str | None:
        """籍贯: the county that issued a valid resident ID number, for the clerk to see."""
        if self.value("person.doc_type") != DocType.RESIDENT_ID:
            return None
        try:
            number, _ = validate_document(DocType.RESIDENT_ID, self.value("person.doc_number"))
        except InvalidDocument:
            return None
        return region_name(number[:6])

    def asks_companions(self) -> bool:
        """Whether the person is a minor whose stay names the adults sharing the room (the template's
        minor-only fields are shown: a minor at a hotel or an overnight venue)."""
        return any(f.minor_only for f in self.shown())

    # -- what it means -----------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """The registration as the agent's API takes it: only the fields that apply and are filled."""
        payload: dict[str, Any] = {"kind": self.template.registration.value}
        for form_field in self.shown():
            text = self.value(form_field.key).strip()
            if not text:
                continue
            value: Any = text
            if form_field.type is FieldType.BOOL:
                value = text == "true"
            target = payload
            *parents, leaf = form_field.key.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        if self.companions and self.asks_companions():
            payload["companions"] = [dict(c) for c in self.companions]
        return payload

    def check(self, now: datetime) -> CheckedRegistration:
        """The shared validator's verdict on what is entered, made once for the same entries: the marks,
        the message and the save all read this one, and the register takes it without checking again."""
        payload = self.payload()
        key = repr(payload)  # text and flags in form order: equal entries, equal text
        if self._checked is None or self._checked[0] != key:
            self._checked = (key, check_registration(payload, now=now, venue=self.venue,
                                                     registered_at=now if self.new_arrival else None))
        return self._checked[1]

    def problems(self, now: datetime) -> dict[str, Problem]:
        """The first problem of each field (errors before warnings); key "" for ones no field owns."""
        found: dict[str, Problem] = {}
        checked = self.check(now)
        shown = {f.key for f in self.shown()}
        candidates = list(self.template.missing(self._nested())) + checked.problems
        candidates.sort(key=lambda p: p.severity is not Severity.ERROR)
        for problem in candidates:
            key = self.field_of(problem, shown)
            found.setdefault(key, problem)
        return found

    @staticmethod
    def field_of(problem: Problem, shown: set[str] | Mapping[str, Any]) -> str:
        """The form field a problem belongs to ("" when none: then the form shows it at the bottom)."""
        name = problem.field or ""
        if name in shown:
            return name
        if name in ("guardian", "person") and f"{name}.doc_type" in shown:
            return f"{name}.doc_type"
        return ""
