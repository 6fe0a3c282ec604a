"""Opening a home's store: find the master key, connect, bring the schema up to date; joining a site.

The master key is made once, when the store is first created, and the database keeps a check value
sealed with it. A store whose key is missing or different is refused with a message that says so;
a new key is never minted over existing encrypted data (that would make every record unreadable).

A site with several desks keeps one store in PostgreSQL (`database_url`). The first desk creates it
(`dengji init --database-url`); every other desk joins it (`join_site`, `dengji join`) with the master
key carried from a desk that has it in a passphrase-protected transfer file (`agent.secrets.keytransfer`).
A desk pointed at a database that holds no store yet is refused rather than left to create one: two
desks creating the same store would each mint a key, and one desk's records would be unreadable to the
other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError, NoSuchModuleError, OperationalError
from sqlmodel import Session, select

from agent.domain.errors import DiskFull, KeystoreError, StoreError, VaultError
from agent.home.config import DATABASE_FILE, Config, has_store, load_config, save_config
from agent.home.private import private_database, private_folder
from agent.secrets.keystore import MASTER_KEY_NAME, Keystore, open_keystore
from agent.store import migrate
from agent.store.database import (
    Store,
    engine_url,
    is_disk_full,
    is_postgres,
    lock,
    make_engine,
    sqlite_path,
    stored_suite,
)
from agent.store.models import Meta
from agent.store.vault import Vault, new_master_key

VAULT_CHECK_KEY = "vault_check"  # the `meta` row holding a text sealed with the master key
_CHECK = VAULT_CHECK_KEY
_CHECK_TEXT = "dengji vault check"

def _no_site_store() -> StoreError:
    return StoreError("这个数据库里还没有登记库。第一台电脑请运行 dengji init --database-url 地址；其他前台请在已有的"
                      "电脑上运行 dengji keys export，再在本机运行 dengji join",
                      "this database holds no store yet: on the first desk run `dengji init --database-url URL`; "
                      "to add a desk to an existing site, run `dengji keys export` on a desk that has the key, then "
                      "`dengji join` here", code="store.no_site_store")


def key_matches(vault: Vault, sealed_check: bytes) -> bool:
    """True when the store's check value opens with this vault's key (the key belongs to the data)."""
    try:
        return vault.open(sealed_check, "meta.vault_check") == _CHECK_TEXT
    except VaultError:
        return False


def open_store(
    home: Path,
    config: Config | None = None,
    *,
    create: bool = False,
    prompt: Callable[[], str] | None = None,
) -> Store:
    """Open (or with `create`, make) the store of `home`.

    Raises StoreError with a bilingual message when the store does not exist and `create` is false, or
    when the key is missing or does not match the database.
    """
    config = config or load_config(home)
    url = config.database_url_for(home)
    is_sqlite = url.startswith("sqlite")
    if not create and not has_store(home, config):
        raise StoreError(f"这里还没有登记库: {home}。请先运行 dengji init", f"no store in {home} yet: run `dengji init` first",
                         code="store.missing")
    private_folder(home)
    keystore = _open_keystore(home, config, prompt)
    if is_sqlite and not config.database_url:
        private_database(home / DATABASE_FILE)  # before SQLite makes it and its WAL with the umask's mode
    engine = connect(url)
    try:
        if not is_sqlite and _revision(engine, url) is None and not create:
            raise _no_site_store()
        try:
            master_key = keystore.get(MASTER_KEY_NAME)
        except KeystoreError as exc:
            raise StoreError.from_problem(exc.problem) from None
        # The key is checked before the migrations, which may re-seal fields with it (0009).
        vault = Vault(master_key) if master_key is not None else None
        try:
            check = _vault_check(engine) if _revision(engine, url) is not None else None
            if check is not None and (vault is None or not _opens(vault, check)):
                raise _key_mismatch() if vault is not None else _key_missing(is_sqlite)
            migrate.upgrade(engine, backup_dir=home / "backups" if is_sqlite else None, vault=vault)
            check = _vault_check(engine)
        except DatabaseError as exc:
            raise _unusable(exc, url, sqlite_path(engine)) from None
        if master_key is None:
            if check is not None:
                raise _key_missing(is_sqlite)
            master_key = new_master_key()
            keystore.set(MASTER_KEY_NAME, master_key)
        vault = Vault(master_key, _suite(engine))
        store = Store(engine, vault, keystore)
        if check is None:
            if not store.write(lambda session: _claim(session, vault)):
                raise StoreError("另一台电脑刚刚在这个数据库里建立了登记库。请改用 dengji join 加入",
                                 "another desk set up a store in this database at the same moment: add this desk "
                                 "with `dengji join` instead", code="store.claimed")
        elif not _opens(vault, check):
            raise _key_mismatch()
    except BaseException:
        engine.dispose()
        raise
    return store


def _key_missing(is_sqlite: bool) -> StoreError:
    join_zh, join_en = ("", "") if is_sqlite else _JOIN_HINT
    return StoreError("找不到这个登记库的密钥，数据无法解密。请恢复密钥环或密钥文件" + join_zh,
                      "the key of this store is missing, so its data cannot be decrypted: restore the OS "
                      "keyring entry or keys.enc from a backup" + join_en, code="store.key_missing")


def _key_mismatch() -> StoreError:
    return StoreError("密钥与登记库不匹配：密钥环条目或密钥文件不是这个登记库的",
                      "the key does not match this store: wrong keyring entry or key file", code="store.key_mismatch")


_JOIN_HINT = ("。若这是同一场所的另一台前台，请用 dengji join 加入",
              "; if this is another desk of the same site, add it with `dengji join`")


def join_site(home: Path, url: str, master_key: bytes, prompt: Callable[[], str] | None = None) -> Store:
    """Make `home` a desk of the site whose store is at `url`, with the site's `master_key`.

    Nothing is written unless the key opens that store. A home that already keeps a register of its
    own (its SQLite file, or another site's database) is refused: its key must not be replaced.
    """
    config = load_config(home)
    if (home / DATABASE_FILE).exists() or (config.database_url and config.database_url != url):
        raise StoreError(f"{home} 里已经有自己的登记库，不能加入别的场所。请用一个新的数据目录 (--home)",
                         f"{home} already holds a register of its own: join from a new, empty data directory "
                         "(--home DIR)", code="store.join_own_register")
    if not is_postgres(url):
        raise StoreError("加入的数据库地址应以 postgresql:// 开头", "the site's database URL must start with postgresql://",
                         code="store.join_url")
    engine = connect(url)
    try:
        if _revision(engine, url) is None:
            raise _no_site_store()
        check = _vault_check(engine)
    finally:
        engine.dispose()
    if check is None:
        raise _no_site_store()
    if not _opens(Vault(master_key), check):
        raise StoreError("这个密钥文件不属于该数据库里的登记库",
                         "the transfer file holds the key of another store, not of the one in this database",
                         code="store.join_wrong_key")
    private_folder(home)
    keystore = _open_keystore(home, config, prompt)
    try:
        keystore.set(MASTER_KEY_NAME, master_key)
    except KeystoreError as exc:
        raise StoreError.from_problem(exc.problem) from None
    config.database_url = url
    save_config(home, config)
    return open_store(home, config, prompt=prompt)


def _open_keystore(home: Path, config: Config, prompt: Callable[[], str] | None) -> Keystore:
    """The home's key store; a key store that cannot be opened means the store cannot be (`StoreError`)."""
    try:
        keystore, _backend = open_keystore(home, config.keystore, prompt)
    except KeystoreError as exc:
        raise StoreError.from_problem(exc.problem) from None
    return keystore


def connect(url: str) -> Engine:
    """An engine for the store at `url`, with a clear message when the driver is missing."""
    try:
        return make_engine(url)
    except (ModuleNotFoundError, NoSuchModuleError):
        raise StoreError("要使用 PostgreSQL，请安装 psycopg: pip install 'dengji[postgres]'",
                         "PostgreSQL needs the psycopg package: pip install 'dengji[postgres]'",
                         code="store.no_driver") from None


def _unusable(exc: DatabaseError, url: str, path: str | None) -> StoreError:
    """A database that cannot be opened, said plainly: a full disk, a damaged or foreign SQLite file, a
    database server that refuses us."""
    if is_disk_full(exc, path):
        return DiskFull()
    reason = str(exc.orig).strip().splitlines()[0]  # the database's own words; parameters are hidden
    if path is None:
        where = make_url(engine_url(url)).render_as_string(hide_password=True)
        return StoreError(f"无法打开数据库 {where}: {reason}", f"cannot open the database {where}: {reason}",
                          code="store.unopenable")
    return StoreError(f"登记库无法打开: {path} ({reason})。请运行 dengji doctor 检查，必要时用 dengji restore 从备份恢复",
                      f"the store cannot be opened: {path} ({reason}); run `dengji doctor`, and restore a backup "
                      "if it is damaged", code="store.unopenable")


def _revision(engine: Engine, url: str) -> str | None:
    """The schema revision of the database, or None when it holds no store; a server that cannot be
    reached is said so, naming the server but never the password."""
    try:
        with engine.connect() as conn:
            return migrate.current_revision(conn)
    except OperationalError as exc:
        if engine.dialect.name == "sqlite":  # a file, not a server: a full disk, a damaged file
            raise _unusable(exc, url, sqlite_path(engine)) from None
        where = make_url(engine_url(url))
        server = f"{where.host}:{where.port or 5432}/{where.database}"
        reason = str(exc.orig).strip().splitlines()[0]
        raise StoreError(f"连不上数据库 {server}，请检查服务器是否运行、地址和密码 - {reason}",
                         f"cannot connect to the database {server}: check that the server runs, the address and "
                         f"the password - {reason}", code="store.unreachable") from None


def _vault_check(engine: Engine) -> Meta | None:
    with Session(engine) as session:
        return session.exec(select(Meta).where(Meta.key == _CHECK)).first()


def _suite(engine: Engine) -> str:
    """The suite the store's fields are sealed with (`agent.duties.at_rest`): `aes` unless set."""
    with Session(engine) as session:
        return stored_suite(session)


def _opens(vault: Vault, check: Meta) -> bool:
    try:
        return vault.open(check.value, "meta.vault_check") == _CHECK_TEXT
    except VaultError:
        return False


def _claim(session: Session, vault: Vault) -> bool:
    """Write the check value of a new store's key, unless another desk did first (False then)."""
    lock(session, _CHECK)  # PostgreSQL: two desks creating the same store at once take turns here
    if session.get(Meta, _CHECK) is not None:
        return False
    sealed = vault.seal(_CHECK_TEXT, "meta.vault_check")
    assert sealed is not None
    session.add(Meta(key=_CHECK, value=sealed))
    return True
