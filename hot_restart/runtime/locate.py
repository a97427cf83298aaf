"""Find one definition in a source file without parsing the whole file.

A reload must not cost a parse of a 13,000-line module, so the definition is
found by a line scan (a regex per ``def``/``class`` line and an indentation
stack), and only its block is parsed.  Only when that shortcut fails (an odd
layout the scan cannot cut) does the caller fall back to a full parse, which
also yields exact syntax errors.

A ``def`` line inside a multi-line string (a code template, a doctest) is
not a definition: one regex pass over the strings and comments before the
last candidate (done in C, about 1% of an ``ast.parse``) tells which lines
start inside a string, and those are neither candidates nor enclosing
headers.  Every candidate is then confirmed by parsing its block.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from types import CodeType

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    import weakref
    from collections.abc import Callable

_CODE_LINE = re.compile(r"^([ \t]*)(\S)")
_HEADER = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)")
# Strings and comments, leftmost first: outside them, a quote or ``#`` always
# starts one, so this is the tokenizer's view of where strings are (prefixes
# such as r or f do not change where a string ends).  An unterminated triple
# quote runs to the end, as the tokenizer would read it.
_STRINGS = re.compile(
    r"""
    \#[^\n]*
  | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
  | \"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
  | '(?:[^'\\\n]|\\.)*'
  | "(?:[^"\\\n]|\\.)*"
    """,
    re.S | re.X,
)


class Strings:
    """Which lines of one text start inside a multi-line string."""

    __slots__ = ("at", "ends", "firsts", "lasts", "line", "lines", "resume", "text")

    def __init__(self, lines: list[str], previous: Strings | None = None) -> None:
        """With ``previous`` (the map of an earlier version of the text), what
        it found before the first changed character is taken over."""
        self.lines = lines
        self.text = "".join(lines)
        self.firsts: list[int] = []  # first line starting inside each string
        self.lasts: list[int] = []  # and its last
        self.ends: list[int] = []  # and the offset just after it
        self.resume = 0  # where the next string or comment may start
        self.line, self.at = 1, 0  # the line number at offset ``at``
        if previous is not None and previous.resume:
            # Trust what ended before the last newline of the common prefix: a
            # string or comment there was decided by the text before it (an
            # unterminated one ran to the old text's end, past this point).
            cut = self.text.rfind("\n", 0, _common_prefix(previous.text, self.text))
            keep = bisect_right(previous.ends, cut) if cut >= 0 else 0
            if keep:
                self.firsts = previous.firsts[:keep]
                self.lasts = previous.lasts[:keep]
                self.ends = previous.ends[:keep]
                self.resume = self.at = self.ends[-1]
                self.line = self.lasts[-1]
            if self.resume < previous.resume <= cut:
                # Scanned up to there, and every string it found is kept.
                self.resume = previous.resume

    def scan(self, end: int) -> None:
        """Find the strings that start before offset ``end``."""
        resume = self.resume
        if end <= resume:
            return
        text = self.text
        count = text.count
        line, at = self.line, self.at
        firsts, lasts, ends = self.firsts, self.lasts, self.ends
        resume = len(text)
        for m in _STRINGS.finditer(text, self.resume):
            start = m.start()
            if start >= end:
                resume = start
                break
            stop = m.end()
            if count("\n", start, stop):
                line += count("\n", at, start)
                at = start
                firsts.append(line + 1)
                lasts.append(line + count("\n", start, stop - 1))
                ends.append(stop)
        self.resume, self.line, self.at = resume, line, at

    def inside_line(self, number: int) -> bool:
        """``inside``, scanning on to line ``number`` first when needed."""
        if self.resume < len(self.text):
            self.scan(sum(map(len, self.lines[: number - 1])) + 1)
        return self.inside(number)

    def inside(self, number: int) -> bool:
        """Whether line ``number`` starts inside a string (scanned part only)."""
        i = bisect_right(self.firsts, number) - 1
        return i >= 0 and number <= self.lasts[i]


_kept_strings: list[Strings] = []  # the last few maps, most recent first


def strings_of(lines: list[str]) -> Strings:
    """The string map of ``lines``, kept for the last few lists seen (a reload
    looks up several paths in the same text, and compares the loaded text
    with the new one), and built on from the most recent one (a reload reads
    a text that mostly equals the one before)."""
    kept = _kept_strings
    for i, strings in enumerate(kept):
        if strings.lines is lines:
            if i:
                kept.insert(0, kept.pop(i))
            return strings
    strings = Strings(lines, kept[0] if kept else None)
    kept.insert(0, strings)
    del kept[4:]
    return strings


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of two texts, compared in C in chunks."""
    n = min(len(a), len(b))
    step = 4096
    at = 0
    while at < n and a[at : at + step] == b[at : at + step]:
        at += step
    if at >= n:
        return n
    low, high = at, min(at + step, n)  # the first difference is in a[low:high]
    while low < high:
        mid = (low + high) // 2
        if a[low : mid + 1] == b[low : mid + 1]:
            low = mid + 1
        else:
            high = mid
    return low


class Block:
    """Lines ``start..end`` (1-based, inclusive) of a def or class statement.

    A plain class, not a dataclass: ``catchers`` uses this module on the first
    handled exception, long before any crash, and ``dataclasses`` imports
    ``inspect``.
    """

    __slots__ = ("end", "header", "indent", "kind", "path", "start")

    def __init__(
        self, path: tuple[str, ...], kind: str, start: int, end: int, indent: int, header: int = 0
    ) -> None:
        self.path = path
        self.kind = kind  # "def" or "class"
        self.start = start  # its first decorator's line, or the def/class line
        self.end = end
        self.indent = indent
        self.header = header or start  # the def/class line itself


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


def count_blocks(lines: list[str], path: tuple[str, ...], kind: str) -> int:
    """How many ``kind`` blocks with this name path the text has (outside strings)."""
    return len(_headers(lines, path, kind))


def _headers(lines: list[str], path: tuple[str, ...], kind: str) -> list[int]:
    """Lines of the ``kind`` headers with this name path, outside strings."""
    strings = strings_of(lines)
    text = strings.text
    needle = re.compile(rf"{kind}[ \t]+{re.escape(path[-1])}\b")
    found = [m.start() for m in needle.finditer(text)]
    if not found:
        return []
    strings.scan(found[-1] + 1)
    numbers: list[int] = []
    counted_to, number = 0, 1  # line numbers are counted incrementally
    for at in found:
        line_start = text.rfind("\n", 0, at) + 1
        lead = text[line_start:at]
        if lead.strip() not in ("", "async"):
            continue
        number += text.count("\n", counted_to, line_start)
        counted_to = line_start
        if not strings.inside(number) and header_path(lines, number, strings) == path:
            numbers.append(number)
    return numbers


def _block(lines: list[str], path: tuple[str, ...], kind: str, number: int) -> Block:
    indent = _indent(lines[number - 1])
    strings = strings_of(lines)
    end = _block_end(lines, number, indent, strings)
    start = _decorated_start(lines, number, indent, strings)
    return Block(path, kind, start, end, indent, number)


def _decorated_start(lines: list[str], number: int, indent: int, strings: Strings) -> int:
    """The line of the first decorator of the header at ``number`` (or itself).

    Decorators are the ``@`` lines at the header's indentation right above
    it; deeper lines between them (a decorator's arguments over several
    lines) are part of them only if another ``@`` line comes above.
    """
    start = number
    for i in range(number - 2, -1, -1):
        m = _CODE_LINE.match(lines[i])
        if m is None or m.group(2) == "#" or strings.inside(i + 1):
            continue
        this = len(m.group(1).expandtabs())
        if this > indent or m.group(2) in ")]}":
            continue
        if this < indent or m.group(2) != "@":
            break
        start = i + 1
    return start


def header_path(lines: list[str], number: int, strings: Strings | None = None) -> tuple[str, ...]:
    """Names of the def/class headers enclosing the header at line ``number``.

    With ``strings`` (scanned up to that line), lines that start inside a
    string are skipped: a docstring's text at column 0 ends no block.
    """
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
        if this >= indent or (strings is not None and strings.inside(i + 1)):
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


def _block_end(lines: list[str], first: int, indent: int, strings: Strings | None = None) -> int:
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
        if len(m.group(1).expandtabs()) <= indent and not (
            strings is not None and strings.inside_line(number)
        ):
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


def parse_header(lines: list[str], block: Block) -> ast.stmt | None:
    """Parse only the header of a def/class (its body replaced by ``pass``)."""
    import ast

    number = block.header
    depth = 0
    while number <= block.end:
        depth += _bracket_delta(lines[number - 1])
        if depth <= 0:
            break
        number += 1
    text = "".join(lines[block.header - 1 : number]).strip()
    try:
        tree = ast.parse(text + "\n    pass\n")
    except (SyntaxError, ValueError):
        return None
    return tree.body[0] if tree.body else None


def block_source(lines: list[str], block: Block) -> str:
    """The block as a parseable module whose line numbers equal the file's.

    An indented block is put under a synthetic ``if 1:`` on the line above
    it, so neither columns nor line numbers change.
    """
    body = "".join(lines[block.start - 1 : block.end])
    if block.indent == 0:
        return "\n" * (block.start - 1) + body
    return "\n" * (block.start - 2) + "if 1:\n" + body


# The text each reloaded or shifted code object refers to, until its file is
# next brought in line as a whole; by id, holding the code (identity is
# checked): hashing a code object hashes its bytecode, too slow for thousands.
_texts: dict[int, tuple[CodeType, list[str]]] = {}


def note_text(code: CodeType, lines: list[str]) -> None:
    """``code`` was compiled from ``lines``, and so was the code nested in it:
    the closures made from it (earlier ones included, once they get it) are
    at that text's lines too."""
    from ..transform import iter_code  # at a reload only: catchers imports this module

    for inner in iter_code(code):
        _texts[id(inner)] = (inner, lines)


def text_of(code: CodeType) -> list[str] | None:
    """The text ``code``'s line numbers refer to, if it was reloaded or moved
    since its file was last loaded as a whole (else: ``loaded_lines``)."""
    kept = _texts.get(id(code))
    if kept is not None and kept[0] is code:
        return kept[1]
    return None


def forget_texts(filename: str) -> None:
    """The file's running code now all refers to its loaded text."""
    for key in [k for k, (code, _) in _texts.items() if code.co_filename == filename]:
        del _texts[key]


def split_lines(text: str) -> list[str]:
    """Lines ending at ``\\n`` only (``str.splitlines`` also splits at form feeds)."""
    return _LINE.findall(text)


_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def decode(data: bytes) -> list[str] | None:
    """A source file's bytes as its lines, decoded as ``importlib`` decodes them
    (coding cookie, BOM); None if they cannot be."""
    # importlib.util's, from where it takes it: importing importlib.util
    # (contextlib, collections) would cost a decision in a running program.
    from _frozen_importlib_external import decode_source

    try:
        return split_lines(decode_source(data))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def loaded_lines(filename: str) -> list[str] | None:
    """The text the code of ``filename`` was loaded from, when hot_restart kept it
    (the import, or the reload that last brought the file in line as a whole)."""
    from . import registry

    loaded = registry.sources.get(filename)
    return _decoded(loaded[1]) if loaded is not None else None


def _decoded(data: bytes) -> list[str] | None:
    """``decode(data)``, remembered for the last few versions of files read
    (a reload of all needs a loaded text twice; decisions read kept ones)."""
    found = _decodings.get(id(data))
    if found is not None and found[0] is data:
        return found[1]
    lines = decode(data)
    if lines is not None:
        if len(_decodings) >= _DECODINGS_KEPT:
            del _decodings[next(iter(_decodings))]
        _decodings[id(data)] = (data, lines)
    return lines


# By id of the bytes, holding them (identity is checked).
_decodings: dict[int, tuple[bytes, list[str]]] = {}
_DECODINGS_KEPT = 16

# Code that may still run in a frame after its function got other code (a
# caller suspended across a reload, a module's body): the text it was
# compiled from, which its file may no longer have; as lines, or as the
# loaded bytes, decoded only if a decision ever reads them (``lines_of``).
# By id, with a weak reference that drops the entry with the code.
_kept: dict[int, tuple[weakref.ref[CodeType], list[str] | bytes]] = {}


def keep_text(code: CodeType) -> None:
    """``code``, and the code nested in it, keep the text they came from (what
    ``text_of`` or the loaded text say now), whatever their file and its
    loaded text say later."""
    import weakref

    from ..transform import iter_code
    from . import registry

    text: list[str] | bytes | None = text_of(code)
    if text is None:
        loaded = registry.sources.get(code.co_filename)
        text = loaded[1] if loaded is not None else None
    if text is None:
        return
    for inner in iter_code(code):
        key = id(inner)
        kept = _kept.get(key)
        if kept is not None and kept[0]() is inner:
            continue
        _kept[key] = (weakref.ref(inner, _forget(key)), text)


def _forget(key: int) -> Callable[[object], None]:
    """The weak reference's callback: the entry goes with its code."""
    return lambda _: _kept.pop(key, None) and None


def lines_of(code: CodeType) -> list[str] | None:
    """The text ``code``'s line numbers refer to, when hot_restart knows it: the
    text it was reloaded or moved to, the one it kept when it was replaced,
    or its file's loaded text.  None: ask ``linecache`` (the file as it is)."""
    found = text_of(code)
    if found is not None:
        return found
    kept = _kept.get(id(code))
    if kept is not None and kept[0]() is code:
        text = kept[1]
        return text if isinstance(text, list) else _decoded(text)
    return loaded_lines(code.co_filename)
