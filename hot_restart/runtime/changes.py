"""What changed in a source file since its code was loaded, definition by definition.

A reload of everything on ``c`` must swap only the definitions whose text
changed (an untouched function keeps its code, its defaults and its line
numbers' meaning), add what is new (a helper, an import, a constant), refuse
what a live program cannot take (a class's new bases or ``__slots__``), and
never run other module-level code again.  And it must stay cheap on a
13,000-line module, so the whole file is never parsed: the lines the two
versions share at the start and at the end are skipped (a C-speed list
comparison), the differing middle is widened to whole top-level statements,
and only that region of each version is parsed.  When the widening cuts a
statement wrongly (a string with lines at column 0), both whole files are
parsed instead, which also gives exact syntax errors.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ReloadException

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_CONTINUATIONS = ("else", "elif", "except", "finally")
_NOT_START = frozenset(("", " ", "\t", "\r", "\n", "\f", "#", ")", "]", "}"))

# A def is named by the classes enclosing it, its name, and its rank among
# same-named siblings (a property's getter is rank 0, its setter rank 1).
DefKey = tuple[str, ...]


def def_key(path: tuple[str, ...], rank: int) -> DefKey:
    return (*path, str(rank))


@dataclass
class ChangedDef:
    path: tuple[str, ...]  # enclosing classes, then the def's name
    rank: int  # among same-named siblings, in source order
    old_text: str
    new_text: str
    #: Its first line (decorators included) in the loaded text: where the
    #: code of the live function(s) running it starts (0: not known).
    old_first: int = 0


@dataclass
class Changes:
    """One file's edits, in the order a reload applies them."""

    changed: list[ChangedDef] = field(default_factory=list)
    # Top-level statements to run in the module namespace, with the name
    # each binds and whether that name is new ("new") or a constant whose
    # literal value changed ("changed").
    run: list[tuple[ast.stmt, list[str], str]] = field(default_factory=list)
    new_methods: list[tuple[str, ...]] = field(default_factory=list)  # class paths
    refused: list[str] = field(default_factory=list)
    not_run: list[int] = field(default_factory=list)  # lines of changed module-level code
    # (first old line, last old line, delta) of unchanged code that moved.
    moved: list[tuple[int, int, int]] = field(default_factory=list)


def compare(
    old: list[str], new: list[str], filename: str, module: str, live: dict[str, object]
) -> Changes:
    """The definitions that differ between two versions of one file.

    ``live`` is the module namespace: a def the region does not show in the
    old version but that the module has (moved from elsewhere in the file)
    is a change, not a new definition.
    """
    out = Changes()
    if old == new:
        return out
    start, old_end, new_end = _region(old, new)
    if new_end - old_end and new_end < len(new):
        out.moved.append((old_end + 1, len(old), new_end - old_end))
    bodies = _changed_statements(old, new, start, old_end, new_end, out)
    if bodies is None:
        out.moved = out.moved[:1]
        old_tree = _parse_region(old, start, old_end, filename)
        new_tree = _parse_region(new, start, new_end, filename)
        if old_tree is None or new_tree is None:
            old_tree = _parse_region(old, 0, len(old), filename)
            new_tree = _parse_region(new, 0, len(new), filename, strict=True)
            if old_tree is None or new_tree is None:
                # The loaded version does not parse alone: nothing to compare with.
                raise ReloadException(
                    f"cannot tell what changed in {filename}; `up` and `restart` a caller"
                )
        bodies = old_tree.body, new_tree.body
    _compare_scope(old, new, bodies[0], bodies[1], (), module, live, out, top=True)
    return out


def _changed_statements(
    old: list[str], new: list[str], start: int, old_end: int, new_end: int, out: Changes
) -> tuple[list[ast.stmt], list[ast.stmt]] | None:
    """The top-level statements of the region whose text differs, each parsed alone.

    Two edits far apart make a region of everything between them; most of
    its statements are unchanged (maybe moved) and are matched by text, not
    parsed.  None when a statement does not parse alone (cut wrongly).
    """
    old_segments = _segments(old, start, old_end)
    old_by_text: dict[str, list[int]] = {}
    for first, end in old_segments:
        old_by_text.setdefault("".join(old[first:end]), []).append(first)
    matched: set[int] = set()
    new_body: list[ast.stmt] = []
    for first, end in _segments(new, start, new_end):
        text = "".join(new[first:end])
        same = old_by_text.get(text)
        if same:
            was = same.pop(0)
            matched.add(was)
            if was != first:
                out.moved.append((was + 1, was + end - first, first - was))
            continue
        parsed = _parse_alone(text, first)
        if parsed is None:
            return None
        new_body.extend(parsed)
    old_body: list[ast.stmt] = []
    for first, end in old_segments:
        if first not in matched:
            parsed = _parse_alone("".join(old[first:end]), first)
            if parsed is None:
                return None
            old_body.extend(parsed)
    return old_body, new_body


def _segments(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """[first, end) of each top-level statement in lines[start:end] (decorators included)."""
    not_start = _NOT_START
    candidates = [i for i in range(start, end) if lines[i][:1] not in not_start]
    firsts = [
        i
        for i in candidates
        if not lines[i].startswith(_CONTINUATIONS)
        and not (i > start and lines[i - 1].startswith("@"))
    ]
    if not firsts or firsts[0] != start:
        firsts.insert(0, start)
    return [(a, b) for a, b in zip(firsts, [*firsts[1:], end], strict=True) if a < b]


def _parse_alone(text: str, first: int) -> list[ast.stmt] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    ast.increment_lineno(tree, first)
    return tree.body


def _region(old: list[str], new: list[str]) -> tuple[int, int, int]:
    """0-based [start, old_end) and [start, new_end): whole top-level statements."""
    limit = min(len(old), len(new))
    start = 0
    # Compare in chunks first: list slices compare in C.
    step = 256
    while start + step <= limit and old[start : start + step] == new[start : start + step]:
        start += step
    while start < limit and old[start] == new[start]:
        start += 1
    old_end, new_end = len(old), len(new)
    while (
        min(old_end, new_end) - step > start
        and old[old_end - step : old_end] == new[new_end - step : new_end]
    ):
        old_end -= step
        new_end -= step
    while old_end > start and new_end > start and old[old_end - 1] == new[new_end - 1]:
        old_end -= 1
        new_end -= 1
    # Widen to whole top-level statements (the prefix and suffix are shared,
    # so both versions widen alike), taking decorators above a def along.
    while start > 0 and not (_top_start(new[start]) and not new[start - 1].startswith("@")):
        start -= 1
    while (
        new_end < len(new)
        and old_end < len(old)
        and not (_top_start(new[new_end]) and not new[new_end - 1].startswith("@"))
    ):
        new_end += 1
        old_end += 1
    return start, old_end, new_end


def _top_start(line: str) -> bool:
    return line[:1] not in _NOT_START and not line.startswith(_CONTINUATIONS)


def _parse_region(
    lines: list[str], start: int, end: int, filename: str, strict: bool = False
) -> ast.Module | None:
    """The region parsed with the file's own line numbers; None if it is cut wrongly."""
    try:
        return ast.parse("\n" * start + "".join(lines[start:end]), filename)
    except SyntaxError as e:
        if strict:
            raise ReloadException(
                f"syntax error in {e.filename}:{e.lineno}: {e.msg}; fix it and continue again"
            ) from None
        return None
    except ValueError:  # a null byte
        if strict:
            raise ReloadException(
                f"{filename} holds a null byte; fix it and continue again"
            ) from None
        return None


def _text(lines: list[str], node: ast.stmt) -> str:
    """A statement's source lines, decorators left out (a reload does not re-apply them)."""
    end = node.end_lineno or node.lineno
    return "".join(lines[node.lineno - 1 : end])


def _ranked(body: list[ast.stmt]) -> Iterator[tuple[int, ast.stmt]]:
    seen: dict[tuple[type, str], int] = {}
    for stmt in body:
        if isinstance(stmt, (*_DEFS, ast.ClassDef)):
            kind = ast.ClassDef if isinstance(stmt, ast.ClassDef) else ast.FunctionDef
            rank = seen.get((kind, stmt.name), 0)
            seen[(kind, stmt.name)] = rank + 1
            yield rank, stmt
        else:
            yield 0, stmt


def _compare_scope(
    old_lines: list[str],
    new_lines: list[str],
    old_body: list[ast.stmt],
    new_body: list[ast.stmt],
    path: tuple[str, ...],
    module: str,
    live: dict[str, object],
    out: Changes,
    top: bool,
) -> None:
    old_defs: dict[tuple[str, int], FunctionNode] = {}
    old_classes: dict[tuple[str, int], ast.ClassDef] = {}
    old_other: dict[str, ast.stmt] = {}
    old_names: set[str] = set()
    for rank, stmt in _ranked(old_body):
        if isinstance(stmt, _DEFS):
            old_defs[(stmt.name, rank)] = stmt
        elif isinstance(stmt, ast.ClassDef):
            old_classes[(stmt.name, rank)] = stmt
        else:
            old_other[ast.dump(stmt)] = stmt
            old_names.update(bound_names(stmt))
    added_methods = False
    pairs = _pair_defs(old_body, new_body, old_lines, new_lines)
    for rank, stmt in _ranked(new_body):
        if isinstance(stmt, _DEFS):
            paired = pairs.get((stmt.name, rank), rank)
            before = old_defs.get((stmt.name, paired)) if paired is not None else None
            rank = paired if paired is not None else rank
            new_text = _text(new_lines, stmt)
            if before is not None:
                if _decorators(before) != _decorators(stmt):
                    # Decorators run where the def is, at import: not again.
                    out.not_run.append(min(d.lineno for d in [*stmt.decorator_list, stmt]))
                old_text = _text(old_lines, before)
                if old_text != new_text:
                    first = min(d.lineno for d in [*before.decorator_list, before])
                    out.changed.append(
                        ChangedDef((*path, stmt.name), rank, old_text, new_text, first)
                    )
                elif before.lineno != stmt.lineno:
                    # From its first decorator: where its code starts
                    # (co_firstlineno), which the shift looks for in the range.
                    first = min(d.lineno for d in [*before.decorator_list, before])
                    end = before.end_lineno or before.lineno
                    out.moved.append((first, end, stmt.lineno - before.lineno))
            elif (
                top
                and stmt.name in live
                and paired is not None
                and not _added(old_lines, new_lines, stmt.name)
            ):
                out.changed.append(ChangedDef((stmt.name,), rank, "", new_text))  # moved here
            elif top:
                out.run.append((stmt, [stmt.name], "new"))
            elif not path:
                out.not_run.append(stmt.lineno)  # new under a top-level `if`: conditional
            else:
                added_methods = True
        elif isinstance(stmt, ast.ClassDef):
            before_cls = old_classes.get((stmt.name, rank))
            if before_cls is None:
                if top and stmt.name not in live:
                    out.run.append((stmt, [stmt.name], "new"))
                elif stmt.name not in {name for name, _ in old_classes}:
                    out.not_run.append(stmt.lineno)
                continue
            compare_class(before_cls, stmt, (*path, stmt.name), module, out)
            _compare_scope(
                old_lines,
                new_lines,
                before_cls.body,
                stmt.body,
                (*path, stmt.name),
                module,
                live,
                out,
                top=False,
            )
        elif ast.dump(stmt) in old_other:
            continue  # unchanged (maybe moved: only its line numbers differ)
        elif top and isinstance(stmt, _COMPOUND):
            _compare_compound(old_lines, new_lines, old_other, stmt, module, live, out)
        elif top:
            _statement(stmt, old_names, old_other, live, out)
        elif not _is_docstring(stmt):
            out.not_run.append(stmt.lineno)
    if added_methods:
        out.new_methods.append(path)


def _pair_defs(
    old_body: list[ast.stmt], new_body: list[ast.stmt], old_lines: list[str], new_lines: list[str]
) -> dict[tuple[str, int], int | None]:
    """Which old def each new one is, among same-named defs of one scope, where
    their number changed: (name, new rank) -> old rank, or None for a new def.

    With as many before as after (the usual edit), each keeps its rank and
    no entry is made.  Otherwise ranks say nothing: a registration added
    among others (``@key.register def _(x: int)``), an overload stub added
    or removed.  An unchanged def is found by its text, then an edited one by
    its decorators and signature, in order; what is left is new, and is run
    (its decorators too, which register it) as any new def.
    """
    old_named: dict[str, list[FunctionNode]] = {}
    new_named: dict[str, list[FunctionNode]] = {}
    for body, named in ((old_body, old_named), (new_body, new_named)):
        for stmt in body:
            if isinstance(stmt, _DEFS):
                named.setdefault(stmt.name, []).append(stmt)
    pairs: dict[tuple[str, int], int | None] = {}
    for name, new in new_named.items():
        old = old_named.get(name, [])
        if len(old) == len(new) or not old:
            continue
        found: list[int | None] = [None] * len(new)
        free = list(range(len(old)))
        for key in (_text, _signature):
            for j, node in enumerate(new):
                if found[j] is None:
                    wanted = key(new_lines, node)
                    i = next((i for i in free if key(old_lines, old[i]) == wanted), None)
                    if i is not None:
                        found[j] = i
                        free.remove(i)
        pairs.update(((name, j), i) for j, i in enumerate(found))
    return pairs


def _added(old_lines: list[str], new_lines: list[str], name: str) -> bool:
    """The file has more top-level defs of ``name`` than before: one outside the
    edited region still defines the live ``name``, and this one is new (a
    ``singledispatch`` registration ``_``), not that one moved here."""
    from .locate import count_blocks

    path = (name,)
    return count_blocks(new_lines, path, "def") > count_blocks(old_lines, path, "def")


def _signature(lines: list[str], node: ast.stmt) -> tuple[str, ...]:
    """What tells siblings apart, as the reload that locates them reads it."""
    from .surrogate import fingerprint

    del lines
    return fingerprint(node)


_COMPOUND = (ast.If, ast.Try, ast.With, ast.For, ast.While)


def _decorators(node: ast.stmt) -> list[str]:
    return [ast.dump(d) for d in getattr(node, "decorator_list", [])]


def _compare_compound(
    old_lines: list[str],
    new_lines: list[str],
    old_other: dict[str, ast.stmt],
    stmt: ast.stmt,
    module: str,
    live: dict[str, object],
    out: Changes,
) -> None:
    """A changed top-level ``if``/``try``/``with``: compare the defs and classes in it.

    Only when the rest of it (with each def and class reduced to its name)
    is unchanged: then the edit is inside its definitions, which reload
    like any other; otherwise the statement is module-level code, not re-run.
    """
    skeleton = _skeleton(stmt)
    old = next(
        (o for o in old_other.values() if isinstance(o, _COMPOUND) and _skeleton(o) == skeleton),
        None,
    )
    if old is None:
        out.not_run.append(stmt.lineno)
        return
    _compare_scope(
        old_lines, new_lines, _definitions(old), _definitions(stmt), (), module, live, out, False
    )


def _definitions(stmt: ast.AST) -> list[ast.stmt]:
    """The defs and classes directly in a compound statement's blocks, in source order."""
    found: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(stmt, name, []):
            if isinstance(child, (*_DEFS, ast.ClassDef)):
                found.append(child)
            elif isinstance(child, (*_COMPOUND, ast.ExceptHandler)):
                found.extend(_definitions(child))
    return found


def _skeleton(stmt: ast.stmt) -> str:
    class Names(ast.NodeTransformer):
        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
            return ast.Expr(ast.Name(node.name, ast.Load()))

        visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

        def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
            return ast.Expr(ast.Name(node.name, ast.Load()))

    import copy

    return ast.dump(Names().visit(copy.deepcopy(stmt)))


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _statement(
    stmt: ast.stmt,
    old_names: set[str],
    old_other: dict[str, ast.stmt],
    live: dict[str, object],
    out: Changes,
) -> None:
    """A changed or new top-level statement: run it if it is an import or a constant."""
    names = bound_names(stmt)
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        out.run.append((stmt, names, "new"))
        return
    if _is_docstring(stmt):
        return
    simple = isinstance(stmt, (ast.Assign, ast.AnnAssign)) and names and stmt.value is not None
    if simple and not (set(names) & (old_names | set(live))):
        out.run.append((stmt, names, "new"))
        return
    if simple and _literal(stmt) and len(names) == 1:
        name = names[0]
        previous = next(
            (s for s in old_other.values() if bound_names(s) == [name] and _literal(s)), None
        )
        # Only a constant still holding the value the old line gave it: one
        # the program rebound or mutated since is state, not a setting.
        if previous is not None and _same_value(live.get(name), previous):
            out.run.append((stmt, names, "changed"))
            return
    out.not_run.append(stmt.lineno)


def bound_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [
            (alias.asname or alias.name.split(".")[0]) for alias in stmt.names if alias.name != "*"
        ]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    if targets and all(isinstance(t, ast.Name) for t in targets):
        return [t.id for t in targets if isinstance(t, ast.Name)]
    return []


def _literal(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    if value is None:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _same_value(current: object, stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    if value is None:
        return False
    try:
        expected = ast.literal_eval(value)
        return type(current) is type(expected) and bool(current == expected)
    except Exception:
        return False


def compare_class(
    old: ast.ClassDef,
    new: ast.ClassDef,
    path: tuple[str, ...],
    module: str,
    out: Changes,
) -> None:
    """Refuse what a live class cannot take: new bases, metaclass or ``__slots__``."""
    name = ".".join(path)
    old_bases = [*map(ast.dump, old.bases), *map(ast.dump, old.keywords)]
    new_bases = [*map(ast.dump, new.bases), *map(ast.dump, new.keywords)]
    if old_bases != new_bases:
        out.refused.append(
            f"{module}.{name}: its base classes changed ({_header(old)} -> {_header(new)}), "
            "but the running class and its instances keep the old ones; restore them and "
            "continue, or `q` and run the program again"
        )
    old_slots, new_slots = _slots(old), _slots(new)
    if old_slots != new_slots:
        out.refused.append(
            f"{module}.{name}: its __slots__ changed, but the running class and its instances "
            "keep the old layout; restore them and continue, or `q` and run the program again"
        )


def _header(node: ast.ClassDef) -> str:
    parts = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    return f"({', '.join(parts)})"


def _slots(node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        if "__slots__" in bound_names(stmt):
            value = getattr(stmt, "value", None)
            return ast.dump(value) if value is not None else None
    return None
