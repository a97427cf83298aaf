"""The ``HOT_RESTART_*`` settings read from the environment, read again when they may have changed.

``state`` reads them once, at import, and the trampoline never reads the
environment (it runs on every exception).  They are read again where a
change can matter and the cost is nothing: at each crash that prompts
(``session``), and before each cell in a Jupyter or IPython kernel
(``kernel``), where ``%env HOT_RESTART_FORCE_PROMPT=1`` is how a user sets
one.  A setting is applied only when its value changed since it was last
seen, so ``install(watch=False)`` is not undone by an environment that
still says ``HOT_RESTART_WATCH=1``; ``HOT_RESTART_DEBUGGER`` is read at
each crash anyway (``debuggers.choose``).
"""

from __future__ import annotations

import os

from .state import ENVIRONMENT_READ, STATE, stop_on_from_env

_NAMES = ("HOT_RESTART_FORCE_PROMPT", "HOT_RESTART_WATCH", "HOT_RESTART_STOP_ON")

#: The values as last seen: as ``state`` read them at import (FORCE_PROMPT
#: is read at each new answer to "can a prompt happen", so seeing it change
#: only has that answer asked again).
_seen: dict[str, str | None] = {
    "HOT_RESTART_FORCE_PROMPT": os.environ.get("HOT_RESTART_FORCE_PROMPT"),
    **ENVIRONMENT_READ,
}


def refresh() -> None:
    """Apply the settings whose value changed since they were last seen."""
    environ = os.environ
    for name in _NAMES:
        value = environ.get(name)
        if value == _seen[name]:
            continue
        _seen[name] = value
        if name == "HOT_RESTART_FORCE_PROMPT":
            STATE.forget_terminal()
        elif name == "HOT_RESTART_WATCH":
            STATE.watch = (value or "") not in ("", "0")
        else:
            STATE.forced_stop_on = stop_on_from_env()
            STATE.settings_changed()
