"""A fix that changes the signature: the re-run binds the crashed call as
plain Python would bind it to the fixed function (``runtime.callsite``).

How the call passed its arguments (by position, by name, or not at all) is
read from the caller's call site; when it cannot be read (a C caller such
as ``map``), a change that passing them by position would get wrong is
refused in one line.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("case", "output"),
    [
        # swap(b=0, a=7), fixed to def swap(b, a): by name, as called
        ("swap", r"args 0 7\r?\nswap: 0\r?\n"),
        # insert(7, b=0), fixed to def insert(a, c=5, b=1): c takes its default
        ("insert", r"args 7 5 0\r?\ninsert: 1\r?\n"),
        # scale(8), default factor=0 fixed to 2: the call did not pass it
        ("default", r"scale: 4\r?\n"),
        # rename(7, 0), fixed to def rename(a, d): passed by position, it binds
        ("rename", r"rename: 3\r?\n"),
    ],
)
def test_a_changed_signature_binds_the_call_as_it_was_made(session, case, output):
    s = session("call_shape", env={"CASE": case})
    assert "ZeroDivisionError(" in s.prompt()
    s.fix(f"in_{case}.py")
    s.send("c")
    s.expect(output)
    s.expect(r"done\r?\n")
    s.finish(0)


@pytest.mark.parametrize(
    ("case", "refusal", "output"),
    [
        (
            "unread",
            "hot_restart: unread's parameters changed ((a, b) -> (b, a)) and how the crashed "
            "call passed them cannot be read; restore them, or `up` and `restart` the caller",
            r"unread: \[7\]\r?\n",
        ),
        (
            "unread_default",
            "hot_restart: key's default for 'k' changed and whether the crashed call passed k "
            "or took the default cannot be read; restore it, or `up` and `restart` the caller",
            r"key: \[8\]\r?\n",
        ),
    ],
)
def test_a_change_the_unread_call_would_not_fit_is_refused(session, case, refusal, output):
    s = session("call_shape", env={"CASE": case})
    assert "ZeroDivisionError(" in s.prompt()
    s.fix(f"in_{case}.py")
    s.send("c")
    again = s.prompt()
    assert refusal in again.replace("\r\n", "\n")
    # The running version is kept; a fix that keeps the parameters re-runs.
    s.fix(f"in_{case}_ok.py")
    s.send("c")
    s.expect(output)
    s.expect(r"done\r?\n")
    s.finish(0)


def test_a_crash_in_the_re_run_keeps_the_shape_of_the_call(session):
    # The re-run is called from generated code, which has no call site to
    # read: the shape it was passed with is remembered (callsite.remember_rerun).
    s = session("call_shape", env={"CASE": "swap"})
    assert "ZeroDivisionError(" in s.prompt()
    s.fix("in_swap_again.py")  # def swap(b, a): swap(b=0, a=7) still divides by zero
    s.send("c")
    assert "ZeroDivisionError(" in s.prompt()
    s.fix("in_swap_back.py")  # back to def swap(a, b), fixed
    s.send("c")
    s.expect(r"args 7 0\r?\nswap: 7\r?\n")
    s.expect(r"done\r?\n")
    s.finish(0)
