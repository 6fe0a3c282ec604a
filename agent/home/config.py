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

CONFIG_FILE = "config.toml"
DATABASE_FILE = "dengji.sqlite3"
DEFAULT_OPERATOR = "owner"
OPERATOR_MAX = 64  # the width of `event.operator`


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

    def database_url_for(self, home: Path) -> str:
        return self.database_url or f"sqlite:///{home / DATABASE_FILE}"

    @property
    def operator_name(self) -> str:
        return self.operator or DEFAULT_OPERATOR


class ConfigError(Exception):
    """The config file cannot be used; the message says which key or line and what to do."""


def load_config(home: Path) -> Config:
    """Read `config.toml` from the home; a missing file means all defaults."""
    path = home / CONFIG_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件无法读取: {path}: {exc} (config file cannot be read)") from None
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"配置文件 {path} 中有未知的项: {', '.join(unknown)} (unknown keys in the config file)"
        )
    wrong = [k for k, v in raw.items() if not isinstance(v, str)]
    if wrong:
        raise ConfigError(f"配置文件 {path} 中这些项应为文本: {', '.join(wrong)} (these keys must be strings)")
    config = Config(**raw)
    problem = operator_problem(config.operator)
    if problem:
        raise ConfigError(f"配置文件 {path}: {problem}")
    return config


def operator_problem(name: str) -> str | None:
    """Why `name` cannot be an operator's name, or None when it can."""
    if len(name) > OPERATOR_MAX:
        return f"操作员名称最多 {OPERATOR_MAX} 个字 (the operator's name is at most {OPERATOR_MAX} characters)"
    if any(not c.isprintable() for c in name):
        return "操作员名称不能含控制字符 (the operator's name must not contain control characters)"
    return None


def save_config(home: Path, config: Config) -> None:
    """Write `config.toml` atomically (a power cut leaves the old file or the new, never half of one)."""
    home.mkdir(parents=True, exist_ok=True)
    lines = ["# dengji settings. Empty values take the defaults.\n"]
    for key, value in asdict(config).items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"\n')
    path = home / CONFIG_FILE
    write_atomically(path, "".join(lines).encode("utf-8"))
    os.chmod(path, 0o600)  # a database_url may carry a password: readable by the operator's account only


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
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
