"""The dependency rules of docs/architecture.md, checked by parsing every import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved to absolute names."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    return modules_in(path.read_text(encoding="utf-8"), package)


def modules_in(source: str, package: tuple[str, ...]) -> set[str]:
    """The modules `source`, a module of `package`, imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module:
                    names.add(node.module)
                continue
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                names.add(".".join([*base, *node.module.split(".")]))
            else:
                names.update(".".join([*base, alias.name]) for alias in node.names)
    return names


def adapter_of(path: Path) -> str:
    """The adapter a file belongs to: its module, or the package under adapters/."""
    return path.relative_to(ROOT / "adapters").with_suffix("").parts[0]


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
    # A package adapter (adapters/sql_state/) may import its own modules, nothing else's.
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files("adapters")
        for name in imported_modules(path)
        if name.split(".")[0] in ("bots", "config")
        or (
            name.split(".")[0] == "adapters"
            and (len(name.split(".")) < 2 or name.split(".")[1] != adapter_of(path))
        )
    ]
    assert offenders == []


def test_relative_imports_are_resolved_so_they_cannot_slip_past_the_rules() -> None:
    package = ("adapters", "sql_state")

    assert modules_in("from .codec import x", package) == {"adapters.sql_state.codec"}
    assert modules_in("from .. import console_chat", package) == {"adapters.console_chat"}
    assert modules_in("from ..console_chat import x", package) == {"adapters.console_chat"}
    assert adapter_of(ROOT / "adapters" / "sql_state" / "store.py") == "sql_state"
    assert adapter_of(ROOT / "adapters" / "console_chat.py") == "console_chat"


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


def test_every_user_facing_error_is_a_phrase_in_english_and_korean() -> None:
    # The sentence a person reads comes from core/messages.py in their language: a
    # UserFacingError names a phrase key, never carries English text of its own.
    from core.messages import _CATALOG

    offenders = []
    for package in ("core", "adapters", "bots"):
        for path in python_files(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "UserFacingError"
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                key = node.args[0] if node.args else None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if set(_CATALOG.get(key.value, {})) != {"en", "ko"}:
                        offenders.append(f"{where}: {key.value!r} is not a phrase in en and ko")
                elif not isinstance(key, ast.Name):
                    offenders.append(f"{where}: not a phrase key")
    assert offenders == []
