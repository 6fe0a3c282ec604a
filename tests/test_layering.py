"""The one-way data flow is enforced, not hoped for (after Harlequin's import contracts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(code: str) -> set[str]:
    """Top-level module names loaded by running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_contracts_hold() -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].split("kept")[0]


def test_headless_packages_never_load_the_ui_toolkit() -> None:
    loaded = _loaded_after("import agent.register.registry, agent.store.opening, agent.cli, protocol, uploader, receiver")
    assert not loaded & {"textual", "rich", "tui"}


def test_help_is_fast_because_it_loads_no_heavy_parts() -> None:
    loaded = _loaded_after("from click.testing import CliRunner\nfrom agent.cli import main\n"
                           "assert CliRunner().invoke(main, ['--help']).exit_code == 0")
    assert not loaded & {"sqlmodel", "sqlalchemy", "textual", "aiohttp", "cryptography", "apscheduler", "alembic"}


def _import_cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's strongly connected
    components over grimp's graph, which counts imports inside functions; TYPE_CHECKING ones excluded)."""
    import grimp

    graph = grimp.build_graph("agent", "tui", "uploader", "receiver", "protocol", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_module_imports_itself_through_others() -> None:
    assert _import_cycles() == []
