"""Cancellation and the import system's own lookups are not crashes; a real one stops."""

import asyncio


async def slow():
    await asyncio.sleep(10)


async def waits():
    try:
        await asyncio.wait_for(slow(), 0.01)
    except asyncio.TimeoutError:
        print("timed out")
    task = asyncio.ensure_future(slow())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("cancelled")


def share(total, parts):
    return total // parts


asyncio.run(waits())
from legacy import VERSION  # noqa: E402

print("version", VERSION)
import legacy  # noqa: E402

try:
    issubclass(legacy, object)  # asks the module for __bases__
except TypeError:
    print("not a class")
from plugins import tools  # noqa: E402  (importlib asks hasattr(plugins, "tools") first)

print("tools", tools.VALUE)


class Lenient:
    """Answers AttributeError for anything it lacks, as Jinja2's Undefined."""

    def __getattr__(self, name):
        raise AttributeError(name)


import abc  # noqa: E402
import pickle  # noqa: E402

pickle.loads(pickle.dumps(Lenient()))  # asks for __reduce_ex__, __setstate__, ...


class Checked(abc.ABC):
    proxy = Lenient()  # the ABC set-up asks each attribute for __isabstractmethod__


print("pickled and checked")


class Relay:
    """Delegates to a stream, as click's EchoingStdin does."""

    def __init__(self, raw):
        self.raw = raw

    def __getattr__(self, name):
        return getattr(self.raw, name)


import io  # noqa: E402

reader = io.BufferedReader(Relay(io.BytesIO(b"data")))
print("read", reader.read())
del reader  # io's clean-up asks the raw stream for _dealloc_warn
try:
    from legacy import removed  # noqa: F401
except ImportError:
    print("removed is gone")
print("share", share(10, 0))
print("done")
