"""The notebooks keep what teaches and import the rest from companion.

* no function or class is defined in two notebooks (a helper two chapters need lives in companion);
* no notebook defines a function or class under the name of a public companion function or class,
  and no notebook variable takes the name of a companion module or of a name the notebook imports
  from companion (a reader who sees ``mae`` or ``train`` should find the package's).
Names are read from the code cells' syntax trees (top level of each cell); lambdas assigned to a
name count as function definitions.
"""

import ast
import importlib
import json
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

import companion

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def public_names():
    """Every public function and class of every companion module, and the names of companion's
    top-level modules and subpackages."""
    functions = set()

    def visit(module):
        for name in dir(module):
            value = getattr(module, name)
            if name.startswith("_"):
                continue
            if getattr(value, "__module__", "") and str(getattr(value, "__module__", "")).startswith("companion") \
                    and callable(value):
                functions.add(name)
        if hasattr(module, "__path__"):
            for info in pkgutil.iter_modules(module.__path__):
                visit(importlib.import_module(f"{module.__name__}.{info.name}"))

    visit(companion)
    modules = {info.name for info in pkgutil.iter_modules(companion.__path__)}  # companion.X
    return functions, modules


def code_cells(path):
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            yield index, ast.parse("\n".join(lines))


def definitions(tree):
    """(name, kind) of the functions, classes and lambdas a cell defines at its top level."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            yield node.name, "def"
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, "def"


def assigned(tree):
    """Names a cell binds at its top level by assignment or as a for-loop target."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    yield sub.id


def imported_from_companion(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("companion"):
            for alias in node.names:
                yield alias.asname or alias.name


def test_the_book_has_notebooks():
    assert len(NOTEBOOKS) >= 9


def test_no_function_is_defined_in_two_notebooks():
    where = defaultdict(set)
    for path in NOTEBOOKS:
        for _, tree in code_cells(path):
            for name, _ in definitions(tree):
                where[name].add(path.name)
    twice = {name: sorted(books) for name, books in where.items() if len(books) > 1}
    assert not twice, f"defined in more than one notebook (move them into companion): {twice}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_shadows_a_companion_name(path):
    functions, modules = public_names()
    cells = list(code_cells(path))
    from_companion = {name for _, tree in cells for name in imported_from_companion(tree)}
    problems = []
    for index, tree in cells:
        for name, _ in definitions(tree):
            if name in functions or name in modules:
                problems.append(f"cell {index} defines {name!r}, a companion name")
        for name in assigned(tree):
            if name in modules or name in from_companion:
                problems.append(f"cell {index} assigns {name!r}, a companion module or a name imported from it")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_pinned_cell_keeps_its_output(path):
    """nbval compares a ``# NBVAL_CHECK_OUTPUT`` cell's output with the one stored in the notebook; a cell
    stored without one would pin nothing (refresh it: tools' nbtool refresh, or run the notebook and save)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    empty = [cell.get("id", i) for i, cell in enumerate(cells) if cell["cell_type"] == "code"
             and "".join(cell["source"]).startswith("# NBVAL_CHECK_OUTPUT") and not cell.get("outputs")]
    assert not empty, f"{path.name}: NBVAL_CHECK_OUTPUT cells stored without their output: {empty}"
