"""``inspect.getclosurevars`` answers for instrumented code as for the plain code.

Why this exists: generated code reaches the runtime through names
(``constants.GENERATED_NAMES``: the module globals ``__hot_restart__`` and
``__hot_restart_catching__``, and three attributes of the handler where a
function records its entry arguments), and ``getclosurevars`` sorts every
name of a code object's ``co_names`` into globals, builtins and unbound.
So an instrumented function listed both globals among its ``globals``, and
a function that records its entry arguments three more names among its
``unbound``, which the plain function has not.  The only way to reach the
runtime without a name, the handler as a code constant, costs a
``code.replace`` per function at every warm import (about twice the
import's time; measured and declined).

The rule: ``amend`` wraps ``inspect.getclosurevars`` once (``onload``:
as soon as inspect is imported, or at once where it already is when an
instrumented module loads).  For a function whose code names the handler,
and only then, the wrapper leaves the generated names out of each of the
four answers.  Each of them is a dunder name that hot_restart owns: a name
the program's own code uses is never left out.  Any other function gets
the original's answer, unchanged.

Limits: ``co_names`` itself (``dis``, tools that read code objects) still
shows the names (README, Fidelity).  A method reloaded with a new
``super()`` call reaches ``super`` as an attribute of the handler (see
trampoline), so its answer lists ``super`` as unbound, not as a builtin.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ..constants import GENERATED_NAMES, HANDLER_NAME

_MARK = "_hot_restart_amended"


def amend(inspect: ModuleType) -> None:
    """Wrap ``inspect.getclosurevars`` (once) to leave generated names out."""
    original = getattr(inspect, "getclosurevars", None)
    answer = getattr(inspect, "ClosureVars", None)
    if original is None or answer is None or getattr(original, _MARK, False):
        return

    def getclosurevars(func: Any) -> Any:
        found = original(func)
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is None or HANDLER_NAME not in code.co_names:
            return found
        return answer(
            found.nonlocals,
            _without(found.globals),
            _without(found.builtins),
            found.unbound - GENERATED_NAMES,
        )

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(getclosurevars, attr, getattr(original, attr, None))
    getclosurevars.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(getclosurevars, _MARK, True)
    inspect.getclosurevars = getclosurevars  # type: ignore[attr-defined]


def _without(names: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in names.items() if name not in GENERATED_NAMES}
