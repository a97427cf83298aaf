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

_DEF_LINE = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)")
_CODE_LINE = re.compile(r"^([ \t]*)(\S)")


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


def index_definitions(lines: list[str]) -> list[Block]:
    """Every def/class header with its enclosing path and its block's extent."""
    headers: list[tuple[int, int, str, str]] = []  # (line, indent, kind, name)
    for number, text in enumerate(lines, 1):
        if "def" not in text and "class" not in text:
            continue
        m = _DEF_LINE.match(text)
        if m:
            headers.append((number, len(m.group(1).expandtabs()), m.group(2), m.group(3)))
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []  # (indent, name) of enclosing headers
    for number, indent, kind, name in headers:
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(n for _, n in stack), name)
        blocks.append(Block(path, kind, number, _block_end(lines, number, indent), indent))
        stack.append((indent, name))
    return blocks


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
    return code.count("(") + code.count("[") + code.count("{") - (
        code.count(")") + code.count("]") + code.count("}")
    )


def find_block(blocks: list[Block], path: tuple[str, ...], near: int) -> Block | None:
    """The block with this name path whose header is nearest to line ``near``.

    Nearest, because lines may have been added or removed above it since the
    running version was compiled.
    """
    best: Block | None = None
    for block in blocks:
        if block.path == path and (best is None or abs(block.start - near) < abs(best.start - near)):
            best = block
    return best


def block_source(lines: list[str], block: Block) -> str:
    """The block as a parseable module whose line numbers equal the file's.

    An indented block is put under a synthetic ``if 1:`` on the line above
    it, so neither columns nor line numbers change.
    """
    body = "".join(lines[block.start - 1 : block.end])
    if block.indent == 0:
        return "\n" * (block.start - 1) + body
    return "\n" * (block.start - 2) + "if 1:\n" + body
