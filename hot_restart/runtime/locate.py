"""Find one definition in a source file without parsing the whole file.

A reload must not cost a parse of a 13,000-line module, so the definition is
found by a line scan (a regex per ``def``/``class`` line and an indentation
stack), and only its block is parsed.  Only when that shortcut fails (an odd
layout such as a multi-line string at column 0 inside the block) does the
caller fall back to a full parse, which also yields exact syntax errors.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast

_CODE_LINE = re.compile(r"^([ \t]*)(\S)")
_HEADER = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)")


class Block:
    """Lines ``start..end`` (1-based, inclusive) of a def or class statement.

    A plain class, not a dataclass: ``catchers`` uses this module on the first
    handled exception, long before any crash, and ``dataclasses`` imports
    ``inspect``.
    """

    __slots__ = ("end", "indent", "kind", "path", "start")

    def __init__(self, path: tuple[str, ...], kind: str, start: int, end: int, indent: int) -> None:
        self.path = path
        self.kind = kind  # "def" or "class"
        self.start = start  # the def/class line itself (or a decorator's, for parse_block)
        self.end = end
        self.indent = indent


def scope_path(qualname: str) -> list[tuple[str, str]]:
    """``A.f.<locals>.g`` -> ``[("A", "class"), ("f", "def"), ("g", "def")]``.

    The last element is the target and always a def; an element followed by
    ``<locals>`` is a def, any other enclosing element is a class.
    """
    parts = qualname.split(".")
    out: list[tuple[str, str]] = []
    for i, name in enumerate(parts):
        if name == "<locals>":
            continue
        last = i == len(parts) - 1
        is_def = last or parts[i + 1] == "<locals>"
        out.append((name, "def" if is_def else "class"))
    return out


def find_blocks(lines: list[str], path: tuple[str, ...], kind: str, near: int) -> list[Block]:
    """Every ``kind`` block with this name path, the nearest to line ``near`` first.

    Nearest, because lines may have been added or removed above it since the
    running version was compiled; all of them, because a getter and a setter
    share a name and the caller tells them apart by signature.  Candidates
    are found by a search for the name in the whole text (done in C), then
    each one's enclosing path is read by walking up to the headers indented
    less than it.
    """
    found = [number for number in _headers(lines, path, kind)]
    found.sort(key=lambda number: abs(number - near))
    return [_block(lines, path, kind, number) for number in found]


def find_block(lines: list[str], path: tuple[str, ...], kind: str, near: int) -> Block | None:
    """The nearest such block (see ``find_blocks``)."""
    numbers = sorted(_headers(lines, path, kind), key=lambda number: abs(number - near))
    return _block(lines, path, kind, numbers[0]) if numbers else None


def enclosing_block(lines: list[str], path: tuple[str, ...], kind: str, inner: int) -> Block | None:
    """The nearest ``kind`` block with this path above line ``inner`` that holds it."""
    above = [number for number in _headers(lines, path, kind) if number <= inner]
    if not above:
        return None
    block = _block(lines, path, kind, above[-1])
    return block if block.end >= inner else None


def _headers(lines: list[str], path: tuple[str, ...], kind: str) -> list[int]:
    text = "".join(lines)
    needle = re.compile(rf"{kind}[ \t]+{re.escape(path[-1])}\b")
    numbers: list[int] = []
    counted_to, number = 0, 1  # line numbers are counted incrementally
    for m in needle.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        lead = text[line_start : m.start()]
        if lead.strip() not in ("", "async"):
            continue
        number += text.count("\n", counted_to, line_start)
        counted_to = line_start
        if header_path(lines, number) == path:
            numbers.append(number)
    return numbers


def _block(lines: list[str], path: tuple[str, ...], kind: str, number: int) -> Block:
    indent = _indent(lines[number - 1])
    return Block(path, kind, number, _block_end(lines, number, indent), indent)


def header_path(lines: list[str], number: int) -> tuple[str, ...]:
    """Names of the def/class headers enclosing the header at line ``number``."""
    m = _HEADER.match(lines[number - 1])
    if m is None:
        return ()
    names = [m.group(3)]
    indent = len(m.group(1).expandtabs())
    for i in range(number - 2, -1, -1):
        if indent == 0:
            break
        text = lines[i]
        code = _CODE_LINE.match(text)
        if code is None or code.group(2) == "#":
            continue
        this = len(code.group(1).expandtabs())
        if this >= indent:
            continue
        indent = this
        header = _HEADER.match(text)
        if header is not None:
            names.append(header.group(3))
        elif this == 0:
            break
    return tuple(reversed(names))


def _indent(text: str) -> int:
    m = _CODE_LINE.match(text)
    return len(m.group(1).expandtabs()) if m else 0


_DEF_STARTS = ("def ", "def\t", "async ", "async\t", "class ", "class\t")


def _block_end(lines: list[str], first: int, indent: int) -> int:
    """Last line of the def/class block whose first line (or decorator) is ``first``.

    The header runs through the decorators and the def/class line up to where
    its brackets close (black puts ``) -> T:`` at the def's own indentation);
    the body is every later line indented deeper, blanks and comments included.
    Brackets are counted naively; a miscount only costs a whole-file parse.
    """
    total = len(lines)
    number = first
    depth = 0
    seen_def = False
    while number <= total:
        text = lines[number - 1]
        if not seen_def and depth <= 0 and text.lstrip().startswith(_DEF_STARTS):
            seen_def = True
        depth += _bracket_delta(text)
        if seen_def and depth <= 0:
            break
        number += 1
    else:
        return total
    end = number
    for number in range(end + 1, total + 1):
        text = lines[number - 1]
        m = _CODE_LINE.match(text)
        if m is None or m.group(2) == "#":
            continue
        if len(m.group(1).expandtabs()) <= indent:
            break
        end = number
    return end


def _bracket_delta(text: str) -> int:
    code = text.split("#", 1)[0]
    return (
        code.count("(")
        + code.count("[")
        + code.count("{")
        - (code.count(")") + code.count("]") + code.count("}"))
    )


def parse_block(lines: list[str], first: int) -> ast.stmt | None:
    """Parse the def/class whose first line (a decorator's, maybe) is ``first``.

    None when the indentation scan cut the block wrongly (it does not parse):
    the caller then parses the whole file.
    """
    import ast

    if not 1 <= first <= len(lines) or (first == 1 and _indent(lines[0])):
        return None
    indent = _indent(lines[first - 1])
    block = Block((), "", first, _block_end(lines, first, indent), indent)
    try:
        tree = ast.parse(block_source(lines, block))
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    if indent and body and isinstance(body[0], ast.If):
        body = body[0].body
    return body[0] if body else None


def block_source(lines: list[str], block: Block) -> str:
    """The block as a parseable module whose line numbers equal the file's.

    An indented block is put under a synthetic ``if 1:`` on the line above
    it, so neither columns nor line numbers change.
    """
    body = "".join(lines[block.start - 1 : block.end])
    if block.indent == 0:
        return "\n" * (block.start - 1) + body
    return "\n" * (block.start - 2) + "if 1:\n" + body
