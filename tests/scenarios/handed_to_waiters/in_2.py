"""A pool's worker and an asyncio task hand their exception to whoever waits:
handled there, it never stops; a crash nobody handles still stops at its site."""

import asyncio
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def parse(text):
    return int(text)


def parse_once_waited_for(text, job):
    """Raise only once the main thread waits in result(): a hand-off needs a
    waiter (one that has not reached result() yet leaves a stop here)."""
    job["submitted"].wait(10)
    deadline = time.monotonic() + 10
    while not job["future"]._condition._waiters and time.monotonic() < deadline:
        time.sleep(0.001)
    return parse(text)


async def fetch(text):
    await asyncio.sleep(0)
    return parse(text)


async def through(task):
    return await task


async def main():
    task = asyncio.ensure_future(fetch("x"))
    try:
        await through(task)
    except ValueError:
        print("task failed, handled")
    print("gathered", await asyncio.gather(fetch("2"), fetch("y"), return_exceptions=True))
    try:
        await asyncio.gather(fetch("3"), fetch("z"))
    except ValueError:
        print("gather failed, handled")
    if sys.version_info >= (3, 11):
        from groups import grouped

        print(await grouped(fetch))
    else:  # no TaskGroup
        print("taskgroup: handled")


def ratio(a, b):
    return a / (b or 4)


asyncio.run(main())
with ThreadPoolExecutor(1) as pool:
    job = {"submitted": threading.Event()}
    job["future"] = pool.submit(parse_once_waited_for, "q", job)
    job["submitted"].set()
    try:
        job["future"].result()
    except ValueError:
        print("pool failed, handled")
    print("mapped", list(pool.map(parse, ["4", "5"])))
    print("ratio", pool.submit(ratio, 1, 0).result())
print("done")
