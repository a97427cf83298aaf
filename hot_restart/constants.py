"""Names shared by the transform, the loader and the runtime.

Apart from ``transform`` so that installing the hook does not import
``ast``: the first instrumented import (on a cache miss) is what needs it.
"""

#: Bumped whenever the generated code changes; part of the bytecode-cache tag.
TRANSFORM_VERSION = 6

#: The global name through which instrumented code reaches the runtime.
HANDLER_NAME = "__hot_restart__"

#: Prefix of the entry snapshot of a parameter that the body rebinds.
ARG_SNAPSHOT_PREFIX = "_hr__"

#: A module that assigns this name at top level is left alone by the hook.
SKIP_MARKER = "__hot_restart_skip__"
