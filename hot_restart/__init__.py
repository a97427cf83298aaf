"""Edit-and-continue debugging: fix the crashed function and continue.

When an instrumented function raises and nothing in your own code will
handle it, a debugger opens at the crash site with the whole stack alive.
Fix the file, type ``c``: the function is rebuilt from disk and re-run with
its original arguments.

``import hot_restart`` is nearly free: the API below is loaded on first use,
and no debugger is imported until a crash needs one.

PYTEST_DONT_REWRITE: the ``.pth`` activation imports this package before
pytest starts, and pytest warns about every already-imported package of a
plugin distribution it cannot assertion-rewrite (a project with
``filterwarnings = error`` could not even collect).  Nothing here needs
rewriting; ``hot_restart.pytest_plugin`` is still rewritten as usual.
"""

# No ``from __future__ import annotations`` here: even that statement imports
# a module at run time, and ``import hot_restart`` is meant to be nearly free.
import sys as _sys

TYPE_CHECKING = False  # not typing's: importing typing costs ~5 ms


__version__ = "0.3.0"

#: Reload the crashed function from disk on continue (turn off to use another reloader).
RELOAD_ON_CONTINUE = True
#: On continue, also reload every other definition edited since it was loaded (False: only the crashed one).
RELOAD_ALL_ON_CONTINUE = True
#: Print the one-line help under the first banner.
PRINT_HELP_MESSAGE = True
# ``DEBUGGER`` and ``PROGRAM_SHOULD_EXIT`` are live settings, defined on
# ``_Module`` below: reading them says what hot_restart will do, as in 0.2.x.

if TYPE_CHECKING:
    from typing import Any

    from .errors import ReloadException

    #: "pdb", "ipdb", "pudb" or "pydevd": the debugger a crash opens.  Reads as
    #: the one it would pick (HOT_RESTART_DEBUGGER, a debugger already imported,
    #: then ipdb if installed, else pdb); assign a name to choose, None for auto.
    DEBUGGER: str | None
    #: True once hot_restart.exit() was called (or it was set): nothing prompts again.
    PROGRAM_SHOULD_EXIT: bool

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
    from .ipython import load_ipython_extension as load_ipython_extension
    from .ipython import unload_ipython_extension as unload_ipython_extension
    from .runtime.ide import reload, restart

_LAZY = {
    "ReloadException": "errors",
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
    "reload": "runtime.ide",
    "restart": "runtime.ide",
    "install": "hook",
    "uninstall": "hook",
    # ``%load_ext hot_restart`` looks these up: the extension loads only then.
    "load_ipython_extension": "ipython",
    "unload_ipython_extension": "ipython",
}

__all__ = [
    "ReloadException",
    "exit",
    "ignore",
    "install",
    "is_restarting_module",
    "no_wrap",
    "reload",
    "reload_module",
    "reraise",
    "restart",
    "restart_module",
    "uninstall",
    "wrap",
    "wrap_class",
    "wrap_module",
    "wrap_modules",
]


#: The package's own modules (tests/test_import_hook.py checks the list).
_SUBMODULES = frozenset(
    (
        "activate", "attach", "cache", "children", "classic", "constants", "errors",
        "finder", "hook", "ipython", "loader", "patterns", "pth", "pytest_plugin", "runner",
        "runtime", "transform",
    )
)  # fmt: skip


def __getattr__(name: str) -> "Any":
    submodule = _LAZY.get(name)
    if submodule is None:
        if name in _SUBMODULES:
            # ``from . import children`` asks for the attribute before importing
            # it: answering with the module, rather than raising first, keeps
            # a debugger that breaks on raised exceptions out of our start-up.
            import sys

            __import__(f"{__name__}.{name}")
            return sys.modules[f"{__name__}.{name}"]
        raise AttributeError(f"module 'hot_restart' has no attribute {name!r}")
    # Not importlib.import_module: importing importlib costs start-up time.
    __import__(f"{__name__}.{submodule}")
    import sys

    value = getattr(sys.modules[f"{__name__}.{submodule}"], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "DEBUGGER", "PROGRAM_SHOULD_EXIT"})


class _Module(type(_sys)):  # type: ignore[misc]
    """hot_restart's module type: two 0.2.x settings are views of live state.

    0.2.x kept them as plain globals that its wrapper read; here the debugger
    is picked at the first crash and the exit flag lives where the trampoline
    reads it, so reading or assigning these names must reach that state.
    """

    @property
    def DEBUGGER(self) -> str:  # the 0.2.x name
        from .runtime.debuggers import choose

        return choose(announce=False)

    @DEBUGGER.setter
    def DEBUGGER(self, value: str | None) -> None:
        self.__dict__[_DEBUGGER_SETTING] = value

    @property
    def PROGRAM_SHOULD_EXIT(self) -> bool:
        from .runtime.state import STATE

        return STATE.exiting

    @PROGRAM_SHOULD_EXIT.setter
    def PROGRAM_SHOULD_EXIT(self, value: bool) -> None:
        from .runtime.state import STATE

        STATE.exiting = bool(value)

    def __reduce__(self) -> "tuple[Any, tuple[str]]":
        # By reference, as cloudpickle pickles any module: a function or a
        # dask WorkerPlugin that uses ``hot_restart`` must reach the workers
        # (cloudpickle only knows the exact module type, not this subclass).
        return (__import__, (self.__name__,))


# Where an assigned DEBUGGER is kept (None or absent: pick automatically).
_DEBUGGER_SETTING = "_debugger_setting"
_sys.modules[__name__].__class__ = _Module
