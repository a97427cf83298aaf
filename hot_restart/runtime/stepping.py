"""Keep a bdb debugger's stepping (pdb, ipdb, pudb, IPython's) out of hot_restart's frames.

Why this exists: while a debugger is loaded, the generated handlers catch
every exception that leaves instrumented code and ask the runtime (see
``state._DEBUGGERS``), and that is a Python call.  bdb traces every call,
so pdb's ``step`` over a line whose exception leaves a function stopped in
``trampoline.handle`` and in each frame it calls (about 85 stops for one
exception: the decision, the environment, the terminal checks) before it
reached the program's ``except``, which plain Python reaches in one step.

The rule: bdb does not stop (``Bdb.stop_here`` answers no) in a frame of
hot_restart's own code, nor in one that such a frame called: a frame of
hot_restart is found among its callers before any frame of instrumented
code (the program's: a function called at the prompt, ``debug f()``, steps
as usual) and before the runner (what the runner calls is the program).
Nor in the frames under a program that the runner runs (``below_program``:
``python script.py`` has none).  Breakpoints
still break (``break_here`` is left alone).  bdb's own ``skip`` (module
names a debugger never stops in) would do the same, but the program
creates its debugger, and not with ours.

When: ``hide_from`` wraps ``Bdb.stop_here`` once, as soon as bdb is
imported: at once when it already is as the handlers start to catch
(``state.refresh_catching``); else bdb's import is noticed by the watcher
on ``sys.meta_path`` (``state._WatchedImports``), which wraps it as soon as
its module has run (``onload``).  A bdb loaded some other way (frozen) is
wrapped at the first exception a tracer sees, after that one call.

Limits: pydevd (debugpy) is not bdb, and its "just my code" already leaves
out an installed hot_restart.  The lookup stops after ``_HOPS`` frames:
code more than that deep below a handler (a module imported by the prompt)
can still be stepped into.
"""

from __future__ import annotations

import os
from types import CodeType, FrameType, ModuleType

from ..constants import HANDLER_NAME

#: hot_restart's own folder: every frame of its code has a file in it.
_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
#: What runs the program (``python -m hot_restart``): what it calls is the program.
_RUNNER = (os.path.join(_OWN, "runner.py"), os.path.join(_OWN, "__main__.py"))
_HOPS = 24
_MARK = "_hot_restart_hides_its_frames"
#: The frames under the program that the runner runs, by id, with their code
#: (a frame made later at a reused address runs other code).
_below: dict[int, CodeType] = {}


def hidden(frame: FrameType) -> bool:
    """``frame`` runs hot_restart's code, or code it called (see the module's rule)."""
    if frame.f_code.co_filename.startswith(_OWN) or _below.get(id(frame)) is frame.f_code:
        return True
    caller = frame.f_back
    for _ in range(_HOPS):
        if caller is None:
            return False
        code = caller.f_code
        if HANDLER_NAME in code.co_names or code.co_filename in _RUNNER:
            return False  # the program's code, or the runner that runs it
        if code.co_filename.startswith(_OWN):
            return True
        caller = caller.f_back
    return False


def below_program(base: FrameType) -> None:
    """``base`` and the frames under it, where ``python script.py`` has none, are
    hidden: stepping off the end of a script run by ``python -m hot_restart``
    ends there, as under python (they live until the process ends)."""
    frame: FrameType | None = base
    while frame is not None:
        _below[id(frame)] = frame.f_code
        frame = frame.f_back


def hide_from(bdb: ModuleType) -> None:
    """Wrap ``bdb.Bdb.stop_here`` (once) so that it never stops in a hidden frame."""
    cls = getattr(bdb, "Bdb", None)
    original = getattr(cls, "stop_here", None)
    if cls is None or original is None or getattr(original, _MARK, False):
        return

    def stop_here(self: object, frame: FrameType) -> bool:
        if hidden(frame):
            return False
        return bool(original(self, frame))

    stop_here.__doc__ = original.__doc__
    stop_here.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(stop_here, _MARK, True)
    cls.stop_here = stop_here
