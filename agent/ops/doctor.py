"""`dengji doctor`: is this installation able to register and report, and if not, what to do.

Each check looks at one thing and says OK, WARN (works now, needs attention) or FAIL (something does not
work), with what it found and, unless OK, what to do in plain words. The checks only read: the database
is opened read-only, no migration runs, no key is made, nothing is sent.

| check        | looks at                                                          |
| ------------ | ----------------------------------------------------------------- |
| `config`     | `config.toml` can be read                                         |
| `disk`       | free space where the home lives                                   |
| `reader`     | the ID card reader: where it answers and its SAM id (a note when none) |
| `store`      | the home has a store (`dengji init` was run) that can be opened   |
| `integrity`  | SQLite's `PRAGMA integrity_check`                                 |
| `schema`     | the schema revision against the one this program knows            |
| `keystore`   | the keyring or key file opens, holds the key, the key fits the data |
| `enrollment` | the device is enrolled and its signing key is there               |
| `platform_address` | (only when it breaks the rule) the platform's address is not https |
| `platform`   | the platform answers its health endpoint                          |
| `clock`      | this machine's clock against the platform's `Date` header         |
| `backlog`    | how long the oldest unsent event has waited                       |
| `rejected`   | events the platform rejected, or that are damaged (quarantined)   |

The network checks come in through `look_at_platform` (made by `uploader.probe`): this module is headless
and never imports the uploader. Exit status (`exit_status`): 0 all OK, 3 warnings only, 1 any FAIL.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from agent.domain.errors import ConfigError, KeystoreError
from agent.home.config import DATABASE_FILE, Config, load_config
from agent.secrets.keystore import (
    KEY_FILE,
    PASSPHRASE_ENV,
    Keystore,
    open_keystore,
    os_keyring_usable,
    passphrase_from_environment,
)
from protocol.platform_url import platform_url_problem

EXIT_OK, EXIT_FAIL, EXIT_WARN = 0, 1, 3

# Free space: a registration takes a few kilobytes, but SQLite needs room for its WAL and the migrations
# copy the whole database first. Below 500 MiB there are weeks left, not years; below 50 MiB a busy day
# or an upgrade can fill it.
DISK_WARN_BYTES = 500 * 2**20
DISK_FAIL_BYTES = 50 * 2**20
# Clock: beyond the platform's window (5 minutes, `protocol.signatures.WINDOW`) every upload is refused;
# a minute off is a clock drifting there.
CLOCK_WARN = timedelta(minutes=1)
# Backlog: a registration should reach the platform within the hour; a day means delivery has stopped.
BACKLOG_WARN = timedelta(hours=1)
BACKLOG_FAIL = timedelta(hours=24)


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One finding: what was looked at, how it stands, what was found and what to do, in zh and en."""

    name: str
    status: Status
    zh: str
    en: str
    todo_zh: str = ""
    todo_en: str = ""
    figure: float | None = None  # what was measured, for scripts: bytes free, seconds of skew or of waiting

    def found(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def todo(self, lang: str) -> str:
        return self.todo_en if lang == "en" else self.todo_zh

    def as_dict(self, lang: str) -> dict[str, str]:
        return {"check": self.name, "status": self.status.value, "found": self.found(lang), "todo": self.todo(lang),
                "figure": self.figure}


TITLES = {
    "config": ("配置文件", "config"), "disk": ("磁盘空间", "disk space"),
    "reader": ("身份证阅读器", "card reader"), "store": ("登记库", "store"),
    "integrity": ("数据库完整性", "database integrity"), "schema": ("数据结构版本", "schema version"),
    "keystore": ("密钥", "keys"), "enrollment": ("设备登记", "enrollment"), "platform_address": ("平台地址", "platform address"), "platform": ("平台连接", "platform"),
    "clock": ("时钟", "clock"), "backlog": ("待上报", "backlog"), "rejected": ("退回记录", "rejected records"),
}


@dataclass(frozen=True)
class PlatformLook:
    """What one look at the platform's health endpoint saw (made by `uploader.probe`)."""

    url: str
    reachable: bool
    reason: str | None = None  # why it failed, safe to show (an exception's class, a refusal code)
    status: int | None = None  # the HTTP status when it answered
    platform_date: datetime | None = None  # its Date header
    sent_at: datetime | None = None  # this machine's clock around the request
    received_at: datetime | None = None
    allowed_skew: timedelta = timedelta(minutes=5)  # the platform refuses signatures further off

    @property
    def healthy(self) -> bool:
        return self.reachable and self.status is not None and 200 <= self.status < 300

    def skew(self) -> timedelta | None:
        """How far this machine's clock is ahead of the platform's (negative: behind)."""
        if self.platform_date is None or self.sent_at is None or self.received_at is None:
            return None
        middle = self.sent_at + (self.received_at - self.sent_at) / 2
        # The Date header counts whole seconds, cut down: the platform's time lies within the next second.
        return middle - (self.platform_date + timedelta(milliseconds=500))


LookAtPlatform = Callable[[str, "str | None", Callable[[], datetime]], PlatformLook]


def exit_status(checks: list[Check]) -> int:
    """0 when every check is OK, 1 when any failed, 3 when some only warn."""
    statuses = {c.status for c in checks}
    return EXIT_FAIL if Status.FAIL in statuses else EXIT_WARN if Status.WARN in statuses else EXIT_OK


# -- the checks -------------------------------------------------------------------------------------------


def check_config(home: Path) -> tuple[Check, Config]:
    try:
        config = load_config(home)
    except ConfigError as exc:
        text = str(exc)
        return Check("config", Status.FAIL, text, text,
                     "改正或删除配置文件中出错的那一行（其余检查按默认配置进行）",
                     "fix or delete the line named in config.toml (the other checks assume the defaults)"), Config()
    if not (home / "config.toml").exists():
        return Check("config", Status.OK, "没有 config.toml，使用默认配置", "no config.toml: the defaults apply"), config
    return Check("config", Status.OK, "config.toml 可以读取", "config.toml reads fine"), config


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def check_disk(home: Path) -> Check:
    where = home
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    found = (f"{where} 所在磁盘剩余 {_size(free)}", f"{_size(free)} free on the disk of {where}")
    todo = ("清理磁盘（删除不用的文件，或把旧备份移到别处）。磁盘满时新的登记会被拒绝",
            "free some space (delete unused files, move old backups elsewhere): on a full disk new "
            "registrations are refused")
    if free < DISK_FAIL_BYTES:
        return Check("disk", Status.FAIL, *found, *todo, figure=free)
    if free < DISK_WARN_BYTES:
        return Check("disk", Status.WARN, *found, *todo, figure=free)
    return Check("disk", Status.OK, *found, figure=free)


def check_reader(config: Config) -> Check:
    """Open the reader the config names (or look for one) and ask its security module for its id.

    Many venues have no reader and type the numbers: when the config names none and none answers, that
    is an OK note. When it names one (`reader_port`, `reader_backend` or `reader_library_path`) and
    nothing answers there, it is a WARN with what to do: registering by hand still works meanwhile.
    Never a FAIL. A reader held by an open dengji window answers "in use", also a WARN.
    """
    from agent.cardreader import ReaderError, open_reader

    backend = config.reader_backend or "serial"
    try:
        with open_reader(config.reader_port or None, baud=config.reader_baud_rate, backend=backend,
                         library_path=config.reader_library_path or None, answer_timeout=1.0) as reader:
            sam = reader.sam_id()
            where = reader.description
    except ReaderError as problem:
        if not config.reader_configured:
            return Check("reader", Status.OK,
                         f"没有找到身份证阅读器，证件号码需手工输入（{problem.text('zh')}）",
                         f"no ID card reader found: numbers are typed by hand ({problem.text('en')})")
        setting = f"reader_backend = {backend}" + (f", reader_port = {config.reader_port}" if config.reader_port else "")
        return Check("reader", Status.WARN,
                     f"配置的读卡器（{setting}）没有应答：{problem.text('zh')}",
                     f"the reader in config.toml ({setting}) does not answer: {problem.text('en')}",
                     "插好读卡器（USB 线、电源），关闭占用它的其他登记窗口，并检查 config.toml 中的 reader_port、"
                     "reader_baud；不确定端口时删去 reader_port，让程序自动查找。读卡器修好之前可以手工输入证件号码",
                     "plug the reader in (USB cable, power), close any other dengji window using it, and check "
                     "reader_port and reader_baud in config.toml; if unsure of the port, remove reader_port to let it "
                     "be found. Until then, type the numbers by hand")
    sam_zh = f"，安全模块号（SAM）{sam}" if sam else ""
    sam_en = f", SAM id {sam}" if sam else ""
    return Check("reader", Status.OK, f"找到身份证阅读器：{where}{sam_zh}", f"ID card reader found at {where}{sam_en}")


@contextmanager
def _read_only(home: Path, config: Config) -> Iterator[Any]:
    """A connection that cannot change the database (SQLite opened with mode=ro)."""
    from sqlalchemy import create_engine

    if config.database_url:
        from agent.store.database import make_engine

        engine = make_engine(config.database_url, pool_size=1)
    else:
        engine = create_engine(f"sqlite:///file:{home / DATABASE_FILE}?mode=ro&uri=true", hide_parameters=True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def check_store(home: Path, config: Config) -> Check:
    if not config.database_url and not (home / DATABASE_FILE).exists():
        return Check("store", Status.FAIL, f"{home} 中还没有登记库", f"there is no store in {home} yet",
                     "运行 dengji init 设置场所（换了新电脑：用 dengji restore 从备份恢复）",
                     "run `dengji init` to set up the venue (a new machine: `dengji restore` a backup)")
    if config.database_url:
        return Check("store", Status.OK, "登记库在 PostgreSQL 上（database_url）", "the store is on PostgreSQL (database_url)")
    return Check("store", Status.OK, f"数据库文件 {home / DATABASE_FILE}", f"database file {home / DATABASE_FILE}")


def check_integrity(conn: Any) -> Check:
    from sqlalchemy.exc import DatabaseError

    try:
        rows = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
    except DatabaseError as exc:
        rows = [str(exc.orig)]
    if rows == ["ok"]:
        return Check("integrity", Status.OK, "数据库完整（integrity_check: ok）", "the database is sound (integrity_check: ok)")
    shown = "; ".join(rows[:3]) + (f" (+{len(rows) - 3})" if len(rows) > 3 else "")
    return Check("integrity", Status.FAIL, f"数据库已损坏: {shown}", f"the database is damaged: {shown}",
                 "停止上传服务，用 dengji restore --force 从最近的备份恢复；没有备份时请联系技术支持，不要删除文件",
                 "stop the uploader service and restore the latest backup with `dengji restore --force`; "
                 "without a backup, call for support and do not delete the files")


def check_schema(conn: Any) -> Check:
    from agent.store import migrate

    revision = migrate.current_revision(conn)
    if revision == migrate.HEAD:
        return Check("schema", Status.OK, f"数据结构为最新版本 {revision}", f"the schema is current ({revision})")
    if revision is None:
        return Check("schema", Status.FAIL, "数据库中没有数据结构版本，不是 dengji 的登记库",
                     "the database has no schema version: it is not a dengji store",
                     "检查配置中的 database_url 或数据目录是否指向正确的位置",
                     "check that database_url or the data directory points to the right place")
    if revision in migrate.known_revisions():
        return Check("schema", Status.WARN, f"数据结构为旧版本 {revision}（最新 {migrate.HEAD}）",
                     f"the schema is older ({revision}, current {migrate.HEAD})",
                     "下次运行 dengji 时会自动升级（升级前会先备份）；停止的服务重新启动即可",
                     "it is upgraded the next time dengji opens the store (a copy is made first): restart the service")
    return Check("schema", Status.FAIL, f"数据结构版本 {revision} 比本程序新（本程序 {migrate.HEAD}）",
                 f"the schema ({revision}) is newer than this program knows ({migrate.HEAD})",
                 "请升级 dengji 到最新版本后再使用", "update dengji to the latest version before using it")


def _keystore(home: Path, config: Config, conn: Any, prompt: Callable[[], str] | None) -> tuple[Check, Keystore | None]:
    """Open the keystore, find the master key and try it on the store's check value."""
    from sqlalchemy import text

    from agent.secrets.keystore import MASTER_KEY_NAME
    from agent.store.opening import VAULT_CHECK_KEY, key_matches
    from agent.store.vault import Vault

    key_file = home / KEY_FILE
    uses_file = config.keystore == "file" or (config.keystore == "auto" and (key_file.exists() or not os_keyring_usable()))
    if uses_file and key_file.exists() and not passphrase_from_environment() and prompt is None:
        return Check("keystore", Status.WARN, "密钥文件 keys.enc 已加锁：没有提供口令，无法检查",
                     "the key file keys.enc is locked: no passphrase was given, so it could not be checked",
                     f"无人值守的上传服务需要口令：设置环境变量 {PASSPHRASE_ENV} 或 systemd 凭据 dengji-passphrase",
                     f"the unattended uploader needs the passphrase: set {PASSPHRASE_ENV} or the systemd "
                     "credential dengji-passphrase"), None
    try:
        keystore, _backend = open_keystore(home, config.keystore, prompt)
        master_key = keystore.get(MASTER_KEY_NAME)
    except KeystoreError as exc:
        text_ = str(exc)
        return Check("keystore", Status.FAIL, text_, text_,
                     "按上面的提示处理；密钥丢失时用 dengji restore 从备份恢复",
                     "do as the message says; if the key is lost, restore a backup with `dengji restore`"), None
    if master_key is None:
        return Check("keystore", Status.FAIL, f"在 {keystore.description} 中找不到登记库的密钥，数据无法解密",
                     f"the store's key is not in {keystore.description}: its data cannot be decrypted",
                     "用 dengji restore 从备份恢复密钥和数据（换了电脑或系统账户时常见）",
                     "restore the keys and data from a backup with `dengji restore` (common after a new "
                     "machine or user account)"), keystore
    row = conn.execute(text("SELECT value FROM meta WHERE key = :key"), {"key": VAULT_CHECK_KEY}).first()
    if row is not None and not key_matches(Vault(master_key), row[0]):
        return Check("keystore", Status.FAIL, f"{keystore.description} 中的密钥与登记库不匹配",
                     f"the key in {keystore.description} does not match the store",
                     "密钥来自另一个登记库：用 dengji restore 恢复配套的备份",
                     "the key belongs to another store: restore the matching backup with `dengji restore`"), keystore
    return Check("keystore", Status.OK, f"密钥可用（{keystore.description}）",
                 f"the key opens the store ({keystore.description})"), keystore


def _device(conn: Any) -> dict[str, Any] | None:
    from sqlalchemy import text

    from agent.store.models import DEVICE_META_KEY

    row = conn.execute(text("SELECT value FROM meta WHERE key = :key"), {"key": DEVICE_META_KEY}).first()
    return json.loads(row[0]) if row is not None else None


def _device_key_stored(conn: Any) -> bool:
    """Whether the store holds the device's signing key (sealed; where enrollment keeps it since several
    desks share one device)."""
    from sqlalchemy import text

    from agent.store.models import DEVICE_KEY_META_KEY

    return conn.execute(text("SELECT 1 FROM meta WHERE key = :key"), {"key": DEVICE_KEY_META_KEY}).first() is not None


def check_enrollment(device: dict[str, Any] | None, key_in_store: bool) -> Check:
    if device is None:
        return Check("enrollment", Status.WARN, "本设备还没有在平台登记，登记记录只保存在本机",
                     "this device is not enrolled: registrations stay on this machine",
                     "向派出所索取登记码，运行 dengji enroll 登记码 --platform 平台地址；之后 doctor 也会检查平台和时钟",
                     "get a code from the police station and run `dengji enroll CODE --platform URL`; "
                     "doctor then checks the platform and the clock too")
    found = (f"设备号 {device.get('device_id')}，平台 {device.get('platform_url')}",
             f"device {device.get('device_id')} at {device.get('platform_url')}")
    if not key_in_store:
        return Check("enrollment", Status.FAIL, found[0] + "，但设备的签名密钥不见了", found[1] + ", but its signing key is missing",
                     "用 dengji restore 从备份恢复，或向派出所申请新的登记码重新登记",
                     "restore a backup with `dengji restore`, or enroll again with a new code")
    return Check("enrollment", Status.OK, *found)


def check_platform_address(url: str) -> Check | None:
    """A warning when the platform's address breaks the rule every part of dengji follows
    (`protocol.platform_url`: https, or plain http to this machine only), e.g. a device enrolled before
    the rule; None when it keeps it. Such an address is not looked at: nothing is sent to it from here."""
    problem = platform_url_problem(url)
    if problem is None:
        return None
    return Check("platform_address", Status.WARN, f"平台地址 {url} 不安全：{problem.zh}", f"the platform address {url} "
                 f"is not safe: {problem.en}",
                 "向派出所核对平台的 https 地址，用新的注册码和平台密钥指纹重新登记：dengji enroll 注册码 --platform "
                 "https://… --fingerprint 指纹",
                 "check the platform's https address with the police station and enroll again with a new code and "
                 "the key fingerprint: `dengji enroll CODE --platform https://... --fingerprint FINGERPRINT`")


def check_platform(look: PlatformLook) -> Check:
    if look.healthy:
        took = ""
        if look.sent_at and look.received_at:
            took = f" ({(look.received_at - look.sent_at).total_seconds() * 1000:.0f} ms)"
        return Check("platform", Status.OK, f"平台 {look.url} 应答正常{took}", f"the platform at {look.url} answers{took}")
    if not look.reachable:
        return Check("platform", Status.FAIL, f"连不上平台 {look.url}（{look.reason}）",
                     f"cannot reach the platform at {look.url} ({look.reason})",
                     "检查网络和平台地址；登记记录会安全地保存在本机，连通后自动补报",
                     "check the network and the platform address; registrations wait safely here and go out "
                     "once it answers")
    return Check("platform", Status.FAIL, f"平台 {look.url} 应答异常（HTTP {look.status}，{look.reason}）",
                 f"the platform at {look.url} answers with an error (HTTP {look.status}, {look.reason})",
                 "稍后再试；一直如此请联系派出所或平台管理员", "try again later; if it persists, call the police "
                 "station or the platform's administrators")


def _duration(delta: timedelta, lang: str) -> str:
    seconds = round(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if lang == "en":
        parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs or not seconds else ""]
    else:
        parts = [f"{hours} 小时" if hours else "", f"{minutes} 分" if minutes else "", f"{secs} 秒" if secs or not seconds else ""]
    return " ".join(p for p in parts if p)


def check_clock(look: PlatformLook) -> Check | None:
    skew = look.skew()
    if skew is None:
        return None
    zh_way, en_way = ("快", "ahead of") if skew > timedelta(0) else ("慢", "behind")
    found = (f"本机时钟比平台{zh_way} {_duration(skew, 'zh')}",
             f"this machine's clock is {_duration(skew, 'en')} {en_way} the platform's")
    figure = round(skew.total_seconds(), 1)
    if abs(skew) <= CLOCK_WARN:
        return Check("clock", Status.OK, f"本机时钟与平台一致（相差 {_duration(skew, 'zh')}）",
                     f"this machine's clock agrees with the platform's (within {_duration(skew, 'en')})",
                     figure=figure)
    window = int(look.allowed_skew.total_seconds() // 60)
    todo = ("校准本机时间：在系统设置中打开“自动设置时间”（NTP 网络校时）",
            "set this machine's clock: turn on automatic time (NTP) in the system settings")
    if abs(skew) > look.allowed_skew:
        return Check("clock", Status.FAIL, found[0] + f"，超过平台允许的 {window} 分钟：上报会被拒绝",
                     found[1] + f", beyond the {window} minutes the platform allows: uploads are refused", *todo,
                     figure=figure)
    return Check("clock", Status.WARN, found[0], found[1], *todo, figure=figure)


def check_backlog(conn: Any, now: datetime) -> Check:
    from sqlalchemy import text

    count, oldest = conn.execute(text(
        "SELECT count(*), min(event.created_at) FROM outbox JOIN event ON event.seq = outbox.event_seq "
        "WHERE outbox.state IN ('pending', 'in_flight')")).one()
    if not count:
        return Check("backlog", Status.OK, "没有待上报的记录", "nothing waits to be sent")
    since = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(str(oldest))
    age = now - (since if since.tzinfo else since.replace(tzinfo=UTC))
    found = (f"{count} 条记录待上报，最早的已等待 {_duration(age, 'zh')}",
             f"{count} events wait to be sent, the oldest for {_duration(age, 'en')}")
    if age <= BACKLOG_WARN:
        return Check("backlog", Status.OK, *found, figure=age.total_seconds())
    sender = conn.execute(text("SELECT holder, expires_at FROM sender_lease")).first()
    running = False
    if sender is not None:
        expires = sender[1] if isinstance(sender[1], datetime) else datetime.fromisoformat(str(sender[1]))
        running = (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) > now
    todo = (("上传程序正在运行：请看上面平台、时钟和设备登记的检查结果，以及 dengji status 的最近错误",
             "the uploader runs: see the platform, clock and enrollment checks above and the last error in "
             "`dengji status`") if running else
            ("没有上传程序在运行：启动上传服务，或运行 dengji agent run（或 dengji send）",
             "no uploader is running: start the uploader service, or run `dengji agent run` (or `dengji send`)"))
    return Check("backlog", Status.FAIL if age > BACKLOG_FAIL else Status.WARN, *found, *todo,
                 figure=age.total_seconds())


def check_rejected(conn: Any) -> Check:
    from sqlalchemy import text

    counts = dict(conn.execute(text(
        "SELECT state, count(*) FROM outbox WHERE state IN ('rejected', 'quarantined') GROUP BY state")).all())
    rejected, quarantined = counts.get("rejected", 0), counts.get("quarantined", 0)
    if quarantined:
        return Check("rejected", Status.FAIL, f"{quarantined} 条记录在本机已损坏，无法上报；{rejected} 条被平台退回",
                     f"{quarantined} stored events are damaged and cannot be sent; {rejected} were rejected",
                     "在终端界面的退回列表中查看，并重新登记这些人员",
                     "look them up in the TUI's rejected list and register those people again")
    if rejected:
        return Check("rejected", Status.WARN, f"{rejected} 条记录被平台退回", f"{rejected} events were rejected by the platform",
                     "在终端界面的退回列表中查看原因，更正后重新上报",
                     "see the reasons in the TUI's rejected list, correct the records and send them again")
    return Check("rejected", Status.OK, "没有被退回的记录", "no rejected events")


# -- all of them ------------------------------------------------------------------------------------------


def diagnose(home: Path, *, look_at_platform: LookAtPlatform | None = None,
             keystore_prompt: Callable[[], str] | None = None,
             clock: Callable[[], datetime] | None = None) -> list[Check]:
    """Run every check that can run, in order; a check that needs what an earlier one found missing is left out."""
    from sqlalchemy.exc import DatabaseError

    now = clock or (lambda: datetime.now(UTC))
    config_check, config = check_config(home)
    checks = [config_check, check_disk(home), check_reader(config)]
    store = check_store(home, config)
    checks.append(store)
    if store.status is Status.FAIL:
        return checks
    try:
        with _read_only(home, config) as conn:
            if not config.database_url:
                checks.append(check_integrity(conn))
                if checks[-1].status is Status.FAIL:
                    return checks
            checks.append(check_schema(conn))
            if checks[-1].status is Status.FAIL:
                return checks
            key_check, keystore = _keystore(home, config, conn, keystore_prompt)
            checks.append(key_check)
            device = _device(conn)
            checks.append(check_enrollment(device, _device_key_stored(conn)))
            url = (device or {}).get("platform_url") or config.platform_url
            address_check = check_platform_address(url) if url else None
            if address_check is not None:
                checks.append(address_check)
            elif url and look_at_platform is not None:
                look = look_at_platform(url, (device or {}).get("ca_file"), now)
                checks.append(check_platform(look))
                clock_check = check_clock(look)
                if clock_check is not None:
                    checks.append(clock_check)
            checks.append(check_backlog(conn, now()))
            checks.append(check_rejected(conn))
    except DatabaseError as exc:
        reason = str(exc.orig)
        checks.append(Check("store", Status.FAIL, f"登记库无法读取: {reason}", f"the store cannot be read: {reason}",
                            "停止上传服务，用 dengji restore --force 从最近的备份恢复",
                            "stop the uploader service and restore the latest backup with `dengji restore --force`"))
    return checks
