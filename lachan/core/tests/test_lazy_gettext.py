"""Strings translated when a module is imported stay in the language active at import time (Vietnamese for
everyone, or English for everyone): class attributes and module constants must use ``gettext_lazy``. This test
reads the source (ast) and lists every ``gettext``/``pgettext``/``ngettext`` call made at import time."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
EAGER = {"gettext", "pgettext", "ngettext", "npgettext"}


def _eager_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {alias.asname or alias.name for alias in node.names if alias.name in EAGER}
    return names


def _calls(node, names):
    """Calls of ``names`` in ``node``, not looking inside functions and lambdas (those run later)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(current, ast.Call) and isinstance(current.func, ast.Name) and current.func.id in names:
            yield current
        stack.extend(ast.iter_child_nodes(current))


def import_time_calls():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _eager_names(tree)
        if not names:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        found += [f"{path.relative_to(PACKAGE.parent)}:{c.lineno}" for c in _calls(item, names)]
                continue
            found += [f"{path.relative_to(PACKAGE.parent)}:{c.lineno}" for c in _calls(node, names)]
    return found


def test_no_string_is_translated_at_import_time():
    assert import_time_calls() == []
