"""Where dengji keeps its files and what the operator chose: the home directory and `config.toml`.

The home is `--home DIR`, else `$DENGJI_HOME`, else the platform's user data directory. It holds
`config.toml`, the SQLite database (unless `database_url` points elsewhere), the encrypted key file when
no OS keyring exists, and the logs. Every test gets its own home, so a user's real data is never touched.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from agent.domain.errors import ConfigError
from agent.domain.problems import Problem
from agent.home.private import private_file, private_folder

CONFIG_FILE = "config.toml"
DATABASE_FILE = "dengji.sqlite3"
DEFAULT_OPERATOR = "owner"
OPERATOR_MAX = 64  # the width of `event.operator`
DEFAULT_READER_BAUD = 115200  # agent.cardreader.DEFAULT_BAUD: most desk readers' serial speed
READER_BACKENDS = ("serial", "library")


def resolve_home(option: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the command-line option wins over `DENGJI_HOME`, which wins over the default."""
    if option:
        return Path(option).expanduser().resolve()
    env = os.environ.get("DENGJI_HOME")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("dengji", appauthor=False))


@dataclass
class Config:
    """The operator's settings. Absent keys take these defaults; unknown keys are an error."""

    database_url: str = ""  # empty: the SQLite file in the home; postgresql://... : a site with several desks
    keystore: str = "auto"  # auto | keyring | file: where the data key lives
    lang: str = ""  # zh | en; empty: from the locale
    platform_url: str = ""
    operator: str = ""  # who works at this desk: written into every event it makes; empty: "owner"
    # The ID card reader (docs/cardreader.md). Empty: serial, the first USB serial port where a reader
    # answers, 115200 baud, the system's sdtapi library. `dengji reader read` and `dengji doctor` use them.
    reader_backend: str = ""  # serial | library
    reader_port: str = ""  # /dev/ttyUSB0, COM3; with the library: its port number (1001 = first USB reader)
    reader_baud: str = ""  # digits
    reader_library_path: str = ""  # the vendor's sdtapi library (reader_backend = library)

    def database_url_for(self, home: Path) -> str:
        return self.database_url or f"sqlite:///{home / DATABASE_FILE}"

    @property
    def operator_name(self) -> str:
        return self.operator or DEFAULT_OPERATOR

    @property
    def reader_configured(self) -> bool:
        """Whether the operator said where the reader is: then a reader that does not answer is a
        problem to report, where without a word it only means the numbers are typed by hand."""
        return bool(self.reader_backend or self.reader_port or self.reader_library_path)

    @property
    def reader_baud_rate(self) -> int:
        """`reader_baud` as a number (checked when the file is read), 115200 when empty."""
        return int(self.reader_baud) if self.reader_baud else DEFAULT_READER_BAUD


def has_store(home: Path, config: Config) -> bool:
    """Whether `home` keeps a register: its SQLite file, or a site's database named in its config.

    Cheap on purpose (no database is touched): the TUI decides with it whether the first screen is the
    setup wizard before anything heavy is loaded.
    """
    return bool(config.database_url) or (home / DATABASE_FILE).exists()


def load_config(home: Path) -> Config:
    """Read `config.toml` from the home; a missing file means all defaults."""
    path = home / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件无法读取: {path}: {exc}", f"the config file cannot be read: {path}: {exc}",
                          code="config.unreadable") from None
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"配置文件 {path} 中有未知的项: {', '.join(unknown)}",
                          f"unknown keys in the config file {path}: {', '.join(unknown)}", code="config.unknown_key")
    wrong = [k for k, v in raw.items() if not isinstance(v, str)]
    if wrong:
        raise ConfigError(f"配置文件 {path} 中这些项应为文本: {', '.join(wrong)}",
                          f"these keys of the config file {path} must be text: {', '.join(wrong)}",
                          code="config.not_text")
    config = Config(**raw)
    problem = operator_problem(config.operator) or reader_problem(config)
    if problem:
        raise ConfigError(f"配置文件 {path}: {problem.zh}", f"the config file {path}: {problem.en}", code=problem.code)
    return config


def operator_problem(name: str) -> Problem | None:
    """Why `name` cannot be an operator's name, or None when it can."""
    if len(name) > OPERATOR_MAX:
        return Problem("config.operator.too_long", f"操作员名称最多 {OPERATOR_MAX} 个字",
                       f"the operator's name is at most {OPERATOR_MAX} characters", "operator")
    if any(not c.isprintable() for c in name):
        return Problem("config.operator.characters", "操作员名称不能含控制字符",
                       "the operator's name must not contain control characters", "operator")
    return None


def reader_problem(config: Config) -> Problem | None:
    """Why the reader settings cannot be used, or None: caught when the file is read, so that `dengji
    reader read` and `dengji doctor` never meet a baud rate that is not a number."""
    if config.reader_backend and config.reader_backend not in READER_BACKENDS:
        return Problem("config.reader_backend", f"reader_backend 应为 serial 或 library，现在是 {config.reader_backend}",
                       f"reader_backend is serial or library, not {config.reader_backend}", "reader_backend")
    if config.reader_baud and not (config.reader_baud.isascii() and config.reader_baud.isdigit()
                                   and int(config.reader_baud) > 0):
        return Problem("config.reader_baud", f"reader_baud 应为正整数（如 115200），现在是 {config.reader_baud}",
                       f"reader_baud is a positive whole number (115200, say), not {config.reader_baud}",
                       "reader_baud")
    return None


def save_config(home: Path, config: Config) -> None:
    """Write `config.toml` atomically (a power cut leaves the old file or the new, never half of one)."""
    private_folder(home)
    lines = ["# dengji settings. Empty values take the defaults.\n"]
    for key, value in asdict(config).items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"\n')
    path = home / CONFIG_FILE
    write_atomically(path, "".join(lines).encode("utf-8"))
    os.chmod(path, 0o600)  # a database_url may carry a password: readable by the operator's account only


def ensure_config(home: Path) -> None:
    """Write `config.toml` with the defaults when the home has none yet, so the command line and the TUI
    find the same settings file after a set-up (an existing file is left as it is)."""
    if not (home / CONFIG_FILE).exists():
        save_config(home, load_config(home))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(private_file(tmp), "wb") as f:  # 0600 from the start: the home's files are this user's only
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
