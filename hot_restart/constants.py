"""Names shared by the transform, the loader and the runtime.

Apart from ``transform`` so that installing the hook does not import
``ast``: the first instrumented import (on a cache miss) is what needs it.
"""

#: Bumped whenever the generated code changes; part of the bytecode-cache tag.
TRANSFORM_VERSION = 10

#: The global name through which instrumented code reaches the runtime.
HANDLER_NAME = "__hot_restart__"

#: Attribute of the handler: running frame -> ((parameter, ...), value at entry, ...),
#: for the calls whose body rebinds a parameter (see transform._record_entry).
ENTRY_STORE_ATTR = "entry_arguments"

#: Attribute of the handler: ``sys._getframe``, the key of that store.
ENTRY_FRAME_ATTR = "this_frame"

#: Attribute of the handler: what the generated ``except`` catches, BaseException
#: while a prompt is possible in this process, else () (see state.refresh_catching).
CATCHING_ATTR = "catching"

#: A module that assigns this name at top level is left alone by the hook.
SKIP_MARKER = "__hot_restart_skip__"
