"""The loader that runs instrumented code in place of the module's own.

Subclassing ``SourceFileLoader`` and changing only how code is produced keeps
everything else a plain import offers: ``get_source``, ``importlib.reload``,
``importlib.resources``, ``python -m`` (runpy calls ``get_code``), and
``SyntaxError`` reports identical to a plain import's.
"""

from __future__ import annotations

import builtins
from importlib.machinery import SourceFileLoader

from .constants import HANDLER_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Any


def _handler() -> Any:
    # Imported on first use: install() must not pay for the runtime.
    from .runtime.trampoline import handle

    return handle


class HotRestartLoader(SourceFileLoader):
    """A ``SourceFileLoader`` whose code has restart trampolines in every def."""

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        # runpy (``python -m``) execs this code in a namespace it never shows
        # us; the builtins entry lets instrumented code reach the handler
        # there too.  Modules still get their own entry, found first.
        builtins.__dict__.setdefault(HANDLER_NAME, _handler())
        from . import cache  # importlib.util: paid at the first instrumented import

        cached_at = cache.cache_path(path)
        if cached_at is not None:
            code = cache.read(cached_at, source, path)
            if code is not None:
                return code
        from .transform import instrument_source  # imports ast: only on a cache miss

        code = instrument_source(source, path)
        if cached_at is not None:
            cache.write(cached_at, source, code, path)
        return code

    def exec_module(self, module: ModuleType) -> None:
        # Set before any of the module's code runs: a function defined and
        # called at import time may already need it.
        module.__dict__[HANDLER_NAME] = _handler()
        from .runtime import registry

        registry.modules.add(module.__name__)  # for RELOAD_ALL_ON_CONTINUE
        registry.stamp(self.path)  # so that a reload of all knows what was edited since
        super().exec_module(module)
