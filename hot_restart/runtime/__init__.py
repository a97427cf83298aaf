"""What happens when instrumented code raises: decide, prompt, reload, re-run.

Every instrumented function's body sits in a ``try`` whose handler calls
``trampoline.handle`` (the only runtime code on the hot path).  From there:

1. **Decide** (``trampoline``, ``catchers``, ``boundaries``): where no prompt
   can ever open (``state.State.refresh_catching``: no terminal, and none of
   the places in ``state.STATE.prompt_places``: a notebook's input box,
   ``kernel``; an attached IDE, ``ide``; a worker's controlling terminal,
   ``tty``; a remote session, ``remote``) nothing is caught at all (the
   generated ``except`` reads that from the module global
   ``__hot_restart_catching__``, which ``state`` keeps current);
   otherwise re-raise at once when nothing could prompt now (no terminal),
   when an instrumented caller (or
   the module's top-level code) will catch the exception, when C code between
   the frame and its caller may swallow it (``hasattr``, ``getattr`` with a
   default: the decision then moves to where the exception reappears), or
   when the user already declined it.  Where a thread pool or an asyncio
   task stores the exception for whoever waits, the decision goes on in
   that waiter (``handoff``).  One decision holds for the exception all
   the way to its catcher, so a deep raise costs linear time.
2. **Prompt** (``session``, ``debuggers``, ``watch``): one session at a time
   across threads, and across a process tree on its terminal (``tty``); the
   banner names the function, thread and worker; settings changed in the
   environment are read again (``environment``).  A crash in code edited
   since the process loaded it is reloaded and re-run once first
   (``heal``: a fix made at another worker's prompt).  Otherwise the chosen
   debugger opens post-mortem at the crash with the live callers above it:
   on the terminal, in a notebook's input box (``kernel``), in the IDE
   (``ide``), or for a client attached over TCP (``remote``).
3. **Reload** (``reload``, ``changes``, ``locate``, ``surrogate``,
   ``shift``, ``rebind``, ``classes``): on ``c``, every instrumented
   definition whose text changed since it was loaded gets its new code (the
   def found as the compiler sees it, compiled in its enclosing scopes), new
   top-level functions, classes, imports and constants are run in their
   module, unchanged defaults keep their objects, moved functions get their
   new lines, and classes are patched in place.  An edit the live program
   cannot take is refused with one line and the prompt comes back.
4. **Re-run**: the crashed call runs again with the arguments it had at entry
   (kept outside the frame by the generated code when the body rebinds a
   parameter, and dropped by ``trampoline.handle`` once the call is over:
   ``session.rerun_arguments``), passed as the call site passed them
   (``callsite``: by position, by name, or left out for the new default),
   from the crashed frame's re-run statement, so its caller gets the
   result as if nothing happened.

``state`` holds the process-wide settings, ``registry`` what is known of the
live program (loaded sources, superseded code), ``walk`` finds a module's
functions.  Two standard-library modules are amended as soon as they load
(``onload``): bdb never steps into hot_restart's frames (``stepping``), and
``inspect.getclosurevars`` leaves out the names generated code uses
(``closurevars``).  ``swapped`` instruments again code that another tool (IPython's
``%autoreload``) swapped into instrumented functions, and ``cells`` tells an
IPython cell's code, which has no file to reload from (step 3 refuses it in
one line).  Nothing here is imported until an instrumented function raises,
except the small ``trampoline``, ``state`` and ``registry`` modules that the
import hook needs, and the prompt places that an integration turns on
(``kernel`` at ``install()``, ``remote`` when ``HOT_RESTART_REMOTE`` is set,
``tty`` in a worker at its first exception, ``ide`` under debugpy).
"""
