"""``python -m hot_restart``: run a program instrumented, as ``python`` would.

``sys.argv``, ``__main__``, ``sys.path[0]`` and the exit status are those of
``python script.py`` / ``python -m module``; an uncaught exception's
traceback shows the program's frames only, not this runner's.

Without ``-p``, the program's own code is instrumented and nothing else:
for a script, the script and the modules and packages that sit next to it;
for ``-m pkg.mod``, the top-level package ``pkg.*``.  Give ``-p`` (any
number of times) to choose instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import ModuleType, TracebackType
from typing import NoReturn

USAGE = "python -m hot_restart [-p PATTERN]... (script.py | -m module) [args...]"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hot_restart",
        usage=USAGE + "\n       python -m hot_restart (--install-pth | --uninstall-pth | --status)",
        description="Run a Python program with edit-and-continue: when instrumented code "
        "crashes, a debugger opens at the crash site; fix the file and type `c`.",
        epilog="Without -p, the script and the modules beside it (or, with -m, the module's "
        "top-level package) are instrumented. Environment: HOT_RESTART_DEBUGGER "
        "(pdb, ipdb, pudb, pydevd), HOT_RESTART_STOP_ON (unhandled, all), "
        "HOT_RESTART_FORCE_PROMPT=1 (prompt even without a terminal).",
    )
    parser.add_argument(
        "-p",
        "--pattern",
        action="append",
        default=[],
        metavar="PATTERN",
        help="instrument modules matching this fnmatch pattern over dotted names "
        "('myapp.*' also covers 'myapp'); repeatable",
    )
    parser.add_argument(
        "--stop-on",
        choices=("unhandled", "all"),
        default=None,
        help="stop on exceptions no user code handles (default) or on all of them",
    )
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    site = parser.add_mutually_exclusive_group()
    site.add_argument(
        "--install-pth",
        action="store_true",
        help="activate through HOT_RESTART_PATTERNS in every process of this interpreter",
    )
    site.add_argument("--uninstall-pth", action="store_true", help="remove that activation")
    site.add_argument("--status", action="store_true", help="say whether it is installed")
    parser.add_argument("target", nargs="?", help="the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the program's own arguments")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    # Everything after the script or the -m module belongs to the program.
    ours, program = _split(argv)
    options = parser.parse_args(ours)
    if options.install_pth or options.uninstall_pth or options.status:
        from . import pth

        return pth.command(
            "install" if options.install_pth else "uninstall" if options.uninstall_pth else "status"
        )
    if program and options.module is None and options.target is None:
        options.target, program = program[0], program[1:]
    if options.module is None and options.target is None:
        parser.error("give a script to run, or -m MODULE")
    from .hook import install

    try:
        if options.module is not None:
            patterns = options.pattern or [options.module.split(".")[0] + ".*"]
            install(patterns, stop_on=options.stop_on)
            return _run_module(options.module, program)
        script = Path(options.target)
        if not script.is_file():
            print(
                f"python -m hot_restart: can't open file {str(script)!r}: no such file",
                file=sys.stderr,
            )
            return 2
        install(options.pattern or _neighbours(script), stop_on=options.stop_on)
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    return _run_script(script, program)


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split at the first positional (the script) or after ``-m MODULE``."""
    takes_value = {"-p", "--pattern", "--stop-on"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return argv[: i + 2], argv[i + 2 :]
        if arg.startswith("-m") and len(arg) > 2:
            return [*argv[:i], "-m", arg[2:]], argv[i + 1 :]
        if arg in takes_value:
            i += 2
            continue
        if arg == "--":
            return argv[:i], argv[i + 1 :]
        if not arg.startswith("-"):
            return argv[:i], argv[i:]
        i += 1
    return argv, []


def _neighbours(script: Path) -> list[str]:
    """Patterns for the script's own modules: those in its folder."""
    folder = script.resolve().parent
    names: list[str] = []  # the script itself is compiled here, not imported
    try:
        entries = list(os.scandir(folder))
    except OSError:
        entries = []
    for entry in entries:
        name = entry.name
        if (
            entry.is_file()
            and name.endswith(".py")
            and name[:-3].isidentifier()
            and entry.path != str(script.resolve())
        ):
            names.append(name[:-3])
        elif entry.is_dir() and name.isidentifier() and (Path(entry.path) / "__init__.py").exists():
            names.append(name + ".*")
    return names


def _run_script(script: Path, args: list[str]) -> int:
    from .runtime.trampoline import handle
    from .transform import HANDLER_NAME, instrument_source

    path = str(script)
    sys.argv = [path, *args]
    sys.path[0] = str(script.resolve().parent)
    main_module = ModuleType("__main__")
    namespace = main_module.__dict__
    namespace.update(__file__=path, __builtins__=__builtins__, __cached__=None)
    namespace[HANDLER_NAME] = handle
    # The program's __main__ replaces ours for good, as in python itself:
    # atexit handlers and pickles by reference look it up there.
    sys.modules["__main__"] = main_module
    try:
        source = script.read_bytes()
        code = instrument_source(source, path)
    except SyntaxError:
        return _report(*sys.exc_info())
    try:
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException:
        return _report(*sys.exc_info())
    return 0


def _run_module(name: str, args: list[str]) -> int:
    import runpy

    from .runtime.trampoline import handle
    from .transform import HANDLER_NAME

    sys.argv = [name, *args]
    sys.path[0] = os.getcwd()
    try:
        runpy.run_module(
            name, init_globals={HANDLER_NAME: handle}, run_name="__main__", alter_sys=True
        )
    except SystemExit:
        raise
    except ImportError as e:
        if (e.__traceback__ is not None and e.__traceback__.tb_next is None) or (
            getattr(e, "name", None) == name
        ):
            print(f"{sys.executable}: No module named {name}", file=sys.stderr)
            return 1
        return _report(*sys.exc_info())
    except BaseException:
        return _report(*sys.exc_info())
    return 0


def _report(
    kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> int:
    """End as python would: the program's frames only, the same exit status."""
    here = os.path.dirname(os.path.abspath(__file__))
    while tb is not None and (
        os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)) == here
        or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")
        or tb.tb_frame.f_code.co_filename.endswith("runpy.py")
    ):
        tb = tb.tb_next
    if exc is not None:
        exc.__traceback__ = tb
    if kind is not None and exc is not None:
        sys.excepthook(kind, exc, tb)
    if isinstance(exc, KeyboardInterrupt):
        # python dies of SIGINT after an uncaught KeyboardInterrupt, so the
        # shell sees 130; do the same.
        import signal

        sys.stdout.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return 1


def run() -> NoReturn:
    raise SystemExit(main())
