"""Patch a live class in place with methods added to its source.

The class object keeps its identity (``isinstance`` checks, pickles, and
references held elsewhere stay valid), and a method added in the editor is
visible on instances that already exist.  Only defs whose names the live
class lacks are added; class-level statements do not run again.
"""

from __future__ import annotations

import ast
import sys
from types import CodeType
from typing import Any

from ..transform import instrument_tree, mangle
from .locate import block_source, find_block, note_text


def add_new_methods(
    cls: type,
    lines: list[str],
    filename: str,
    path: tuple[str, ...],
    near: int,
    globals_: dict[str, Any],
) -> list[str]:
    block = find_block(lines, path, "class", near)
    if block is None:
        return []
    try:
        tree = ast.parse(block_source(lines, block), filename)
    except SyntaxError:
        return []
    node = tree.body[0]
    if isinstance(node, ast.If):
        node = node.body[0]
    if not isinstance(node, ast.ClassDef):
        return []
    existing = vars(cls)
    new_defs: list[ast.stmt] = [
        stmt
        for stmt in node.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        and mangle(cls.__name__, stmt.name) not in existing
    ]
    if not new_defs:
        return []
    node.body = new_defs
    node.decorator_list = []
    wrapped: ast.stmt = node
    for name in reversed(path[:-1]):
        outer = ast.ClassDef(name=name, bases=[], keywords=[], body=[wrapped], decorator_list=[])
        if sys.version_info >= (3, 12):
            outer.type_params = []
        wrapped = ast.copy_location(outer, node)
    module = ast.Module(body=[wrapped], type_ignores=[])
    instrument_tree(module)
    ast.fix_missing_locations(module)
    body: CodeType = compile(module, filename, "exec", dont_inherit=True)
    for name in path:
        body = next(c for c in body.co_consts if isinstance(c, CodeType) and c.co_name == name)
    note_text(body, lines)  # at the edited text's lines: not for the shift of moved code
    namespace = dict(vars(cls))
    try:
        exec(body, globals_, namespace)
    except Exception:
        return []
    cell = namespace.pop("__classcell__", None)
    if cell is not None:
        cell.cell_contents = cls
    added = [
        mangle(cls.__name__, d.name)
        for d in new_defs
        if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    for name in added:
        setattr(cls, name, namespace[name])
    return added
