"""Property-based differential test: a generated function behaves the same
with and without the trampoline transform (when nothing prompts).

Functions are built from a small grammar of statement templates (rebinding
parameters, branches, bounded loops, try/except/finally, closures,
comprehensions, context managers, raises, yields); each is compiled plainly
and through ``instrument_source`` and called with the same arguments.  The
results, the exceptions (type and args), a generator's items, and the line
numbers in tracebacks must all be equal.
"""

from __future__ import annotations

import contextlib
import textwrap
import traceback
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hot_restart.transform import HANDLER_NAME, instrument_source

TEMPLATES = [
    "a = a + {n}",
    "b += {n}",
    "if a > {n}:\n    a = a - b\nelse:\n    b = b * 2",
    "for i in range({k}):\n    a += i",
    "try:\n    a = a // (b - {n})\nexcept ZeroDivisionError:\n    a = -1\nfinally:\n    b = b + 1",
    "def g(x):\n    return x + a\nb = g(b)",
    "if a == {n}:\n    raise ValueError(a, b)",
    "c = [x * 2 for x in range(b % 5)]\na += len(c)",
    "with contextlib.nullcontext(a) as a:\n    b = b - 1",
    "n = 0\nwhile b < 50 and n < {k}:\n    b += 7\n    n += 1",
    "a = 100 // (a - {n})",
    "rest = rest + (a,)\nkw['x'] = b",
    "try:\n    raise KeyError(a)\nexcept KeyError as e:\n    b = len(e.args)",
    "a, b = b, a",
    "lam = lambda y: y * a\na = lam(2)",
    "b = [1, 2, 3][a]",
    "if b > {n}:\n    raise RuntimeError(b)",
    "a = int('x' if a < {n} else a)",
]
YIELD = "yield a + b"


@st.composite
def programs(draw: Any) -> str:
    count = draw(st.integers(1, 6))
    body: list[str] = []
    for _ in range(count):
        template = draw(st.sampled_from([*TEMPLATES, YIELD]))
        body.append(template.format(n=draw(st.integers(-3, 6)), k=draw(st.integers(0, 4))))
    body.append("return (a, b, len(rest), sorted(kw))")
    indented = textwrap.indent("\n".join(body), "    ")
    return f"import contextlib\n\ndef f(a, b=1, *rest, **kw):\n{indented}\n"


def _run(code: Any, a: int, b: int) -> tuple[str, Any, list[int]]:
    ns: dict[str, Any] = {HANDLER_NAME: lambda *args: True}  # always "re-raise"
    exec(code, ns)
    try:
        value = ns["f"](a, b, 7, x=0)
        if hasattr(value, "__next__"):
            value = list(value)
        return ("value", value, [])
    except Exception as e:
        lines = [
            fs.lineno for fs in traceback.extract_tb(e.__traceback__) if fs.filename == "gen.py"
        ]
        return ("raised", (type(e).__name__, e.args), lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(-4, 8), st.integers(-4, 8))
def test_instrumented_functions_behave_like_plain_ones(source: str, a: int, b: int) -> None:
    plain = compile(source, "gen.py", "exec")
    instrumented = instrument_source(source, "gen.py")
    with contextlib.suppress(RecursionError):
        assert _run(instrumented, a, b) == _run(plain, a, b), source
