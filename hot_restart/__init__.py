"""Edit-and-continue debugging: fix the crashed function and continue.

When an instrumented function raises and nothing in your own code will
handle it, a debugger opens at the crash site with the whole stack alive.
Fix the file, type ``c``: the function is rebuilt from disk and re-run with
its original arguments.

``import hot_restart`` is nearly free: the API below is loaded on first use,
and no debugger is imported until a crash needs one.
"""

# No ``from __future__ import annotations`` here: even that statement imports
# a module at run time, and ``import hot_restart`` is meant to be nearly free.
from .errors import ReloadException

TYPE_CHECKING = False  # not typing's: importing typing costs ~5 ms


__version__ = "0.3.0"

#: Reload the crashed function from disk on continue (turn off to use another reloader).
RELOAD_ON_CONTINUE = True
#: On continue, also reload every other definition edited since it was loaded (False: only the crashed one).
RELOAD_ALL_ON_CONTINUE = True
#: Print the one-line help under the first banner.
PRINT_HELP_MESSAGE = True
#: "pdb", "ipdb", "pudb" or "pydevd"; None picks one (HOT_RESTART_DEBUGGER, then ipdb if installed).
DEBUGGER: str | None = None

if TYPE_CHECKING:
    from typing import Any

    from .classic import (
        exit,
        ignore,
        is_restarting_module,
        no_wrap,
        reload_module,
        reraise,
        restart_module,
        wrap,
        wrap_class,
        wrap_module,
        wrap_modules,
    )
    from .hook import install, uninstall

_LAZY = {
    "wrap": "classic",
    "wrap_class": "classic",
    "wrap_module": "classic",
    "wrap_modules": "classic",
    "no_wrap": "classic",
    "ignore": "classic",
    "reload_module": "classic",
    "restart_module": "classic",
    "is_restarting_module": "classic",
    "exit": "classic",
    "reraise": "classic",
    "install": "hook",
    "uninstall": "hook",
}

__all__ = [
    "ReloadException",
    "exit",
    "ignore",
    "install",
    "is_restarting_module",
    "no_wrap",
    "reload_module",
    "reraise",
    "restart_module",
    "uninstall",
    "wrap",
    "wrap_class",
    "wrap_module",
    "wrap_modules",
]


def __getattr__(name: str) -> "Any":
    submodule = _LAZY.get(name)
    if submodule is None:
        raise AttributeError(f"module 'hot_restart' has no attribute {name!r}")
    # Not importlib.import_module: importing importlib costs start-up time.
    __import__(f"{__name__}.{submodule}")
    import sys

    value = getattr(sys.modules[f"{__name__}.{submodule}"], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
