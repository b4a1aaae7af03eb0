"""The dependency rules of docs/architecture.md, checked by parsing every import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_core_imports_only_the_standard_library_and_core() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("core")
        for name in imported_modules(path)
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "core"
    ]
    assert offenders == []


def test_an_adapter_never_imports_another_adapter_or_the_wiring() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("adapters")
        for name in imported_modules(path)
        if name.split(".")[0] in ("adapters", "bots", "config")
    ]
    assert offenders == []


def test_nothing_but_bots_reads_config_and_nothing_imports_bots() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in ("core", "adapters", "config")
        for path in python_files(package)
        for name in imported_modules(path)
        if name.split(".")[0] == "bots" or (package != "config" and name.split(".")[0] == "config")
    ]
    assert offenders == []


def test_the_rule_checker_sees_real_imports() -> None:
    assert "core.models" in imported_modules(ROOT / "core" / "bot.py")
