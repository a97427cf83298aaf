"""A TaskGroup whose task fails, handled by `except*` around the `async with`
(Python 3.11+: imported only there)."""

import asyncio


async def grouped(fetch):
    outcome = "taskgroup: not handled"
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fetch("w"))
    except* ValueError:
        outcome = "taskgroup: handled"
    return outcome
