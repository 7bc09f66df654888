"""The data layer's own rules: no re-exports between modules, function-level imports explained."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

DATA = ROOT / "src" / "howbig" / "data"
MODULES = sorted(p for p in DATA.rglob("*.py") if p.name != "__init__.py")


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DATA)))
def test_a_data_module_exports_only_its_own_names(path):
    """Only the packages' ``__init__`` faces repeat names that live in another module."""
    tree = _tree(path)
    imported = {alias.asname or alias.name for node in tree.body
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("howbig")
                for alias in node.names}
    exported = [elt.value for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "__all__" for t in node.targets)
                for elt in node.value.elts]
    assert not set(exported) & imported, f"{path.name} re-exports {set(exported) & imported}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DATA)))
def test_function_level_imports_say_why(path):
    """An import inside a function buys import time or avoids an optional dependency: a
    comment on the line before it (or on it) says so."""
    lines, tree = path.read_text().splitlines(), _tree(path)
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            here = lines[node.lineno - 1] + lines[node.lineno - 2]
            assert "#" in here, f"{path.name}:{node.lineno} imports inside a function, no reason"
