"""Which modules the import hook instruments, decided by a precompiled matcher.

The finder asks on every import in the process, so a non-matching name must
cost next to nothing.  Patterns are fnmatch patterns over dotted module
names; ``pkg.*`` also covers ``pkg`` itself, because a package's
``__init__`` is code the user owns too.  The usual shapes (``pkg.*``,
``name``, ``prefix*``) compile to a set and a tuple of prefixes, checked in
C by ``in`` and ``str.startswith``; only other wildcards are folded into one
regex, and only then is ``re`` imported (it costs ~3 ms at start-up).  The
set is published as one immutable ``(patterns, matcher)`` pair, so readers
in other threads never see a half-updated state and need no lock.
"""

from __future__ import annotations

from _thread import allocate_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable

_HINT = "patterns are fnmatch patterns over dotted module names, like 'myapp.*'"


def is_own_module(fullname: str) -> bool:
    """hot_restart's own modules, never instrumented whatever the patterns
    say: instrumenting the runtime would recurse into it."""
    return fullname == "hot_restart" or fullname.startswith("hot_restart.")


def _as_list(patterns: str | Iterable[str]) -> list[str]:
    # A bare string is one pattern, not a sequence of one-letter patterns.
    if isinstance(patterns, (str, bytes)):
        return [patterns]  # bytes is rejected by _validate
    try:
        return list(patterns)
    except TypeError:
        raise ValueError(
            f"hot_restart: invalid patterns {patterns!r}: pass a list of module patterns; {_HINT}"
        ) from None


def _validate(pattern: object) -> str:
    if not isinstance(pattern, str):
        problem = "is not a string"
    elif not pattern:
        problem = "is empty"
    elif any(ch.isspace() for ch in pattern):
        problem = "contains whitespace"
    else:
        return pattern
    raise ValueError(f"hot_restart: invalid pattern {pattern!r} {problem}: {_HINT}")


_WILDCARDS = frozenset("*?[")


class _Matcher:
    __slots__ = ("exact", "prefixes", "regex")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        others: list[str] = []
        for pattern in patterns:
            head, star = (pattern[:-1], True) if pattern.endswith("*") else (pattern, False)
            if _WILDCARDS.intersection(head):
                others.append(pattern)
            elif not star:
                exact.add(head)
            else:
                prefixes.append(head)
                if head.endswith("."):
                    exact.add(head[:-1])  # 'pkg.*' also covers 'pkg'
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.regex: re.Pattern[str] | None = _compile_regex(others) if others else None

    def __call__(self, name: str) -> bool:
        return (
            name in self.exact
            or name.startswith(self.prefixes)
            or (self.regex is not None and self.regex.match(name) is not None)
        )


def _compile_regex(patterns: list[str]) -> re.Pattern[str]:
    import fnmatch
    import re

    def translate(pattern: str) -> str:
        regex = fnmatch.translate(pattern)
        if pattern.endswith(".*"):
            regex += "|" + fnmatch.translate(pattern[:-2])
        return regex

    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns))


class PatternSet:
    """An ordered, duplicate-free set of module patterns with one combined regex."""

    __slots__ = ("_lock", "_state")

    def __init__(self, patterns: str | Iterable[str] = ()) -> None:
        self._lock = allocate_lock()
        self._state: tuple[tuple[str, ...], _Matcher | None] = ((), None)
        self.add(patterns)

    @property
    def patterns(self) -> tuple[str, ...]:
        return self._state[0]

    def add(self, patterns: str | Iterable[str]) -> tuple[str, ...]:
        """Add patterns; returns those that were new, so a caller can undo exactly them."""
        wanted = [_validate(p) for p in _as_list(patterns)]
        with self._lock:
            current = self._state[0]
            new = tuple(dict.fromkeys(p for p in wanted if p not in current))
            if new:
                merged = current + new
                self._state = (merged, _Matcher(merged))
            return new

    def remove(self, patterns: str | Iterable[str]) -> None:
        """Forget patterns; unknown ones are ignored (undoing twice is harmless)."""
        unwanted = set(_as_list(patterns))
        with self._lock:
            current = self._state[0]
            kept = tuple(p for p in current if p not in unwanted)
            if kept != current:
                self._state = (kept, _Matcher(kept) if kept else None)

    def matches(self, name: str) -> bool:
        """Whether ``name`` matches; the finder asks this on every import in the process."""
        matcher = self._state[1]
        return matcher is not None and (
            name in matcher.exact  # the checks of _Matcher.__call__, without a call
            or name.startswith(matcher.prefixes)
            or (matcher.regex is not None and matcher.regex.match(name) is not None)
        )

    def __bool__(self) -> bool:
        return bool(self._state[0])

    def __repr__(self) -> str:
        return f"PatternSet({list(self._state[0])!r})"


def compile_patterns(patterns: str | Iterable[str]) -> PatternSet:
    """Validate ``patterns`` up front, so a typo fails at install time, not silently."""
    return PatternSet(patterns)
