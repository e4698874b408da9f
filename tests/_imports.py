"""What a module's source imports, read from its syntax tree (function-level and
``TYPE_CHECKING`` imports included), for tests of the package's layering."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType


def imported_modules(module: ModuleType) -> set[str]:
    """Names after ``import`` and ``from`` anywhere in ``module``; ``from . import x``
    gives ``"."`` plus the level's dots, ``from .index import y`` gives ``".index"``."""
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names
