"""The loader that runs instrumented code in place of the module's own.

Subclassing ``SourceFileLoader`` and changing only how code is produced keeps
everything else a plain import offers: ``get_source``, ``importlib.reload``,
``importlib.resources``, ``python -m`` (runpy calls ``get_code``), and
``SyntaxError`` reports identical to a plain import's.

``exec_module`` is deliberately not overridden: ``SourceFileLoader`` runs the
module body through ``_call_with_frames_removed``, and any Python frame of
ours between importlib and the body would show.  Warnings with a
``stacklevel`` would be attributed to this file instead of the importer (and
a ``DeprecationWarning`` aimed at ``__main__`` hidden), and an exception
raised at import time would carry importlib and loader frames that a plain
import's traceback does not.  So the bookkeeping happens in ``get_code``,
which has returned before the body runs, and the module binds the handler
itself (its first statement, see ``transform._bind_handler``): runpy's
namespaces (``python -m``) get it too, and ``builtins`` gains nothing.
"""

from __future__ import annotations

import sys

# importlib.machinery's classes, from where it takes them: importing the
# ``importlib`` package (and its ``warnings``) costs start-up time.
from _frozen_importlib_external import SourceFileLoader

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, FrameType, ModuleType


# What calls get_code to run a module: SourceFileLoader's exec_module.
_EXEC_MODULE = SourceFileLoader.exec_module.__code__


class HotRestartLoader(SourceFileLoader):
    """A ``SourceFileLoader`` whose code has restart trampolines in every def."""

    #: Set by the finder when its patterns reach the standard library.
    hide_imports = False

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        code, stamp = _unchanged(path)  # warm: the cached code, the source not even read
        if code is not None:
            return _registered(fullname, path, code)
        source = self.get_data(path)
        # With patterns that reach hot_restart's own dependencies (``-p
        # weakref``, ``-p '*'``), the module being instrumented, or one
        # importing it (the program's ``import symtable``, whose body imports
        # ``weakref``), can be one the loader needs, half-initialized in
        # sys.modules.  Hidden meanwhile, our own import of it gets a
        # complete, plain copy (the finder leaves imports made by hot_restart
        # plain); then this thread's imports in progress are put back.
        hidden = _imports_in_progress(fullname) if self.hide_imports else {}
        _hide(hidden)
        try:
            code = _instrumented(source, path, stamp)
        except (SyntaxError, ValueError):
            # The module does not compile.  Under an import, python's own
            # report comes from code that compiles it as a plain import does,
            # in a frame the import system trims with its own; runpy and
            # other callers get the error as SourceFileLoader raises it.
            if sys._getframe(1).f_code is not _EXEC_MODULE:
                raise
            return _compile_in_importlib_frame(source, path)
        finally:
            sys.modules.update(hidden)
        return _registered(fullname, path, code)


def _registered(fullname: str, path: str, code: CodeType) -> CodeType:
    from .runtime import registry

    registry.modules.add(fullname)  # for RELOAD_ALL_ON_CONTINUE
    registry.stamp(path)  # so that a reload of all knows what was edited since
    return code


def _hide(modules: dict[str, ModuleType]) -> None:
    for name in modules:
        del sys.modules[name]


def _imports_in_progress(fullname: str) -> dict[str, ModuleType]:
    """The modules this thread is importing now: ``fullname`` and those whose bodies run."""
    from .finder import is_importlib_frame

    found: dict[str, ModuleType] = {}
    module = sys.modules.get(fullname)
    if module is not None:
        found[fullname] = module
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        back = frame.f_back
        if frame.f_code.co_name == "<module>" and back is not None and is_importlib_frame(back):
            name = frame.f_globals.get("__name__")
            module = sys.modules.get(name) if isinstance(name, str) else None
            if module is not None and getattr(module, "__dict__", None) is frame.f_globals:
                found[name] = module  # type: ignore[index]
        frame = back
    return found


def _unchanged(path: str) -> tuple[CodeType | None, bytes | None]:
    """The cached code if the source is known unchanged without reading it, and its stamp.

    The stamp is taken before the source is read (see ``cache.source_stamp``).
    """
    from . import cache  # imports only what python's start-up already has

    cached_at = cache.cache_path(path)
    if cached_at is None:
        return None, None
    stamp = cache.source_stamp(path)
    return cache.read(cached_at, None, path, stamp), stamp


def _instrumented(source: bytes, path: str, stamp: bytes | None) -> CodeType:
    from . import cache

    cached_at = cache.cache_path(path)
    if cached_at is not None:
        code = cache.read(cached_at, source, path, stamp)
        if code is not None:
            return code
    from .transform import instrument_source  # imports ast: only on a cache miss

    code = instrument_source(source, path, bind_handler=True)
    if cached_at is not None:
        cache.write(cached_at, source, code, path, stamp)
    return code


def _compile_in_importlib_frame(source: bytes, path: str) -> CodeType:
    """Code that raises exactly the error a plain import's ``compile`` raises.

    The module's code runs inside importlib's ``_call_with_frames_removed``;
    a frame named so in importlib's file continues that run, so the import
    system trims it with the rest and the traceback is a plain import's.
    """
    import ast

    # exec(compile(source, path, "exec", dont_inherit=True), globals()): should
    # python compile what our transform could not, the module runs plain.
    compiled = ast.Call(
        ast.Name("compile", ast.Load()),
        [ast.Constant(source), ast.Constant(path), ast.Constant("exec")],
        [ast.keyword("dont_inherit", ast.Constant(True))],
    )
    namespace = ast.Call(ast.Name("globals", ast.Load()), [], [])
    run = ast.Call(ast.Name("exec", ast.Load()), [compiled, namespace], [])
    tree = ast.fix_missing_locations(ast.Module([ast.Expr(run)], []))
    code = compile(tree, "<frozen importlib._bootstrap>", "exec", dont_inherit=True)
    return code.replace(co_name="_call_with_frames_removed")
