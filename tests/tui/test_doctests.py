"""The examples in the TUI's docstrings run (pytest collects doctests only under `agent/`)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["tui.scanner", "tui.home_facts", "tui.folding",
                                    "tui.widgets.enroll_panel"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted and not result.failed
