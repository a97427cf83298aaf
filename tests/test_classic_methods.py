"""Methods of a class wrapped with ``wrap_class`` or ``wrap_module()``.

Each kind of class member crashes once, is fixed on disk, and continuing
re-runs it with the original ``self``/``cls``/arguments.  ``method`` also
covers a fix that introduces zero-argument ``super()`` into a method whose
running version had no ``__class__`` cell; ``super`` covers one that had it.
"""

from __future__ import annotations

import re

import pytest
from scenario import PROMPT

MEMBERS = {
    # member: (qualname in the banner, exception repr start, expected output line)
    "method": ("Child.greet", "AttributeError(", "greet: child+base"),
    "super": ("Child.name", "AttributeError(", "name: Child>Base.name"),
    "static": ("Child.double", "NameError(", "double: 8"),
    "class": ("Child.scaled", "AttributeError(", "scaled: 40"),
    "property": ("Child.label", "TypeError(", "label: label:Child"),
}


@pytest.mark.parametrize("api", ["wrap_class", "wrap_module"])
@pytest.mark.parametrize("member", list(MEMBERS))
def test_member_crash_fix_continue(session, api, member):
    qualname, exc, expected = MEMBERS[member]
    s = session("methods", args=["prog.py", api, member])
    before = s.prompt()
    assert f"> hot_restart: __main__.{qualname} raised {exc}" in before
    s.fix()
    s.send("c")
    out = s.finish(0)
    assert out.count(expected) == 2, out  # the re-run, then a later call
    assert "finished" in out
    assert len(re.findall(PROMPT, out)) == 1
