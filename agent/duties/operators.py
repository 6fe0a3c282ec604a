"""Operator accounts: who works the desk, with their own PINs, so that every action names its operator.

Two roles: an `owner` (the landlord, the hotel's manager) manages the accounts; a `clerk` registers,
records departures and exports. The first account is an owner, made by `dengji init --owner`, the TUI's
setup wizard or `dengji operator add NAME --owner` on a store that has none yet. Until then the store
runs as before accounts existed: one unnamed user, recorded as `owner`.

PINs are kept as scrypt hashes (`agent.duties.pin`). Guessing is slowed at the store, not by sleeping: after
`FREE_ATTEMPTS` wrong PINs in a row the account refuses every try until a wait has passed, doubling
with each further wrong PIN up to an hour. The count is kept in the database, so restarting the TUI or
trying from the command line does not reset it; a right PIN, or an owner setting a new PIN, does. Every
login, wrong PIN, lock-out and account change goes into the audit trail (`agent.store.audit`).

>>> [wait_after(n) for n in (1, 2, 3, 4, 12)]
[None, None, datetime.timedelta(seconds=30), datetime.timedelta(seconds=60), datetime.timedelta(seconds=3600)]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from agent.domain import CHINA_TIME
from agent.domain.errors import OperatorError
from agent.domain.problems import Problem
from agent.duties.pin import hash_pin, verify_pin
from agent.store import audit
from agent.store.database import Store
from agent.store.models import OperatorAccount
from agent.validation.pin import check_new_pin

OWNER, CLERK = "owner", "clerk"
ROLES = (OWNER, CLERK)
DEFAULT_OPERATOR = "owner"  # who acts on a store without accounts
SYSTEM = "system"  # the daemon and the retention purge; never an account's name
FREE_ATTEMPTS = 3
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
NAME_LENGTH = 32


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    created_at: datetime
    failed_attempts: int = 0
    locked_until: datetime | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER


@dataclass(frozen=True)
class Login:
    """The outcome of a PIN typed at the lock screen or given to the command line."""

    operator: Operator | None
    problem: Problem | None = None
    wait_until: datetime | None = None  # no try is taken before this time

    @property
    def ok(self) -> bool:
        return self.operator is not None


def wait_after(failures: int) -> timedelta | None:
    """How long an account refuses tries after `failures` wrong PINs in a row (None: no wait)."""
    if failures < FREE_ATTEMPTS:
        return None
    return min(FIRST_WAIT * 2 ** (failures - FREE_ATTEMPTS), LONGEST_WAIT)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _view(row: OperatorAccount) -> Operator:
    return Operator(row.name, row.role, row.created_at, row.failed_attempts, row.locked_until)


def _active(session: Session, name: str) -> OperatorAccount | None:
    return session.exec(select(OperatorAccount).where(OperatorAccount.name == name,
                                                      col(OperatorAccount.removed_at).is_(None))).first()


def _refuse(code: str, zh: str, en: str, field: str | None = None) -> OperatorError:
    return OperatorError(zh, en, code=code, field=field)


# -- reading ---------------------------------------------------------------------------------------


def has_operators(store: Store) -> bool:
    """Whether accounts are in use: then every action needs an operator and a PIN."""
    with store.read() as session:
        return session.exec(select(func.count()).select_from(OperatorAccount)
                            .where(col(OperatorAccount.removed_at).is_(None))).one() > 0


def list_operators(store: Store) -> list[Operator]:
    """The active accounts, owners first."""
    with store.read() as session:
        rows = session.exec(select(OperatorAccount).where(col(OperatorAccount.removed_at).is_(None))
                            .order_by(col(OperatorAccount.role).desc(), col(OperatorAccount.name))).all()
    return [_view(r) for r in rows]


def check_name(name: str) -> Problem | None:
    """What is wrong with a new account's name (None: it will do)."""
    if not name or name != name.strip() or len(name) > NAME_LENGTH or not name.isprintable():
        return Problem("operator.name", f"操作员名称应为 1 到 {NAME_LENGTH} 个字符，不含控制字符，前后无空格",
                       f"an operator's name is 1 to {NAME_LENGTH} characters, without control characters or "
                       "spaces at either end", "name")
    if name.lower() == SYSTEM:
        return Problem("operator.reserved", f"“{SYSTEM}”是系统保留的名称，请换一个",
                       f"'{SYSTEM}' is reserved for the system: choose another name", "name")
    return None


# -- changing accounts -----------------------------------------------------------------------------


def add_operator(store: Store, name: str, role: str, pin: str, *, actor: str | None,
                 now: datetime | None = None) -> Operator:
    """Create an account. `actor` must be an owner - except for the first account, which has no actor
    and must be an owner. A name once used is never given to another person (the trail names them)."""
    problem = check_name(name) or check_new_pin(pin)
    if problem is None and role not in ROLES:
        problem = Problem("operator.role", "角色只能是 owner（店主）或 clerk（操作员）",
                          "the role is owner or clerk", "role")
    if problem is not None:
        raise OperatorError.from_problem(problem)
    pin_hash = hash_pin(pin)  # slow on purpose: outside the write transaction
    moment = _now(now)

    def work(session: Session) -> Operator:
        first = session.exec(select(func.count()).select_from(OperatorAccount)
                             .where(col(OperatorAccount.removed_at).is_(None))).one() == 0
        if first:
            if role != OWNER:
                raise _refuse("operator.first_owner", "第一个操作员必须是店主（owner）",
                              "the first operator must be an owner", "role")
            by = actor or name
        else:
            by = _require_owner(session, actor)
        if session.exec(select(OperatorAccount.id).where(OperatorAccount.name == name)).first() is not None:
            raise _refuse("operator.name_taken", f"名称“{name}”已被使用过，请换一个",
                          f"the name '{name}' is or was in use: choose another", "name")
        row = OperatorAccount(name=name, role=role, pin_hash=pin_hash, created_at=moment)
        session.add(row)
        session.flush()
        audit.append(session, action=audit.OPERATOR_ADDED, operator=by, at=moment,
                     detail={"name": name, "role": role})
        return _view(row)

    return store.write(work)


def remove_operator(store: Store, name: str, *, actor: str, now: datetime | None = None) -> None:
    """Retire an account (owners only). The last owner cannot go: nobody could manage the rest."""
    moment = _now(now)

    def work(session: Session) -> None:
        _require_owner(session, actor)
        row = _active(session, name)
        if row is None:
            raise _unknown(name)
        if row.role == OWNER and _owners(session) == 1:
            raise _refuse("operator.last_owner", "不能删除最后一个店主账号", "the last owner cannot be removed", "name")
        row.removed_at = moment
        row.pin_hash = ""  # nothing left to log in with
        session.add(row)
        audit.append(session, action=audit.OPERATOR_REMOVED, operator=actor, at=moment, detail={"name": name})

    store.write(work)


def set_pin(store: Store, name: str, pin: str, *, actor: str, now: datetime | None = None) -> None:
    """Give an account a new PIN: one's own, or (owners) anyone's. It also ends a lock-out."""
    problem = check_new_pin(pin)
    if problem is not None:
        raise OperatorError.from_problem(problem)
    pin_hash = hash_pin(pin)
    moment = _now(now)

    def work(session: Session) -> None:
        if actor != name:
            _require_owner(session, actor)
        row = _active(session, name)
        if row is None:
            raise _unknown(name)
        row.pin_hash, row.failed_attempts, row.locked_until = pin_hash, 0, None
        session.add(row)
        audit.append(session, action=audit.PIN_CHANGED, operator=actor, at=moment, detail={"name": name})

    store.write(work)


def _owners(session: Session) -> int:
    return session.exec(select(func.count()).select_from(OperatorAccount).where(
        OperatorAccount.role == OWNER, col(OperatorAccount.removed_at).is_(None))).one()


def require_owner(session: Session, actor: str) -> None:
    """Refuse (OperatorError) unless `actor` is an owner - or the store has no accounts, where whoever
    acts is the one user. For settings only owners change (the retention period)."""
    if session.exec(select(func.count()).select_from(OperatorAccount)
                    .where(col(OperatorAccount.removed_at).is_(None))).one():
        _require_owner(session, actor)


def _require_owner(session: Session, actor: str | None) -> str:
    row = _active(session, actor) if actor else None
    if row is None or row.role != OWNER:
        raise _refuse("operator.owner_only", "只有店主（owner）可以管理操作员账号",
                      "only an owner can manage operator accounts")
    return row.name


def _unknown(name: str) -> OperatorError:
    return _refuse("operator.unknown", f"没有名为“{name}”的操作员", f"there is no operator named '{name}'", "name")


# -- logging in ------------------------------------------------------------------------------------


def authenticate(store: Store, name: str, pin: str, *, now: datetime | None = None) -> Login:
    """Check an operator's PIN, counting wrong ones; a locked account is refused without checking.

    The PIN is hashed outside any transaction (scrypt takes a while); the outcome is then written in
    one transaction that looks again, so tries made at once from two desks cannot skip a lock-out.
    """
    moment = _now(now)
    with store.read() as session:
        row = _active(session, name)
    if row is None:
        # Audited under a placeholder: what was typed as a name might be anything, even a guest's name.
        audit.record(store, action=audit.LOGIN_FAILED, operator="?", at=moment, detail={"reason": "unknown_name"})
        return Login(None, _wrong())
    if row.locked_until is not None and row.locked_until > moment:
        return Login(None, _locked(row.locked_until), row.locked_until)
    right = bool(row.pin_hash) and verify_pin(pin, row.pin_hash)

    def work(session: Session) -> Login:
        current = _active(session, name)
        if current is None:
            return Login(None, _wrong())
        if current.locked_until is not None and current.locked_until > moment:
            return Login(None, _locked(current.locked_until), current.locked_until)
        if right:
            session.execute(update(OperatorAccount).where(col(OperatorAccount.id) == current.id)
                            .values(failed_attempts=0, locked_until=None))
            audit.append(session, action=audit.LOGIN, operator=name, at=moment)
            return Login(Operator(current.name, current.role, current.created_at))
        failures = current.failed_attempts + 1
        wait = wait_after(failures)
        until = moment + wait if wait else None
        session.execute(update(OperatorAccount).where(col(OperatorAccount.id) == current.id)
                        .values(failed_attempts=failures, locked_until=until))
        audit.append(session, action=audit.LOGIN_FAILED, operator=name, at=moment, detail={"failures": failures})
        if until is not None:
            audit.append(session, action=audit.LOCKED_OUT, operator=name, at=moment,
                         detail={"seconds": int(wait.total_seconds()) if wait else 0})
            return Login(None, _locked(until), until)
        left = FREE_ATTEMPTS - failures
        return Login(None, Problem("operator.wrong_pin", f"密码不对，还可再试 {left} 次，之后需等待",
                                   f"wrong PIN: {left} more tries before a wait", "pin"))

    return store.write(work)


def _wrong() -> Problem:
    return Problem("operator.wrong", "操作员或密码不对", "wrong operator or PIN", "pin")


def _locked(until: datetime) -> Problem:
    at = until.astimezone(CHINA_TIME).strftime("%H:%M:%S")
    return Problem("operator.locked", f"密码错误次数太多，请在 {at} 之后再试",
                   f"too many wrong PINs: try again after {at}", "pin")
