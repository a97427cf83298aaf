"""``wrap_module()`` in an imported module; the fix is made in that module.

``in_1.py`` and ``in_2.py`` (the main program) are the same: only
``helper.py`` is edited.  A reference taken with ``from helper import
parse`` before the crash must run the fix too.
"""

from __future__ import annotations

import re

from scenario import PROMPT


def test_fix_in_imported_module(session):
    s = session("helper_module")
    before = s.prompt()
    assert "> hot_restart: helper.parse raised ZeroDivisionError(" in before
    s.fix("helper_2.py", target="helper.py")
    s.send("c")
    s.expect(r"parsed: 42\r?\n")
    s.expect(r"direct: 10\r?\n")
    out = s.finish(0)
    assert len(re.findall(PROMPT, out)) == 1
