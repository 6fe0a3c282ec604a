"""Operator accounts: owners manage them, PINs are hashed, guessing is slowed and every try is audited.

Waits are tested by passing the time in (`now=`), never by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from agent.domain.errors import OperatorError
from agent.duties.operators import add_operator, authenticate, has_operators, list_operators, remove_operator, set_pin
from agent.register.registry import Registry
from agent.store import audit
from agent.store.models import OperatorAccount

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def staffed(hotel_registry: Registry) -> Registry:
    """An owner 老板 (PIN 2468) and a clerk 小王 (PIN 1357)."""
    store = hotel_registry.store
    assert not has_operators(store)
    add_operator(store, "老板", "owner", "2468", actor=None)
    add_operator(store, "小王", "clerk", "1357", actor="老板")
    return hotel_registry


def _actions(registry: Registry) -> list[tuple[str, str]]:
    return [(e.action, e.operator) for e in audit.entries(registry.store)]


def test_the_first_account_must_be_an_owner(hotel_registry: Registry) -> None:
    with pytest.raises(OperatorError) as refused:
        add_operator(hotel_registry.store, "小王", "clerk", "1357", actor=None)
    assert refused.value.problem.code == "operator.first_owner"
    assert not has_operators(hotel_registry.store)


def test_only_an_owner_manages_accounts(staffed: Registry) -> None:
    store = staffed.store
    for attempt in (lambda: add_operator(store, "小李", "clerk", "8642", actor="小王"),
                    lambda: add_operator(store, "小李", "clerk", "8642", actor=None),
                    lambda: remove_operator(store, "老板", actor="小王"),
                    lambda: set_pin(store, "老板", "9999", actor="小王")):
        with pytest.raises(OperatorError) as refused:
            attempt()
        assert refused.value.problem.code == "operator.owner_only"
    assert [(o.name, o.role) for o in list_operators(store)] == [("老板", "owner"), ("小王", "clerk")]
    set_pin(store, "小王", "8642", actor="小王")  # one's own PIN: allowed
    assert authenticate(store, "小王", "8642").ok


def test_names_are_checked_and_never_given_twice(staffed: Registry) -> None:
    store = staffed.store
    for name, code in (("system", "operator.reserved"), (" 小王", "operator.name"), ("x" * 33, "operator.name"),
                       ("小王", "operator.name_taken")):
        with pytest.raises(OperatorError) as refused:
            add_operator(store, name, "clerk", "8642", actor="老板")
        assert refused.value.problem.code == code
    remove_operator(store, "小王", actor="老板")
    with pytest.raises(OperatorError, match="in use"):
        add_operator(store, "小王", "clerk", "8642", actor="老板")
    assert not authenticate(store, "小王", "1357").ok


def test_the_last_owner_stays(staffed: Registry) -> None:
    with pytest.raises(OperatorError) as refused:
        remove_operator(staffed.store, "老板", actor="老板")
    assert refused.value.problem.code == "operator.last_owner"


def test_pins_are_stored_as_scrypt_hashes(staffed: Registry) -> None:
    with staffed.store.read() as session:
        hashes = session.exec(select(OperatorAccount.pin_hash)).all()
    assert all(h.startswith("scrypt$") and "2468" not in h and "1357" not in h for h in hashes)


def test_wrong_pins_lead_to_growing_waits_and_are_audited(staffed: Registry) -> None:
    store = staffed.store
    first = authenticate(store, "小王", "0000", now=T0)
    assert not first.ok and first.problem is not None and "2 more tries" in first.problem.en
    assert not authenticate(store, "小王", "0000", now=T0).ok
    locked = authenticate(store, "小王", "0000", now=T0)  # the third wrong PIN: a 30 s wait
    assert locked.problem is not None and locked.problem.code == "operator.locked"
    assert locked.wait_until == T0 + timedelta(seconds=30)
    # While it lasts, even the right PIN is refused, without being checked or counted.
    during = authenticate(store, "小王", "1357", now=T0 + timedelta(seconds=29))
    assert not during.ok and during.wait_until == T0 + timedelta(seconds=30)
    again = authenticate(store, "小王", "0000", now=T0 + timedelta(seconds=30))  # fourth: the wait doubles
    assert again.wait_until == T0 + timedelta(seconds=90)
    assert authenticate(store, "小王", "1357", now=T0 + timedelta(seconds=90)).ok
    assert authenticate(store, "小王", "0000", now=T0 + timedelta(seconds=91)).wait_until is None  # count reset
    actions = _actions(staffed)
    assert actions.count(("login_failed", "小王")) == 5 and actions.count(("locked_out", "小王")) == 2
    assert ("login", "小王") in actions
    assert audit.verify(store).intact


def test_an_owner_ends_a_lock_out_by_setting_a_new_pin(staffed: Registry) -> None:
    store = staffed.store
    for _ in range(3):
        authenticate(store, "小王", "0000", now=T0)
    set_pin(store, "小王", "4321", actor="老板", now=T0)
    assert authenticate(store, "小王", "4321", now=T0).ok


def test_an_unknown_name_is_refused_and_audited_without_the_name(staffed: Registry) -> None:
    login = authenticate(staffed.store, "张三 11010519491231002X", "1234")
    assert not login.ok and login.problem is not None and login.problem.code == "operator.wrong"
    last = audit.entries(staffed.store)[-1]
    assert (last.action, last.operator) == ("login_failed", "?")
    assert "张三" not in repr(audit.entries(staffed.store))