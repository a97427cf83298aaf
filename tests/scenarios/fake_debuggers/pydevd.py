"""A stand-in for pydevd (VS Code's debugger): records the call, then fixes the file."""

import shutil


class _Info:
    is_tracing = 0


class _Debugger:
    def set_additional_thread_info(self, thread):
        return _Info()

    def stop_on_unhandled_exception(self, py_db, thread, info, excinfo):
        print(f"FAKE PYDEVD stop {excinfo[0].__name__} tracing={info.is_tracing}")
        shutil.copy("in_2.py", "prog.py")


def get_global_debugger():
    return _Debugger()
