"""What happens when instrumented code raises: decide, prompt, reload, re-run.

Nothing here is imported until an instrumented function raises, except the
small ``trampoline`` and ``state`` modules that the import hook needs.
"""
