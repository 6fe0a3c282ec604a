"""Every error dengji's agent raises, in one tree (after httpx's `_exceptions.py`).

    DengjiError                     a code and a message in Chinese and in English (`problem`)
     +-- ConfigError                `config.toml` cannot be used (agent.home)
     +-- InputError                 what a command was given (a file, standard input) cannot be read (agent.cli)
     +-- TemplateError              a form file cannot be used; names the file and the field (agent.forms)
     +-- InvalidDocument            a document number is not valid (agent.validation; also a ValueError)
     |    +-- InvalidLength         the wrong number of characters
     |    +-- InvalidFormat         characters that do not belong, or a wrong prefix
     |    +-- InvalidChecksum       the check digit or character does not match
     |    +-- InvalidComponent      a part is impossible (a birth date in the future, an unknown province)
     +-- KeystoreError              the keys cannot be reached (agent.secrets)
     |    +-- TransferError         a key transfer file cannot be written or read
     +-- StoreError                 the register cannot be opened or written (agent.store)
     |    +-- DiskFull              the disk is full: nothing was written
     +-- VaultError                 a sealed field does not open with this key (agent.store)
     +-- OperatorError              an account change or a login was refused (agent.duties)
     +-- RetentionError             the retention period cannot be set (agent.duties)
     +-- SheetError                 a spreadsheet cannot be imported (agent.sheets)
     +-- ExportError                the register cannot be exported there (agent.sheets)
     +-- BackupError                a backup cannot be written, read or restored (agent.ops)
     +-- ServiceError               the uploader's service cannot be installed or looked at (agent.ops)
     +-- NotEnrolled                the device has not been enrolled with a platform (uploader)
     +-- ReaderError                an ID card reader's problem (agent.cardreader: its own tree)
     +-- SettingError               a venue setting kept in the store cannot be set (agent.duties)

Each layer raises its own kind; the command line and the TUI catch `DengjiError` and show
`error.text(lang)` where the mistake is, in the user's language. A message is a whole sentence in one
language that says what to do; it never holds a full personal number, so `str(error)` (the English text,
for logs and tracebacks) may be logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Self

from agent.domain.problems import Problem


class DengjiError(Exception):
    """Something the agent could not do, with a stable `code` and a message in each language."""

    default_code: ClassVar[str] = "error"  # each kind's own; a raise may name a finer one

    def __init__(self, zh: str, en: str, *, code: str | None = None, field: str | None = None) -> None:
        self.problem = Problem(code or self.default_code, zh, en, field)
        super().__init__(en)

    @classmethod
    def from_problem(cls, problem: Problem) -> Self:
        """The error that `problem` (a value from a check) makes when it stops the work."""
        error = cls.__new__(cls)
        error.problem = problem
        Exception.__init__(error, problem.en)
        return error

    @property
    def code(self) -> str:
        """What went wrong, stable and machine-readable (`store.missing`, `reader.card_removed`)."""
        return self.problem.code

    @property
    def zh(self) -> str:
        return self.problem.zh

    @property
    def en(self) -> str:
        return self.problem.en

    def text(self, lang: str) -> str:
        """The message in one language (`zh` or `en`)."""
        return self.problem.text(lang)

    def __str__(self) -> str:
        return self.problem.en  # for logs and tracebacks; a person is shown `text(lang)`


class ConfigError(DengjiError):
    default_code = "config.unusable"


class InputError(DengjiError):
    """A file or standard input given to a command that cannot be read: too large, not a regular file,
    not JSON, nested too deep. Said before anything is written."""

    default_code = "input.unusable"


class TemplateError(DengjiError):
    """A form file that cannot be used; every problem names its field (None: the whole file)."""

    default_code = "template.invalid"

    def __init__(self, file: str, problems: Iterable[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__(self._lines("zh"), self._lines("en"))

    @property
    def field(self) -> str | None:
        """The field of the first problem, for callers that show one."""
        return self.problems[0].field if self.problems else None

    def _lines(self, lang: str) -> str:
        return "\n".join(f"{self.file} [{p.field}]: {p.text(lang)}" if p.field else f"{self.file}: {p.text(lang)}"
                         for p in self.problems)


class InvalidDocument(DengjiError, ValueError):
    """A number that is not valid; `problem` says what and how to fix it, `warnings` what else was seen."""

    default_code = "document.invalid"

    def __init__(self, problem: Problem, warnings: list[Problem] | None = None) -> None:
        # Raised on the platform's hot path for every refused number: no Problem is built twice.
        self.problem = problem
        self.warnings = warnings if warnings is not None else []
        Exception.__init__(self, problem.en)


class InvalidLength(InvalidDocument):
    pass


class InvalidFormat(InvalidDocument):
    pass


class InvalidChecksum(InvalidDocument):
    pass


class InvalidComponent(InvalidDocument):
    pass


class KeystoreError(DengjiError):
    default_code = "keys.unavailable"


class TransferError(KeystoreError):
    default_code = "keys.transfer"


class StoreError(DengjiError):
    default_code = "store.unusable"


class DiskFull(StoreError):
    """The disk (or the database's size cap) is full: the write was rolled back, nothing was saved."""

    default_code = "store.disk_full"

    def __init__(self) -> None:
        super().__init__("磁盘已满，本次操作没有保存。请清理磁盘空间后重试",
                         "the disk is full: nothing was saved; free some space and try again")


class VaultError(DengjiError):
    default_code = "store.key_mismatch"


class OperatorError(DengjiError):
    default_code = "operator.refused"


class RetentionError(DengjiError):
    default_code = "retention.refused"


class SheetError(DengjiError):
    default_code = "sheet.unusable"


class ExportError(DengjiError):
    default_code = "export.failed"


class BackupError(DengjiError):
    default_code = "backup.failed"


class ServiceError(DengjiError):
    default_code = "service.failed"


class NotEnrolled(DengjiError):
    default_code = "device.not_enrolled"

    def __init__(self) -> None:
        super().__init__("本设备还没有在平台登记：请运行 dengji enroll 登记码 --platform 地址",
                         "this device is not enrolled: run `dengji enroll CODE --platform URL`")


class SettingError(DengjiError):
    default_code = "setting.refused"
