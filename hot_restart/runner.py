"""``python -m hot_restart``: run a program instrumented, as ``python`` would.

``sys.argv``, ``__main__``, ``__file__``, ``sys.path`` and the exit status
are those of ``python script.py`` / ``python -m module``, and so are the
messages for a missing script or module and a syntax error.  An uncaught
exception's traceback is python's: no frame of this runner, of the import
hook or of the runtime in it (under ``-m`` it starts in runpy, as
``python -m``'s does).

Without ``-p``, the program's own code is instrumented and nothing else:
for a script, the script and the modules and packages that sit next to it;
for ``-m pkg.mod``, the top-level package ``pkg.*``.  Give ``-p`` (any
number of times) to choose instead: the script, or the module run with
``-m``, is instrumented either way.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from types import CodeType, FrameType, TracebackType
    from typing import Any, NoReturn

USAGE = "python -m hot_restart [-p PATTERN]... (script.py | -m module) [args...]"


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m hot_restart",
        usage=USAGE
        + "\n       python -m hot_restart (--install-pth | --uninstall-pth | --status)"
        + "\n       python -m hot_restart attach [HOST:PORT] [--token TOKEN]",
        description="Run a Python program with edit-and-continue: when instrumented code "
        "crashes, a debugger opens at the crash site; fix the file and type `c`.",
        epilog="Without -p, the script and the modules beside it (or, with -m, the module's "
        "top-level package) are instrumented; with -p, the script or module run and what "
        "the patterns match. Environment: HOT_RESTART_DEBUGGER "
        "(pdb, ipdb, pudb, pydevd), HOT_RESTART_STOP_ON (unhandled, all), "
        "HOT_RESTART_FORCE_PROMPT=1 (prompt even without a terminal), "
        "HOT_RESTART_REMOTE=[HOST:]PORT (serve crashes to `python -m hot_restart attach`), "
        "HOT_RESTART_CHILDREN=0 (do not pass hot_restart on to child processes).",
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
    # ``python -m hot_restart`` put the current folder first on sys.path, as
    # ``python -m`` does.  Our own imports (argparse, ast, the runtime) must
    # come from the standard library even when that folder holds an
    # ``ast.py``, so it is out of the way until the program runs.
    path0 = sys.path.pop(0) if _python_prepended_path0() and sys.path else None
    try:
        if argv[:1] == ["attach"]:  # the remote client; a script named attach: `-- attach`
            from .attach import main as attach

            return attach(argv[1:])
        prepared = _prepare(argv)
    finally:
        if path0 is not None:
            sys.path.insert(0, path0)
    if isinstance(prepared, int):
        return prepared
    return prepared(path0 is not None)


def _python_prepended_path0() -> bool:
    """Whether python put the current folder in front of sys.path (not with -P or -I)."""
    return not (getattr(sys.flags, "safe_path", False) or sys.flags.isolated)


def _prepare(argv: list[str]) -> int | Callable[[bool], int]:
    """Parse, install the hook, compile: the exit status, or the program ready to run."""
    import functools

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
    # Everything the runner and the runtime need at start is imported before
    # the hook is installed: a pattern for the program's ``typing.py`` must
    # not catch the standard library's on its way into the runner.
    from .hook import install_before_program
    from .runtime import trampoline  # noqa: F401  (what instrumented code binds first)
    from .transform import instrument_source

    if options.module is not None:
        # The module run is the program's own code, with or without -p (a
        # script always is); as a package it runs its __main__.  A name that
        # can't be a module gets no pattern, and python's "No module named".
        module = options.module
        if not _dotted(module):
            patterns = options.pattern
        elif options.pattern:
            patterns = [*options.pattern, module, module + ".__main__"]
        else:
            patterns = [module.split(".")[0] + ".*"]
        try:
            install_before_program(patterns, options.stop_on)
        except ValueError as e:
            parser.error(str(e).removeprefix("hot_restart: "))
        return functools.partial(_run_module, options.module, program)
    path = os.path.abspath(options.target)  # python makes __main__.__file__ absolute
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        # python's own words, status and all.
        print(
            f"{sys.orig_argv[0]}: can't open file {path!r}: [Errno {e.errno}] {e.strerror}",
            file=sys.stderr,
        )
        return 2
    try:
        install_before_program(options.pattern or _neighbours(path), options.stop_on)
    except ValueError as e:
        parser.error(str(e).removeprefix("hot_restart: "))
    from . import children

    children.main_script(path)  # spawn/forkserver workers re-run it instrumented too
    try:
        code = instrument_source(source, path, bind_handler=True)
    except SyntaxError as e:
        # python reports a script that doesn't compile without a traceback.
        e.__traceback__ = None
        sys.excepthook(type(e), e, None)
        return 1
    return functools.partial(_run_script, code, options.target, path, program)


def _dotted(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


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


def _neighbours(script: str) -> list[str]:
    """Patterns for the script's own modules: those in its folder.

    A name that is already imported (``os.py`` or ``argparse.py`` beside the
    script) is left out: the program will get the module already loaded,
    so there is nothing to instrument and no reason to warn about it.
    """
    # The script's own name is one of them: a program whose modules import
    # it back (``from app import db``) gets a second, imported copy, as
    # under python, and that copy's functions must be restartable too.
    names: list[str] = []
    try:
        entries = list(os.scandir(os.path.dirname(os.path.realpath(script))))
    except OSError:
        entries = []
    for entry in entries:
        name = entry.name
        try:
            if entry.is_file() and name.endswith(".py"):
                name, pattern = name[:-3], name[:-3]
            elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                pattern = name + ".*"
            else:
                continue
        except OSError:
            continue
        if name.isidentifier() and name not in sys.modules:
            names.append(pattern)
    return names


def _main_annotations() -> dict[str, dict[str, object]]:
    """What python's own ``__main__`` starts with besides its name: an empty
    ``__annotations__`` before 3.14; on 3.14 none (PEP 649: the module's
    ``__annotate__`` gives them, and a dict there would hide it)."""
    return {"__annotations__": {}} if sys.version_info < (3, 14) else {}


def _run_script(code: CodeType, argv0: str, path: str, args: list[str], set_path0: bool) -> int:
    import builtins
    from importlib.machinery import SourceFileLoader
    from types import ModuleType

    sys.argv = [argv0, *args]
    if set_path0:
        # In place of the current folder: the script's real folder, symlinks resolved.
        sys.path[0] = os.path.dirname(os.path.realpath(path))
    main_module = ModuleType("__main__")
    namespace = main_module.__dict__
    namespace.update(
        **_main_annotations(),
        __file__=path,
        __builtins__=builtins,
        __cached__=None,
        __loader__=SourceFileLoader("__main__", path),
    )
    from .runtime import registry

    registry.stamp(path)  # what a reload on continue compares the script with
    # The program's __main__ replaces ours for good, as in python itself:
    # atexit handlers and pickles by reference look it up there.
    sys.modules["__main__"] = main_module
    program_ended = _program_starts_here(sys._getframe())
    try:
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException:
        return _report(*sys.exc_info())
    finally:
        program_ended()
    return 0


def _run_module(name: str, args: list[str], set_path0: bool) -> int:
    """Run ``name`` the way ``python -m`` does, through the same runpy function.

    ``runpy._run_module_as_main`` is what the interpreter itself calls for
    ``-m``: the same search, the same messages for a missing module or a
    package without ``__main__``, the same ``sys.argv[0]``.  It runs the code
    in ``sys.modules['__main__']``, a fresh module here, which stays the
    program's ``__main__`` afterwards as it would under python.
    """
    import builtins
    import runpy
    from types import ModuleType

    del set_path0  # sys.path[0] stays the current folder, as python -m puts it
    sys.argv = ["-m", *args]  # python shows '-m' while it looks the module up
    main_module = ModuleType("__main__")
    main_module.__dict__.update(__builtins__=builtins, **_main_annotations())
    sys.modules["__main__"] = main_module
    program_ended = _program_starts_here(sys._getframe())
    try:
        runpy._run_module_as_main(name, alter_argv=True)  # type: ignore[attr-defined]
    except SystemExit:
        raise
    except BaseException:
        return _report(*sys.exc_info())
    finally:
        program_ended()
    return 0


def _program_starts_here(base: FrameType) -> Callable[[], None]:
    """Warnings whose stacklevel reaches below the program name what python names: ``sys:1``.

    Under ``python script.py`` the script's frame is the first one, and a
    stacklevel beyond it finds no frame: C's ``warn`` then names ``sys:1``
    (``<sys>:0`` on 3.13), with ``sys``'s globals.  Here the runner's frames
    (``base`` and below) are there, so ``warnings.warn`` is wrapped: a call
    whose walk, as C walks (``_reaches``), would get to ``base`` goes to the
    real function with a stacklevel past every frame, so C names what it
    names then; every other call goes to it one level up, for the wrapper's
    frame.  Under ``-m`` the same
    holds below runpy's two frames, which ``python -m`` shows too.

    ``warnings`` is imported here if the runner has not yet (3.13): a
    program that never warns pays for that import only.

    The returned call, made when the program's code has ended, puts the real
    ``warn`` back and lets go of ``base``: that frame holds the program's
    namespace, which must die at exit as python's ``__main__`` does (its
    objects' ``__del__`` run and report as under python).
    """
    import warnings

    real = warnings.warn
    frames = [base]

    def warn(
        message: str | Warning,
        category: type[Warning] | None = None,
        stacklevel: int = 1,
        source: Any = None,
        **options: Any,
    ) -> None:
        skip = options.get("skip_file_prefixes", ())
        plain = isinstance(category, type) and issubclass(category, Warning)
        if (
            (category is None or plain)
            and (
                not options
                or (sys.version_info >= (3, 12) and set(options) == {"skip_file_prefixes"})
            )
            and isinstance(skip, tuple)
            and frames
            and _reaches(sys._getframe(1), stacklevel, skip, frames[0])
        ):
            level = sys.maxsize  # past every frame: C names what it names then
        else:
            level = max(stacklevel, 1) + 1
        real(message, category, level, source, **options)

    warn.__doc__, warn.__module__ = real.__doc__, "warnings"
    warnings.warn = warn
    from .runtime.stepping import below_program

    below_program(base)  # and pdb's `step` off the program's end stops where python's does

    def program_ended() -> None:
        frames.clear()
        if warnings.warn is warn:
            warnings.warn = real

    return program_ended


def _reaches(frame: FrameType, stacklevel: int, skip: tuple[str, ...], base: FrameType) -> bool:
    """Whether C's ``warn``, called from ``frame``, walks to ``base`` (see ``setup_context``).

    From a frame of the import system it steps back plainly; from any other,
    it passes over the import system's frames, and over files under ``skip``.
    """
    if skip and stacklevel < 2:
        stacklevel = 2  # as warn() does when skip_file_prefixes is given
    plainly = stacklevel <= 0 or _internal(frame)
    f: FrameType | None = frame
    while stacklevel > 1 and f is not None:
        stacklevel -= 1
        f = f.f_back
        while not plainly and f is not None and f is not base:
            if not (_internal(f) or (skip and f.f_code.co_filename.startswith(skip))):
                break
            f = f.f_back
        if f is base:
            return True
    return False


def _internal(frame: FrameType) -> bool:
    filename = frame.f_code.co_filename
    return "importlib" in filename and "_bootstrap" in filename


def _report(
    kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> int:
    """End as python would: the same traceback (without this runner's frames), the same status.

    Under ``-m`` the traceback starts in runpy, exactly as ``python -m``'s does.
    """
    tb = _program_frames(tb)
    if exc is not None:
        exc.__traceback__ = tb
        _clean_chain(exc, {id(exc)})
    if kind is not None and exc is not None:
        sys.excepthook(kind, exc, tb)
    if isinstance(exc, KeyboardInterrupt):
        # After an uncaught KeyboardInterrupt python shuts down as usual
        # (atexit handlers, threads) and then dies of SIGINT, so the shell
        # sees 130.  Let the interpreter do exactly that with this very
        # exception, now that it has been reported.
        sys.excepthook = _reported
        raise exc
    return 1


_IMPORTLIB = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _program_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback python would show: hot_restart's frames taken out, wherever they are.

    python hides the import system from tracebacks: a run of importlib frames
    that ends in ``_call_with_frames_removed`` (which runs a module's code or
    compiles it) is dropped.  Our loader sits inside such runs, so they no
    longer end that way; the importlib frames leading into one of our frames
    go with it.  So do the ``ast`` frames our transform calls: python's own
    compile of a module with a syntax error shows none.
    """
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    ast_module = sys.modules.get("ast")
    ast_file = getattr(ast_module, "__file__", None)
    kept: list[TracebackType] = []
    importlib_run: list[TracebackType] = []
    after_ours = False
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.abspath(filename).startswith(package) or (after_ours and filename == ast_file):
            importlib_run.clear()
            after_ours = True
        elif filename in _IMPORTLIB:
            importlib_run.append(tb)
            after_ours = False
        else:
            kept += importlib_run
            importlib_run.clear()
            kept.append(tb)
            after_ours = False
        tb = tb.tb_next
    kept += importlib_run
    head = None
    for entry in reversed(kept):
        entry.tb_next = head
        head = entry
    return head


def _clean_chain(exc: BaseException, seen: set[int]) -> None:
    """The same for the exceptions shown with it: causes, contexts, group members."""
    linked = [exc.__cause__, exc.__context__, *getattr(exc, "exceptions", ())]
    for other in linked:
        if isinstance(other, BaseException) and id(other) not in seen:
            seen.add(id(other))
            other.__traceback__ = _program_frames(other.__traceback__)
            _clean_chain(other, seen)


def _reported(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` for an exception this runner has already reported."""


def run() -> NoReturn:
    raise SystemExit(main())
