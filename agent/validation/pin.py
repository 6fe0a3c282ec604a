"""What an operator's new PIN must be: 4 to 8 digits, typed the same twice.

The rule the TUI checks as the PIN is typed and the accounts check before hashing it
(`agent.duties.pin` keeps the hash).

>>> check_new_pin("12a4").code
'pin.format'
>>> check_new_pin("2468", "2469").code
'pin.mismatch'
>>> check_new_pin("2468", "2468") is None
True
"""

from __future__ import annotations

from agent.domain.problems import Problem


def check_new_pin(pin: str, again: str | None = None) -> Problem | None:
    """What is wrong with a PIN being set (None: it will do)."""
    if not pin.isascii() or not pin.isdigit() or not 4 <= len(pin) <= 8:
        return Problem("pin.format", "密码应为 4 到 8 位数字", "the PIN is 4 to 8 digits", "pin")
    if again is not None and again != pin:
        return Problem("pin.mismatch", "两次输入的密码不一致，请重新输入", "the two PINs differ: type them again",
                       "pin_again")
    return None
