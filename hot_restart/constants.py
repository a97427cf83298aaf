"""Names shared by the transform, the loader and the runtime.

Apart from ``transform`` so that installing the hook does not import
``ast``: the first instrumented import (on a cache miss) is what needs it.
"""

#: Bumped whenever the generated code changes; part of the bytecode-cache tag.
TRANSFORM_VERSION = 12

#: The global name through which instrumented code reaches the runtime.
HANDLER_NAME = "__hot_restart__"

#: Attribute of the handler: running frame -> ((parameter, ...), value at entry, ...),
#: for the calls whose body rebinds a parameter (see transform._record_entry).
#: The attribute names that generated code uses are dunder names, which no
#: program's code uses: introspection that lists a code object's names can
#: then tell them apart from the program's (see runtime/closurevars.py).
ENTRY_STORE_ATTR = "__hot_restart_entries__"

#: Attribute of the handler: ``sys._getframe``, the key of that store.
ENTRY_FRAME_ATTR = "__hot_restart_frame__"

#: Attribute of the handler: that store's bound ``pop`` (a C call, one
#: attribute load), which drops a call's record where the call ends.
ENTRY_DROP_ATTR = "__hot_restart_drop__"

#: Attribute of the handler: what the generated ``except`` catches, BaseException
#: while a prompt is possible in this process, else () (see state.refresh_catching).
CATCHING_ATTR = "catching"

#: The global through which instrumented code reads that value: one global
#: load (the specializing interpreter caches it) where ``handler.catching``
#: was two loads and an attribute lookup on every exception and every
#: recording call.  Each namespace holding the handler holds a copy, which
#: state.refresh_catching keeps current (see trampoline.bind).
CATCHING_NAME = "__hot_restart_catching__"

#: Every name that generated code adds to a code object's ``co_names``.
GENERATED_NAMES = frozenset(
    {HANDLER_NAME, CATCHING_NAME, ENTRY_STORE_ATTR, ENTRY_FRAME_ATTR, ENTRY_DROP_ATTR}
)

#: A module that assigns this name at top level is left alone by the hook.
SKIP_MARKER = "__hot_restart_skip__"
