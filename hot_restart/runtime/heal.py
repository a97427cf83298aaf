"""Fix once, heal everywhere: a crash in code edited since it loaded re-runs first.

Why this exists: a fix made at one worker's prompt is on disk, but every
other process (the other workers, workers a fork pool starts later from the
parent's old code, the parent itself) still runs what it loaded.  Without
this, each of them would crash on the same bug and prompt again, or, in a
fork pool, crash forever.  So before a process prompts for a crash, it asks
whether any instrumented file changed on disk since it loaded it; if so it
reloads every changed definition (``reload.reload_changed``, as ``c`` does)
and re-runs the crashed call once, saying so in one line.

It cannot loop: after the reload the process runs what is on disk, so the
same crash again finds nothing changed and prompts; only a new edit can heal
again.  Generator frames, and edits the live program cannot take, go to the
prompt as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import FrameType
from typing import Any

from ..errors import ReloadException
from . import rebind, registry
from .messages import say


def changed_on_disk() -> bool:
    """Some file with instrumented code differs from what this process loaded."""
    for filename, (stamp, data) in list(registry.sources.items()):
        try:
            if registry.unchanged(stamp, os.stat(filename)):
                continue
            with open(filename, "rb") as f:
                if f.read() != data:
                    return True
        except OSError:
            continue
    return False


def rerun_if_changed(
    frame: FrameType, qualname: str, edited: bool = False
) -> Callable[[], Any] | None:
    """The re-run of ``frame``'s call after reloading what changed, or None to prompt.

    ``edited``: the crashed function's own def is known to differ on disk
    (code shipped by value, ``shipped.adopt``), whatever the files loaded here say.
    """
    import sys

    module = sys.modules.get("hot_restart")
    if not getattr(module, "RELOAD_ON_CONTINUE", True) or not (edited or changed_on_disk()):
        return None  # another reloader owns reloading; or nothing to heal with
    from .reload import reload_changed
    from .session import rerun_arguments, rerun_call

    fn = rebind.frame_function(frame)
    if fn is None:
        return None
    fn = registry.successor(fn)
    call = rerun_arguments(frame)
    try:
        report = reload_changed(fn, qualname, call)
    except ReloadException as e:
        say(str(e))
        return None
    home = fn.__globals__.get("__name__")
    names = ", ".join(report.names(home if isinstance(home, str) else None))
    short = qualname.rsplit(".", 1)[-1]
    from .tty import label, on_terminal

    with on_terminal():  # where this process would have prompted (an xdist worker's is captured)
        say(
            f"the code changed on disk since this process loaded it{label()}: reloaded {names}; "
            f"running {short} again"
        )
    return rerun_call(frame, fn, call.args, call.kwargs, call.shape is not None)
