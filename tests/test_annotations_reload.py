"""A fix that changes a function's annotations: afterwards they are the new ones.

On 3.14 (PEP 649) annotations are computed lazily by the function's
``__annotate__`` and then cached in ``__annotations__``; swapping only
``__code__`` would keep both from the old ``def``. Before 3.14 the old dict
stayed. Either way ``inspect.signature`` would describe code that no longer runs.
"""

from __future__ import annotations

import re
import sys

from scenario import PROMPT


def test_reloaded_function_has_the_new_annotations(session):
    s = session("annotations")
    before = s.prompt()
    assert (
        "before: {'x': <class 'int'>, 'scale': <class 'float'>, 'return': <class '__main__.Meters'>}"
        in before
    )
    s.fix()
    s.send("c")
    s.expect(r"result: 6\.0\r?\n")
    s.expect(
        r"after: \{'x': <class 'float'>, 'scale': <class 'int'>, "
        r"'return': <class '__main__\.Feet'>\}\r?\n"
    )
    s.expect(r"signature: \(x: float, scale: int = 2\) -> __main__\.Feet\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1


def test_new_annotations_are_evaluated_when_plain_python_would(session):
    # 3.14 (PEP 649): not when the def runs, only when read, so the reload must not
    # evaluate them either; before 3.14: when the def runs, i.e. during the reload. Once.
    s = session("annotations_lazy")
    s.prompt()
    s.fix()
    s.send("c")
    out = s.finish(0)
    lines = [
        line
        for line in out.replace("\r", "").splitlines()
        if line.startswith(("evaluating", "result:", "reading", "after:"))
    ]
    evaluated = ["evaluating annotation x", "evaluating annotation return"]
    if sys.version_info >= (3, 14):
        expected = ["result: 6.0", "reading annotations", *evaluated]
    else:
        expected = [*evaluated, "result: 6.0", "reading annotations"]
    assert lines == [*expected, "after: {'x': 'x', 'return': 'return'}"]
