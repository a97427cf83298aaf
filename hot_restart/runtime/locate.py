"""Find one definition in a source file without parsing the whole file.

A reload must not cost a parse of a 13,000-line module, so the definition is
found by a line scan (a regex per ``def``/``class`` line and an indentation
stack), and only its block is parsed.  Only when that shortcut fails (an odd
layout such as a multi-line string at column 0 inside the block) does the
caller fall back to a full parse, which also yields exact syntax errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE_LINE = re.compile(r"^([ \t]*)(\S)")
_HEADER = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Block:
    """Lines ``start..end`` (1-based, inclusive) of a def or class statement."""

    path: tuple[str, ...]
    kind: str  # "def" or "class"
    start: int  # the def/class line itself (decorators are above it)
    end: int
    indent: int


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


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Last line of the block whose header is at ``start``.

    The header itself may span lines (a long signature); the body is every
    following line indented deeper than the header, blank lines and comments
    included, up to the first line at or left of the header's indentation.
    """
    end = start
    depth = _bracket_depth(lines[start - 1])
    number = start
    while depth > 0 and number < len(lines):  # multi-line signature
        number += 1
        depth += _bracket_depth(lines[number - 1])
        end = number
    for number in range(end + 1, len(lines) + 1):
        text = lines[number - 1]
        m = _CODE_LINE.match(text)
        if m is None or m.group(2) == "#":
            continue
        if len(m.group(1).expandtabs()) <= indent:
            break
        end = number
    return end


def _bracket_depth(text: str) -> int:
    code = text.split("#", 1)[0]
    return (
        code.count("(")
        + code.count("[")
        + code.count("{")
        - (code.count(")") + code.count("]") + code.count("}"))
    )


def block_source(lines: list[str], block: Block) -> str:
    """The block as a parseable module whose line numbers equal the file's.

    An indented block is put under a synthetic ``if 1:`` on the line above
    it, so neither columns nor line numbers change.
    """
    body = "".join(lines[block.start - 1 : block.end])
    if block.indent == 0:
        return "\n" * (block.start - 1) + body
    return "\n" * (block.start - 2) + "if 1:\n" + body
