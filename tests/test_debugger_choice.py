"""Which debugger opens, and what a bad choice gets."""

from __future__ import annotations

import sys

import pytest

from hot_restart.runtime import debuggers


def test_unknown_debugger_gets_one_line_and_pdb(session):
    s = session("basic", env={"HOT_RESTART_DEBUGGER": "gdb"})
    before = s.expect(r"\(Pdb\) ")
    assert (
        "unknown debugger 'gdb' in HOT_RESTART_DEBUGGER; use one of pdb, ipdb, pudb, pydevd"
        in before
    )
    assert before.count("hot_restart: unknown debugger") == 1
    s.send("q")
    s.finish(1)


@pytest.mark.parametrize(
    ("setting", "env", "loaded", "expected"),
    [
        (None, "", set(), "ipdb"),  # installed in the dev environment
        (None, "pdb", set(), "pdb"),
        (None, "DebugPy", set(), "pydevd"),  # an alias: debugpy (installed here) bundles pydevd
        (None, "", {"pydevd"}, "ipdb"),  # imported, but no debug client attached
        ("pdb", "ipdb", set(), "pdb"),  # the setting wins over the environment
        (None, "", {"pudb"}, "pudb"),  # already imported: the user is using it
    ],
)
def test_choice_order(monkeypatch, setting, env, loaded, expected):
    import hot_restart

    monkeypatch.setenv("HOT_RESTART_DEBUGGER", env)
    for name in loaded:
        monkeypatch.setitem(sys.modules, name, object())
    # Not monkeypatch.setattr: undoing it would assign the name it read,
    # turning "automatic" into an explicit choice for later tests.
    hot_restart.DEBUGGER = setting
    try:
        assert debuggers.choose() == expected
        assert hot_restart.DEBUGGER == expected  # reads as what a crash opens
    finally:
        hot_restart.DEBUGGER = None
