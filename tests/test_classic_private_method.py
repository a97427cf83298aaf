"""Classes with private (``__name``, name-mangled) methods.

Reloading a method patches the live class with the defs it lacks; the
names in the class dict are mangled (``_Account__check``), the names in the
source are not.
"""

from __future__ import annotations

MANGLING = (
    "classes.add_new_methods compares and looks up unmangled def names ('__check') against "
    "the mangled class dict ('_Account__check'): an existing private method counts as new, "
    "and namespace[name] raises KeyError, which escapes the prompt and kills the program"
)


def test_fixing_a_method_of_a_class_with_a_private_method(session):
    s = session("private_method", args=["prog.py", "existing"])
    assert "> hot_restart: __main__.Account.withdraw raised ZeroDivisionError(" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"left: 7\r?\n")
    s.finish(0)


def test_fix_adds_a_method_using_super_and_a_new_private_method(session):
    s = session("private_method", args=["prog.py", "new"])
    assert "> hot_restart: __main__.Account.report raised AttributeError(" in s.prompt()
    s.fix()
    s.send("c")
    s.expect(r"report: base with 10\r?\n")
    s.finish(0)
