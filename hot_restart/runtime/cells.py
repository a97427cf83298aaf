"""Code typed into an IPython cell: recognise it, and say what can be done.

Why this exists: a function defined in a cell has a "file" that is not one.
Terminal IPython compiles a cell as ``<ipython-input-3-1a2b3c>``; a Jupyter
kernel (ipykernel) as ``/tmp/ipykernel_4242/2785214.py``, a path that looks
real but was never written (IPython only puts the cell's lines in
``linecache``).  Reloading such a function from disk cannot work, and saying
that its file "no longer exists; restore it" sends the user looking for a
file they never had.  What can be done instead: run the fixed cell again
(which redefines the function), or move the code to a module and import it,
which hot_restart can then fix in place.

The authority is IPython's own record: the shell's compiler maps every cell
name it made to the cell's execution count (``_filename_map``, IPython 8 and
9).  IPython is asked only when it is already imported: nothing here imports
it.  Without a shell (a cell's code kept after the shell ended), the
terminal's ``<ipython-input-N-...>`` shape is recognised by name.
"""

from __future__ import annotations

import sys

_TERMINAL_PREFIX = "<ipython-input-"


def cell_label(filename: str) -> str | None:
    """``"In [3]"`` (or ``"an IPython cell"``) if ``filename`` names cell code, else None."""
    shell_number = _number_from_shell(filename)
    if shell_number is not None:
        return f"In [{shell_number}]" if shell_number > 0 else "an IPython cell"
    if filename.startswith(_TERMINAL_PREFIX) and filename.endswith(">"):
        number = filename[len(_TERMINAL_PREFIX) :].partition("-")[0]
        return f"In [{number}]" if number.isdigit() else "an IPython cell"
    return None


def _number_from_shell(filename: str) -> int | None:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        numbers = shell.compile._filename_map if shell is not None else None
        number = numbers.get(filename) if isinstance(numbers, dict) else None
    except Exception:  # an IPython without these internals: fall back to the name
        return None
    return number if isinstance(number, int) else None


def cannot_wrap(qualname: str, label: str) -> str:
    """Why ``wrap`` leaves a cell's function alone, and what to do instead."""
    return (
        f"hot_restart: cannot wrap {qualname}: it is defined in {_cell(label)}, whose code "
        "cannot be reloaded from disk; move it to a module and import it (then "
        "`%hot_restart` that module) to fix it in place, or fix the cell and run it again"
    )


def cannot_reload(label: str) -> str:
    """Why a reload of cell code is refused, said at the debugger prompt."""
    return (
        f"code defined in {_cell(label)} cannot be reloaded from disk: `q`, fix the cell and "
        "run it again; code moved to a module and imported can be fixed in place"
    )


def _cell(label: str) -> str:
    return f"cell {label}" if label.startswith("In [") else label
