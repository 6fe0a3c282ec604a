"""Who is and was at the venue, as lists show them: names in clear, numbers masked.

Names are sealed in the store; a list decrypts each name once and remembers it by its ciphertext (a
changed name is a new ciphertext), so repeated lists and searches cost one decryption per person.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlmodel import col, select

from agent.register.ledger import day_start
from agent.register.records import PURGED_NAME, Companion, RegistrationView
from agent.register.search import find
from agent.store.database import Store
from agent.store.models import Person, Registration, Unit
from agent.validation.arrival_rules import ADULT_AGE, age_on
from agent.validation.phone import mask as mask_phone


class _Candidate(NamedTuple):
    """A registration as the search rule sees it."""

    id: int
    name: str
    unit: str
    doc_masked: str


class Listing:
    """The registrations of a venue's store, newest first, and the search over them."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._names: dict[bytes, str] = {}

    def registrations(self, *, present_only: bool = False, arrived_from: date | None = None,
                      arrived_to: date | None = None) -> list[RegistrationView]:
        """Registrations newest first; `present_only` keeps those not departed."""
        query = _view_query()
        if present_only:
            query = query.where(col(Registration.departed_at).is_(None))
        if arrived_from:
            query = query.where(Registration.arrived_at >= day_start(arrived_from))
        if arrived_to:
            query = query.where(Registration.arrived_at < day_start(arrived_to, days=1))
        return self._views(query)

    def occupants(self, unit: str) -> list[RegistrationView]:
        """The registrations present in `unit` now, earliest arrival first."""
        label = " ".join(str(unit).split())
        query = _view_query().where(Unit.label == label, col(Registration.departed_at).is_(None))
        return list(reversed(self._views(query)))

    def companions(self, unit: str, day: date) -> list[Companion]:
        """The people present in `unit` now who could accompany a minor arriving on `day`: each with
        whether they are an adult then and the document number a minor's `companions` names them by."""
        views = {view.id: view for view in self.occupants(unit)}
        if not views:
            return []
        vault = self._store.vault
        with self._store.read() as session:
            rows = session.exec(select(Registration.id, Person.id, Person.doc_number_sealed, Person.birth_date_sealed)
                                .join(Person, col(Person.id) == Registration.person_id)
                                .where(col(Registration.id).in_(list(views)))).all()
        sealed = {reg_id: (person_id, number, born) for reg_id, person_id, number, born in rows}
        found = []
        for reg_id, view in views.items():
            person_id, number_sealed, born_sealed = sealed.get(reg_id, (None, None, None))
            number = vault.open(number_sealed, "person.doc_number", person_id) if number_sealed else None
            if not number:
                continue  # a child registered under a guardian, or a purged record: no number to name
            born = vault.open(born_sealed, "person.birth_date", person_id) if born_sealed else None
            found.append(Companion(view, age_on(born, day) >= ADULT_AGE if born else None, number))
        return found

    def search(self, text: str, *, present_only: bool = True) -> list[RegistrationView]:
        """Find by name (any part), by unit, or by the last digits of the document number: the rule of
        `agent.register.search`, which the TUI applies as the operator types. Names are matched over the
        decrypted names of the candidates; full views are built for the matches only."""
        if not text.strip():
            return self.registrations(present_only=present_only)
        candidates = (select(Registration.id, Person.name_sealed, Person.doc_masked, Unit.label, Person.id)
                      .join(Person, col(Person.id) == Registration.person_id)
                      .join(Unit, col(Unit.id) == Registration.unit_id)
                      .where(col(Registration.cancelled_at).is_(None))
                      .order_by(col(Registration.arrived_at).desc(), col(Registration.id).desc()))  # as the lists
        if present_only:
            candidates = candidates.where(col(Registration.departed_at).is_(None))
        with self._store.read() as session:
            rows = session.exec(candidates).all()
        found = find([_Candidate(reg_id, self.name_of(name_sealed, person_id), unit, masked)
                      for reg_id, name_sealed, masked, unit, person_id in rows], text)
        if not found:
            return []
        ids = [c.id for c in found]
        views = {v.id: v for v in self._views(_view_query().where(col(Registration.id).in_(ids)))}
        return [views[i] for i in ids]

    def find_by_document(self, doc_type: str, number: str) -> list[RegistrationView]:
        """All registrations of the person holding this document, through the blind index.

        The index of the number in either suite is looked up (one indexed `IN` of two values): this read
        cannot trust the suite this desk's vault remembers, since another desk may have switched it
        (`agent.duties.at_rest`) since this desk's last write, and reading the suite first would need the
        same lock as a write to be sure of it. A person is indexed in one suite only, and the two HMACs'
        128-bit indexes do not collide in practice, so the answer is the one the store's suite gives."""
        indexes = self._store.vault.blind_indexes(doc_type, number)
        return self._views(_view_query().where(Person.doc_type == doc_type, col(Person.doc_index).in_(indexes)))

    def name_of(self, sealed: bytes, person_id: int) -> str:
        """A sealed name in clear (sealed in person `person_id`'s row), each ciphertext decrypted once
        (lists and searches repeat them)."""
        if not sealed:
            return ""  # erased by the retention purge
        name = self._names.get(sealed)
        if name is None:
            name = self._store.vault.open(sealed, "person.name", person_id) or ""
            if len(self._names) > 50_000:
                self._names.clear()
            self._names[sealed] = name
        return name

    def _views(self, query: Any) -> list[RegistrationView]:
        vault = self._store.vault
        with self._store.read() as session:
            rows = session.exec(query).all()
        views = []
        for (reg_id, kind, unit, name_sealed, sex, doc_type, doc_masked, phone_sealed, arrived, expected, departed,
             person_purged, reg_purged, person_id, nationality) in rows:
            phone = vault.open(phone_sealed, "person.phone", person_id)
            views.append(RegistrationView(
                id=reg_id, kind=kind, unit=unit,
                name=PURGED_NAME if person_purged else self.name_of(name_sealed, person_id),
                sex=sex, doc_type=doc_type, doc_masked=doc_masked, phone_masked=mask_phone(phone) if phone else None,
                arrived_at=arrived, expected_departure=expected, departed_at=departed,
                purged=reg_purged is not None, nationality=nationality))
        return views


def _view_query() -> Any:
    return (select(Registration.id, Registration.kind, Unit.label, Person.name_sealed, Person.sex,
                   Person.doc_type, Person.doc_masked, Person.phone_sealed, Registration.arrived_at,
                   Registration.expected_departure, Registration.departed_at, Person.purged_at,
                   Registration.purged_at, Person.id, Person.nationality)
            .join(Person, col(Person.id) == Registration.person_id)
            .join(Unit, col(Unit.id) == Registration.unit_id)
            .where(col(Registration.cancelled_at).is_(None))
            .order_by(col(Registration.arrived_at).desc(), col(Registration.id).desc()))
