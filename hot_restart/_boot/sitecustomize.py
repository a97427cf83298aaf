"""Started by a child of an instrumented program (hot_restart/children.py).

The parent put this folder first on ``PYTHONPATH`` so that every Python it
starts runs this at start-up, as a ``.pth`` file would (for environments
where hot_restart's ``.pth`` is not installed).  It activates hot_restart
from ``HOT_RESTART_PATTERNS``, takes its folder back off ``sys.path``, and
then runs the ``sitecustomize`` this one shadows, if there is one.  Any
failure (another interpreter without hot_restart, an old Python) leaves the
child as it would have been.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))


def _activate() -> None:
    if not os.environ.get("HOT_RESTART_PATTERNS") or "hot_restart.activate" in sys.modules:
        return
    package_parent = os.path.dirname(os.path.dirname(_here))
    added = False
    try:
        try:
            __import__("hot_restart.activate")
        except ImportError:
            if "hot_restart" in sys.modules:
                return
            sys.path.append(package_parent)  # where the parent found hot_restart
            added = True
            __import__("hot_restart.activate")
    except Exception:
        pass
    finally:
        if added and package_parent in sys.path:
            sys.path.remove(package_parent)


def _chain() -> None:
    """Run the sitecustomize this one hides (a distribution's, a virtualenv's)."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    me = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as e:
        if getattr(e, "name", None) != "sitecustomize":
            raise
        # None other: the import that runs this one expects to find it there.
        if me is not None:
            sys.modules["sitecustomize"] = me


_activate()
_chain()
